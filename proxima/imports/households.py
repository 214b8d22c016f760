"""Import of households: one row per person, the household's columns repeated on each.

Household columns must agree between the rows of one lease. Households are upserted by
lease reference; persons by (lease, last name, first name, birth year). A person of a
household in the file who is no longer listed has left: they are removed.
"""

import struct
from decimal import Decimal

from proxima.households.enums import ContactChannel, PersonRole
from proxima.households.models import Household, Person
from proxima.households.services import refresh_summaries
from proxima.imports import schema as s
from proxima.imports.bulk import insert_rows, update_rows, upsert_by_reference
from proxima.imports.engine import Importer, ImportReport, Row
from proxima.territory.models import Dwelling

COLUMNS = [
    s.Column(
        "lease_reference",
        "Référence bail",
        s.reference,
        aliases=("reference_bail", "numero_bail", "bail", "contrat"),
    ),
    s.Column(
        "dwelling_reference",
        "Référence logement",
        s.reference,
        aliases=("reference_logement", "code_logement", "logement"),
    ),
    s.Column("move_in_date", "Date d'entrée", s.date, aliases=("date_entree", "entree", "date_debut_bail")),
    s.Column("rent", "Loyer", s.amount(maximum=Decimal(10000)), aliases=("loyer_mensuel", "loyer_hors_charges")),
    s.Column("charges", "Charges", s.amount(maximum=Decimal(5000)), aliases=("charges_mensuelles", "provisions")),
    s.Column(
        "arrears_amount",
        "Montant impayé",
        s.amount(maximum=Decimal(1000000)),
        required=False,
        default=Decimal("0.00"),
        aliases=("impayes", "montant_impaye", "dette", "solde_debiteur"),
    ),
    s.Column(
        "arrears_months",
        "Mois d'impayés",
        s.integer(minimum=0, maximum=600),
        required=False,
        default=0,
        aliases=("mois_impayes", "nb_mois_impayes"),
    ),
    s.Column("has_car", "Voiture", s.boolean, required=False, aliases=("vehicule", "a_une_voiture")),
    s.Column(
        "contact_channel",
        "Canal de contact",
        s.choice(
            {
                ContactChannel.PHONE: ["téléphone", "tel", "telephone", "phone"],
                ContactChannel.LETTER: ["courrier", "lettre", "letter"],
                ContactChannel.EMAIL: ["e-mail", "email", "mail", "courriel"],
                ContactChannel.SMS: ["SMS", "texto"],
                ContactChannel.IN_PERSON: ["en personne", "visite", "accueil", "in_person"],
            }
        ),
        required=False,
        default="",
        aliases=("canal", "canal_contact", "canal_prefere"),
    ),
    s.Column("last_name", "Nom", s.text(100), aliases=("nom_occupant",)),
    s.Column("first_name", "Prénom", s.text(100), aliases=("prenom_occupant",)),
    s.Column(
        "birth_year",
        "Année de naissance",
        s.integer(minimum=1900, maximum=2100),
        required=False,
        aliases=("annee_naissance", "naissance"),
    ),
    s.Column(
        "role",
        "Rôle",
        s.choice(
            {
                PersonRole.REFERENCE: ["titulaire", "locataire", "reference", "signataire"],
                PersonRole.CO_HOLDER: ["cotitulaire", "co-titulaire", "colocataire"],
                PersonRole.SPOUSE: ["conjoint", "conjointe", "epoux", "epouse", "spouse"],
                PersonRole.CHILD: ["enfant", "child"],
                PersonRole.OTHER: ["autre", "autre occupant", "other"],
            }
        ),
        aliases=("role_occupant", "lien", "qualite"),
    ),
    s.Column("phone", "Téléphone", s.phone, required=False, default="", aliases=("telephone", "tel", "portable")),
]

HOUSEHOLD_FIELDS = (
    "dwelling_reference",
    "move_in_date",
    "rent",
    "charges",
    "arrears_amount",
    "arrears_months",
    "has_car",
    "contact_channel",
)
PERSON_FIELDS = ("first_name", "last_name", "birth_year", "role", "phone")


_FINGERPRINT = struct.Struct(f"<{len(HOUSEHOLD_FIELDS)}q")


