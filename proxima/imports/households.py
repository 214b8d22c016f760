"""Import of households: one row per person, the household's columns repeated on each.

Household columns must agree between the rows of one lease. Households are upserted by
lease reference; persons by (lease, last name, first name, birth year). A person of a
household in the file who is no longer listed has left: they are removed.
"""

import struct
from decimal import Decimal

from proxima.households.enums import ContactChannel, PersonRole
from proxima.households.models import Household, Person
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


_FINGERPRINT = struct.Struct(f"{len(HOUSEHOLD_FIELDS)}I")


def fingerprint(values) -> bytes:
    """32 bits of the hash of each value, packed: tells which column differs between two rows, in 32 bytes."""
    return _FINGERPRINT.pack(*(hash(v) & 0xFFFFFFFF for v in values))


def first_difference(a: bytes, b: bytes) -> int:
    return next(
        i for i, (x, y) in enumerate(zip(_FINGERPRINT.unpack(a), _FINGERPRINT.unpack(b), strict=True)) if x != y
    )


def person_key(first_name: str, last_name: str, birth_year) -> tuple:
    """Who a person is across imports: spelling of case and accents does not matter."""
    return (s.normalise(last_name), s.normalise(first_name), birth_year)


class HouseholdImporter(Importer):
    kind = "households"
    columns = COLUMNS
    models = (Household, Person)

    # State kept across chunks is what duplicate and consistency checks need, and no more: hashes
    # and line numbers rather than rows, so memory grows by about a hundred bytes per household.
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dwelling_ids: dict[str, int] = {}  # the current chunk's dwellings
        # lease -> [fingerprint of its values, first line, id, existed before (None until written)]
        self.leases: dict[str, tuple] = {}
        self.dwelling_lease: dict[int, str] = {}  # dwelling id -> lease, one lease per dwelling
        self.person_lines: dict[int, int] = {}  # hash of (lease, person key) -> line
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
        values_hash = fingerprint([d[f] for f in HOUSEHOLD_FIELDS])
        known = self.leases.get(lease)
        if known is None:
            other = self.dwelling_lease.get(dwelling_id)
            if other is not None:
                return [
                    self.issue(
                        row,
                        "dwelling_reference",
                        "un seul bail par logement dans le fichier",
                        f"logement déjà occupé par le bail {other} (ligne {self.leases[other][1]})",
                    )
                ]
            self.leases[lease] = (values_hash, row.line, None, None)
            self.dwelling_lease[dwelling_id] = lease
        elif known[0] != values_hash:
            field = HOUSEHOLD_FIELDS[first_difference(known[0], values_hash)]
            return [
                self.issue(
                    row,
                    field,
                    f"la même valeur qu'à la ligne {known[1]} pour le bail {lease}",
                    "valeur différente pour le même bail",
                )
            ]
        d["person_key"] = person_key(d["first_name"], d["last_name"], d["birth_year"])
        key_hash = hash((lease, d["person_key"]))
        seen = self.person_lines.get(key_hash)
        if seen is not None:
            return [
                self.issue(
                    row, "last_name", "une seule ligne par personne et par bail", f"personne déjà vue ligne {seen}"
                )
            ]
        self.person_lines[key_hash] = row.line
        return []

    def write(self, rows: list[Row], report: ImportReport, *, apply: bool) -> None:
        self._write_households(rows, report, apply=apply)
        self._write_persons(rows, report, apply=apply)

    def _write_households(self, rows, report, *, apply):
        wanted = {}
        for row in rows:
            lease = row.data["lease_reference"]
            if self.leases[lease][3] is None and lease not in wanted:
                d = row.data
                wanted[lease] = {
                    "dwelling_id": self.dwelling_ids[d["dwelling_reference"]],
                    **{f: d[f] for f in HOUSEHOLD_FIELDS[1:]},
                }
        ids, existing = upsert_by_reference(
            Household, self.organisation, wanted, report.count("households"), apply=apply
        )
        for lease, pk in ids.items():
            values_hash, line, _, _ = self.leases[lease]
            self.leases[lease] = (values_hash, line, pk, lease in existing)

    def _write_persons(self, rows, report, *, apply):
        counts = report.count("persons")
        # Only households that existed before the import can already have persons.
        preexisting = {state[2] for state in (self.leases[r.data["lease_reference"]] for r in rows) if state[3]}
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
            household_id = self.leases[d["lease_reference"]][2]
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
        ids = sorted(state[2] for state in self.leases.values() if state[3])
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
