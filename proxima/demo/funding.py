"""The demo's funding: the seed schemes, and two projects of the demo landlord with their co-financing plans.

The mobile agency (slug ``agence-mobile``) is the project being prepared: a fitted bus, an agent, fuel, a share
of the depot and a partner association's digital help, over three years, with a plan asking the CGLLS
innovation fund and the department's conférence des financeurs. The solidarity concierge is an older project
whose CGLLS aid was obtained, so the cap per landlord over 36 months is partly used. Amounts are synthetic but
of a realistic order; the dates follow ``today``, so rebuilding the demo within a month changes nothing.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from proxima.accounts.enums import Role
from proxima.funding import services
from proxima.funding.enums import ApplicationStatus, BudgetKind, ExpenseType, Stage
from proxima.funding.models import Project, Scheme
from proxima.territory.models import Site

AGENCY_SLUG = "agence-mobile"
CONCIERGE_SLUG = "conciergerie-solidaire"


def _first_of_month(day: dt.date, months_ahead: int) -> dt.date:
    month = day.month - 1 + months_ahead
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _line(year, kind, expense_type, label, amount, fte=None):
    return {
        "year": year,
        "kind": kind,
        "expense_type": expense_type,
        "label": label,
        "amount": Decimal(amount),
        "fte": None if fte is None else Decimal(fte),
    }


def agency_budget(first_year: int) -> list[dict]:
    """Three years of the mobile agency: the bus and its equipment in the first year, running costs every year."""
    lines = [
        _line(first_year, BudgetKind.VEHICLE, ExpenseType.INVESTMENT, "Bus aménagé (bureau, accès PMR)", "180000"),
        _line(first_year, BudgetKind.PURCHASES, ExpenseType.INVESTMENT, "Tablettes, imprimante, connexion 4G", "6000"),
    ]
    for year in range(first_year, first_year + 3):
        lines += [
            _line(year, BudgetKind.STAFF, ExpenseType.OPERATING, "Agent de l'agence mobile", "42000", fte="1"),
            _line(year, BudgetKind.VEHICLE, ExpenseType.OPERATING, "Carburant, entretien, assurance du bus", "9000"),
            _line(year, BudgetKind.PREMISES, ExpenseType.OPERATING, "Part du dépôt et du bureau d'agence", "4800"),
            _line(
                year,
                BudgetKind.PARTNER_FEES,
                ExpenseType.OPERATING,
                "Association partenaire : aide numérique",
                "12000",
            ),
        ]
    return lines


@transaction.atomic
def build_funding_demo(organisation, *, today: dt.date) -> Project:
    """Load the seed schemes and build the demo's projects and plans once; return the mobile agency's project."""
    services.load_schemes(services.read_schemes_file(), wet_run=True)
    existing = Project.objects.for_organisation(organisation).filter(slug=AGENCY_SLUG).first()
    if existing is not None:
        return existing
    communes = list(
        Site.objects.for_organisation(organisation)
        .order_by("commune_id")
        .values_list("commune_id", flat=True)
        .distinct()[:8]
    )
    staff = organisation.users.filter(role=Role.STAFF).order_by("pk").first()

    concierge = services.create_project(
        organisation=organisation,
        slug=CONCIERGE_SLUG,
        name="Conciergerie solidaire",
        description="Un lieu ouvert à tous les habitants : dépôt de pain, ateliers, soutien scolaire, ludothèque.",
        themes=["remobilisation", "equipement-et-alimentation"],
        stage=Stage.OPERATION,
        start_on=_first_of_month(today, -10),
        request_on=_first_of_month(today, -14),
        duration_months=36,
        communes=communes[:2],
    )
    services.set_budget_lines(
        project=concierge,
        lines=[
            _line(
                _first_of_month(today, -10).year, BudgetKind.STAFF, ExpenseType.OPERATING, "Concierge", "150000", "1"
            )
        ],
    )
    modernisation = Scheme.objects.get(slug="cglls-fsi-modernisation")
    line = services.add_plan_line(project=concierge, scheme=modernisation, amount=Decimal("60000"))
    services.move_application(
        line=line, to=ApplicationStatus.REQUESTED, on=_first_of_month(today, -14), amount=Decimal("60000"), by=staff
    )
    services.move_application(
        line=line, to=ApplicationStatus.OBTAINED, on=_first_of_month(today, -11), amount=Decimal("60000"), by=staff
    )

    start = _first_of_month(today, 3)
    agency = services.create_project(
        organisation=organisation,
        slug=AGENCY_SLUG,
        name="Agence mobile",
        description=(
            "Un bus qui fait le tour des résidences trois jours par semaine : permanences, aide aux démarches en "
            "ligne, rendez-vous avec la conseillère, animations pour les locataires âgés isolés."
        ),
        themes=[
            "mobilite",
            "numerique",
            "difficultes-administratives-ou-juridiques",
            "bailleur--prevention-perte-autonomie",
        ],
        stage=Stage.DELIVERY,
        start_on=start,
        request_on=_first_of_month(today, 1),
        duration_months=36,
        communes=communes,
    )
    services.set_budget_lines(project=agency, lines=agency_budget(start.year))
    services.add_plan_line(
        project=agency, scheme=Scheme.objects.get(slug="cglls-fsi-innovation"), amount=Decimal("150000")
    )
    services.add_plan_line(
        project=agency, scheme=Scheme.objects.get(slug="cfppa-actions-collectives"), amount=Decimal("20000")
    )
    return agency