def fingerprint(values) -> bytes:
    """The hash of each value, packed: tells which column differs between two rows."""
    return _FINGERPRINT.pack(*map(hash, values))


def first_difference(a: bytes, b: bytes) -> int:
    return next(
        i for i, (x, y) in enumerate(zip(_FINGERPRINT.unpack(a), _FINGERPRINT.unpack(b), strict=True)) if x != y
    )


class LeaseTable:
    """What the import must remember of each lease between chunks, in about a hundred bytes.

    Each lease maps to one ``bytes`` record: the fingerprint of its household columns, the line
    where it first appeared, its id once written (0 before), whether it existed before the import
    (-1 until written), then the hash and line of each of its persons. Memory grows with the
    number of leases, but by bytes, not by Python objects: about 120 bytes of record per household.
    """

    HEAD = struct.Struct(f"<{_FINGERPRINT.size}sIqb")
    PERSON = struct.Struct("<qI")

    def __init__(self):
        self._records: dict[str, bytes] = {}

    def __contains__(self, lease: str) -> bool:
        return lease in self._records

    def add(self, lease: str, values: bytes, line: int) -> None:
        self._records[lease] = self.HEAD.pack(values, line, 0, -1)

    def head(self, lease: str) -> tuple[bytes, int, int | None, bool | None]:
        """``(fingerprint, first line, id or None, existed before or None)``."""
        values, line, pk, existed = self.HEAD.unpack_from(self._records[lease])
        return values, line, pk or None, None if existed < 0 else bool(existed)

    def person_line(self, lease: str, person_hash: int) -> int | None:
        for h, line in self.PERSON.iter_unpack(self._records[lease][self.HEAD.size :]):
            if h == person_hash:
                return line
        return None

    def add_person(self, lease: str, person_hash: int, line: int) -> None:
        self._records[lease] += self.PERSON.pack(person_hash, line)

    def set_written(self, lease: str, pk: int | None, existed: bool) -> None:
        record = self._records[lease]
        values, line, _, _ = self.HEAD.unpack_from(record)
        self._records[lease] = self.HEAD.pack(values, line, pk or 0, int(existed)) + record[self.HEAD.size :]

    def preexisting_ids(self) -> list[int]:
        return [pk for pk, existed in (self.HEAD.unpack_from(r)[2:] for r in self._records.values()) if existed == 1]


def person_key(first_name: str, last_name: str, birth_year) -> tuple:
    """Who a person is across imports: spelling of case and accents does not matter."""
    return (s.normalise(last_name), s.normalise(first_name), birth_year)


