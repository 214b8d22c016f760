"""Import of households: one row per person, the household's columns repeated on each.

Household columns must agree between the rows of one lease. Households are upserted by
lease reference; persons by (lease, last name, first name, birth year). A person of a
household in the file who is no longer listed has left: they are removed.
"""

from decimal import Decimal

from proxima.households.enums import ContactChannel, PersonRole
from proxima.households.models import Household, Person
from proxima.imports import schema as s
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


def person_key(first_name: str, last_name: str, birth_year) -> tuple:
    """Who a person is across imports: spelling of case and accents does not matter."""
    return (s.normalise(last_name), s.normalise(first_name), birth_year)


class HouseholdImporter(Importer):
    kind = "households"
    columns = COLUMNS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dwelling_ids: dict[str, int] = {}
        self.household_first: dict[str, tuple] = {}  # lease -> (values, line)
        self.dwelling_lease: dict[str, str] = {}
        self.person_lines: dict[tuple, int] = {}
        self.household_ids: dict[str, int] = {}
        self.preexisting_households: set[int] = set()
        self.seen_person_ids: set[int] = set()

    def prepare(self, rows: list[Row]) -> None:
        wanted = {r.data["dwelling_reference"] for r in rows} - self.dwelling_ids.keys()
        if wanted:
            self.dwelling_ids.update(
                Dwelling.objects.filter(organisation=self.organisation, reference__in=wanted).values_list(
                    "reference", "id"
                )
            )

    def check(self, row: Row) -> list:
        d = row.data
        issues = []
        if d["dwelling_reference"] not in self.dwelling_ids:
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
                    row,
                    "arrears_months",
                    "0 quand le montant impayé est nul",
                    "mois d'impayés sans montant impayé",
                )
            )
        if d["birth_year"] is not None and d["birth_year"] > self.today.year:
            issues.append(self.issue(row, "birth_year", f"une année passée (au plus {self.today.year})"))
        if issues:
            return issues

        lease = d["lease_reference"]
        values = tuple(d[f] for f in HOUSEHOLD_FIELDS)
        first = self.household_first.get(lease)
        if first is None:
            other = self.dwelling_lease.get(d["dwelling_reference"])
            if other is not None:
                return [
                    self.issue(
                        row,
                        "dwelling_reference",
                        "un seul bail par logement dans le fichier",
                        f"logement déjà occupé par le bail {other} (ligne {self.household_first[other][1]})",
                    )
                ]
            self.household_first[lease] = (values, row.line)
            self.dwelling_lease[d["dwelling_reference"]] = lease
        elif first[0] != values:
            field = next(f for f, a, b in zip(HOUSEHOLD_FIELDS, first[0], values, strict=True) if a != b)
            return [
                self.issue(
                    row,
                    field,
                    f"la même valeur qu'à la ligne {first[1]} pour le bail {lease}",
                    "valeur différente pour le même bail",
                )
            ]
        key = (lease, *person_key(d["first_name"], d["last_name"], d["birth_year"]))
        seen = self.person_lines.get(key)
        if seen is not None:
            return [
                self.issue(
                    row,
                    "last_name",
                    "une seule ligne par personne et par bail",
                    f"personne déjà vue ligne {seen}",
                )
            ]
        self.person_lines[key] = row.line
        return []

    def write(self, rows: list[Row], report: ImportReport, *, apply: bool) -> None:
        self._write_households(rows, report, apply=apply)
        self._write_persons(rows, report, apply=apply)

    def _write_households(self, rows, report, *, apply):
        counts = report.count("households")
        wanted = {}
        for row in rows:
            lease = row.data["lease_reference"]
            if lease not in self.household_ids and lease not in wanted:
                d = row.data
                wanted[lease] = {
                    "dwelling_id": self.dwelling_ids[d["dwelling_reference"]],
                    **{f: d[f] for f in HOUSEHOLD_FIELDS if f != "dwelling_reference"},
                }
        if not wanted:
            return
        fields = list(next(iter(wanted.values())))
        existing = {
            r["reference"]: r
            for r in Household.objects.filter(organisation=self.organisation, reference__in=wanted).values(
                "id", "reference", *fields
            )
        }
        to_create, to_update = [], []
        for lease, values in wanted.items():
            current = existing.get(lease)
            if current is None:
                to_create.append(Household(organisation=self.organisation, reference=lease, **values))
                continue
            self.household_ids[lease] = current["id"]
            self.preexisting_households.add(current["id"])
            if any(current[f] != v for f, v in values.items()):
                to_update.append(Household(id=current["id"], **values))
            else:
                counts.unchanged += 1
        counts.created += len(to_create)
        counts.updated += len(to_update)
        if apply:
            for household in Household.objects.bulk_create(to_create, batch_size=1000):
                self.household_ids[household.reference] = household.pk
            if to_update:
                Household.objects.bulk_update(to_update, fields, batch_size=1000)
        else:
            # Not written: remember the lease as handled, with no id, so later chunks do not count it again.
            self.household_ids.update((h.reference, None) for h in to_create)

    def _write_persons(self, rows, report, *, apply):
        counts = report.count("persons")
        household_ids = {self.household_ids.get(r.data["lease_reference"]) for r in rows} & self.preexisting_households
        existing = {}
        if household_ids:
            for p in Person.objects.filter(household_id__in=household_ids).values(
                "id", "household_id", *PERSON_FIELDS
            ):
                existing[(p["household_id"], *person_key(p["first_name"], p["last_name"], p["birth_year"]))] = p
        to_create, to_update = [], []
        for row in rows:
            d = row.data
            household_id = self.household_ids.get(d["lease_reference"])
            values = {f: d[f] for f in PERSON_FIELDS}
            current = existing.get((household_id, *person_key(d["first_name"], d["last_name"], d["birth_year"])))
            if current is None:
                to_create.append(Person(household_id=household_id, **values))
                continue
            self.seen_person_ids.add(current["id"])
            if any(current[f] != v for f, v in values.items()):
                to_update.append(Person(id=current["id"], **values))
            else:
                counts.unchanged += 1
        counts.created += len(to_create)
        counts.updated += len(to_update)
        if apply:
            # Persons just added to a household that already existed must survive `finish`.
            self.seen_person_ids.update(p.pk for p in Person.objects.bulk_create(to_create, batch_size=1000))
            if to_update:
                Person.objects.bulk_update(to_update, list(PERSON_FIELDS), batch_size=1000)

    def finish(self, report: ImportReport, *, apply: bool) -> None:
        """Remove the persons no longer listed in the households the file describes."""
        counts = report.count("persons")
        ids = sorted(self.preexisting_households)
        for start in range(0, len(ids), 1000):
            batch = ids[start : start + 1000]
            gone = [
                pk
                for pk in Person.objects.filter(household_id__in=batch).values_list("id", flat=True)
                if pk not in self.seen_person_ids
            ]
            counts.deleted += len(gone)
            if apply and gone:
                Person.objects.filter(id__in=gone).delete()