class HouseholdImporter(Importer):
    kind = "households"
    columns = COLUMNS
    models = (Household, Person)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dwelling_ids: dict[str, int] = {}  # the current chunk's dwellings
        self.leases = LeaseTable()
        self.dwelling_lease: dict[int, str] = {}  # dwelling id -> lease, one lease per dwelling
        self.seen_person_ids: set[int] = set()
        # Persons created by this import have larger ids: only older ones can have left their household.
        self.last_person_id = Person.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def prepare(self, rows: list[Row]) -> None:
        # Only this chunk's dwellings: a cache over the whole file would grow with it.
        self.dwelling_ids = {}
        wanted = {r.data["dwelling_reference"] for r in rows}
        if wanted:
            self.dwelling_ids.update(
                Dwelling.objects.filter(organisation=self.organisation, reference__any_of=list(wanted))
                .order_by()
                .values_list("reference", "id")
            )

    def check(self, row: Row) -> list:
        d = row.data
        issues = []
        dwelling_id = self.dwelling_ids.get(d["dwelling_reference"])
        if dwelling_id is None:
            issues.append(
                self.issue(
                    row,
                    "dwelling_reference",
                    "la référence d'un logement du patrimoine (importez d'abord le patrimoine)",
                    "logement inconnu",
                )
            )
        if d["arrears_months"] and not d["arrears_amount"]:
            issues.append(
                self.issue(
                    row, "arrears_months", "0 quand le montant impayé est nul", "mois d'impayés sans montant impayé"
                )
            )
        if d["birth_year"] is not None and d["birth_year"] > self.today.year:
            issues.append(self.issue(row, "birth_year", f"une année passée (au plus {self.today.year})"))
        if issues:
            return issues

        lease = d["lease_reference"]
        values = fingerprint([d[f] for f in HOUSEHOLD_FIELDS])
        if lease not in self.leases:
            other = self.dwelling_lease.get(dwelling_id)
            if other is not None:
                return [
                    self.issue(
                        row,
                        "dwelling_reference",
                        "un seul bail par logement dans le fichier",
                        f"logement déjà occupé par le bail {other} (ligne {self.leases.head(other)[1]})",
                    )
                ]
            self.leases.add(lease, values, row.line)
            self.dwelling_lease[dwelling_id] = lease
        else:
            first_values, first_line, _, _ = self.leases.head(lease)
            if first_values != values:
                return [
                    self.issue(
                        row,
                        HOUSEHOLD_FIELDS[first_difference(first_values, values)],
                        f"la même valeur qu'à la ligne {first_line} pour le bail {lease}",
                        "valeur différente pour le même bail",
                    )
                ]
        d["person_key"] = person_key(d["first_name"], d["last_name"], d["birth_year"])
        person_hash = hash(d["person_key"])
        seen = self.leases.person_line(lease, person_hash)
        if seen is not None:
            return [
                self.issue(
                    row, "last_name", "une seule ligne par personne et par bail", f"personne déjà vue ligne {seen}"
                )
            ]
        self.leases.add_person(lease, person_hash, row.line)
        return []

    def write(self, rows: list[Row], report: ImportReport, *, apply: bool) -> None:
        self._write_households(rows, report, apply=apply)
        self._write_persons(rows, report, apply=apply)

    def _write_households(self, rows, report, *, apply):
        wanted = {}
        for row in rows:
            lease = row.data["lease_reference"]
            if self.leases.head(lease)[3] is None and lease not in wanted:
                d = row.data
                wanted[lease] = {
                    "dwelling_id": self.dwelling_ids[d["dwelling_reference"]],
                    **{f: d[f] for f in HOUSEHOLD_FIELDS[1:]},
                }
        ids, existing = upsert_by_reference(
            Household, self.organisation, wanted, report.count("households"), apply=apply
        )
        for lease, pk in ids.items():
            self.leases.set_written(lease, pk, lease in existing)

    def _write_persons(self, rows, report, *, apply):
        counts = report.count("persons")
        # Only households that existed before the import can already have persons.
        heads = {lease: self.leases.head(lease) for lease in {r.data["lease_reference"] for r in rows}}
        preexisting = {head[2] for head in heads.values() if head[3]}
        existing = {}
        if preexisting:
            for p in (
                Person.objects.filter(household_id__any_of=list(preexisting))
                .order_by()
                .values_list("id", "household_id", *PERSON_FIELDS)
            ):
                existing[(p[1], person_key(p[2], p[3], p[4]))] = p
        to_create, to_update = [], []
        for row in rows:
            d = row.data
            household_id = heads[d["lease_reference"]][2]
            values = tuple(d[f] for f in PERSON_FIELDS)
            current = existing.get((household_id, d["person_key"]))
            if current is None:
                to_create.append((household_id, *values))
                continue
            self.seen_person_ids.add(current[0])
            if current[2:] != values:
                to_update.append((current[0], *values))
            else:
                counts.unchanged += 1
        counts.created += len(to_create)
        counts.updated += len(to_update)
        if apply:
            insert_rows(Person, ["household_id", *PERSON_FIELDS], to_create)
            update_rows(Person, list(PERSON_FIELDS), to_update)

    def finish(self, report: ImportReport, *, apply: bool) -> None:
        """Remove the persons no longer listed in the households the file describes."""
        counts = report.count("persons")
        ids = sorted(self.leases.preexisting_ids())
        for start in range(0, len(ids), 1000):
            gone = [
                pk
                for pk in Person.objects.filter(
                    household_id__in=ids[start : start + 1000], id__lte=self.last_person_id
                )
                .order_by()
                .values_list("id", flat=True)
                if pk not in self.seen_person_ids
            ]
            counts.deleted += len(gone)
            if apply and gone:
                # A real delete (not a raw one): each person removed is written to the audit trail.
                for person in Person.objects.filter(id__in=gone):
                    person.delete()
        if apply:
            # Persons were written in bulk, past the signals: recount every household's size and holder's age.
            refresh_summaries(Household.objects.filter(organisation=self.organisation))
