"""Build the demo landlord: organisations, one user per role, and its synthetic stock and households.

Everything is upserted, so running the demo again changes nothing; the housing stock and
the households go through the same import as a landlord's real files.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from proxima.accounts.enums import OrganisationKind, PartnerType, Role
from proxima.accounts.models import Organisation, User
from proxima.demo.agency import AgencyDemoResult, build_agency_demo, next_tuesday
from proxima.demo.billing import BillingDemoResult, build_billing_demo
from proxima.demo.concierge import ConciergeDemoResult, build_concierge_demo
from proxima.demo.funding import build_funding_demo
from proxima.demo.generate import CommuneInfo, DemoParams, write_demo_files
from proxima.demo.needs import NeedsDemoResult, build_needs_demo
from proxima.demo.offer import OfferDemoResult, build_offer_demo
from proxima.demo.outreach import OutreachDemoResult, build_outreach_demo
from proxima.demo.referrals import build_referrals_demo
from proxima.imports.engine import ImportReport, run_import
from proxima.imports.households import HouseholdImporter
from proxima.imports.stock import StockImporter
from proxima.territory.models import Commune
from proxima.territory.reference import load_reference_data

DEMO_SLUG = "demo"
DEMO_DEPARTMENTS = ("36", "18")  # Indre and Cher: rural Centre-Val de Loire, all B2 or C
DEMO_PASSWORD = "proxima-demo-2026"

ORGANISATIONS = [
    {"slug": DEMO_SLUG, "name": "Berry Habitat Démo", "kind": OrganisationKind.LANDLORD},
    {
        "slug": "demo-lien-seniors",
        "name": "Lien Seniors Berry (association fictive, démo)",
        "kind": OrganisationKind.PARTNER,
        "partner_type": PartnerType.ASSOCIATION,
    },
    {
        "slug": "demo-mobilite",
        "name": "Mobilité Solidaire (entreprise fictive, démo)",
        "kind": OrganisationKind.PARTNER,
        "partner_type": PartnerType.COMPANY,
    },
    {
        "slug": "demo-ccas",
        "name": "CCAS intercommunal (organisme fictif, démo)",
        "kind": OrganisationKind.PARTNER,
        "partner_type": PartnerType.PUBLIC_BODY,
    },
]
USERS = [
    (DEMO_SLUG, "admin@demo.proxima.invalid", Role.ADMIN, "Anne", "Administratrice"),
    (DEMO_SLUG, "proximite@demo.proxima.invalid", Role.STAFF, "Paul", "Proximité"),
    (DEMO_SLUG, "terrain@demo.proxima.invalid", Role.FIELD_AGENT, "Théo", "Terrain"),
    (DEMO_SLUG, "lecture@demo.proxima.invalid", Role.READ_ONLY, "Léa", "Lecture"),
    ("demo-lien-seniors", "partenaire@demo.proxima.invalid", Role.PARTNER, "Pia", "Partenaire"),
    # The association's volunteer who calls elderly residents for the outreach programme (proxima.demo.outreach).
    ("demo-lien-seniors", "benevole@demo.proxima.invalid", Role.PARTNER, "Bruno", "Bénévole"),
]


@dataclass
class DemoResult:
    organisation: Organisation
    stock: ImportReport
    households: ImportReport
    needs: NeedsDemoResult | None
    logins: list[tuple[str, str, str]]  # (email, role label, organisation)
    agency: AgencyDemoResult | None = None
    offer: OfferDemoResult | None = None
    outreach: OutreachDemoResult | None = None
    concierge: ConciergeDemoResult | None = None
    billing: BillingDemoResult | None = None


def demo_communes() -> list[CommuneInfo]:
    return [
        CommuneInfo(c.code, c.name, c.population or 0, c.latitude, c.longitude)
        for c in Commune.objects.filter(
            department__in=DEMO_DEPARTMENTS,
            is_low_demand=True,
            is_arrondissement=False,
            latitude__isnull=False,
        ).order_by("code")
    ]


@transaction.atomic
def ensure_organisations_and_users() -> tuple[Organisation, list]:
    orgs = {}
    for spec in ORGANISATIONS:
        orgs[spec["slug"]], _ = Organisation.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "kind": spec["kind"],
                "partner_type": spec.get("partner_type", ""),
                "is_demo": True,
            },
        )
    logins = []
    for slug, email, role, first_name, last_name in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email)
        changed = (
            user.pk is None
            or user.organisation_id != orgs[slug].pk
            or user.role != role
            or not user.check_password(DEMO_PASSWORD)
        )
        if changed:
            user.organisation, user.role = orgs[slug], role
            user.first_name, user.last_name = first_name, last_name
            user.set_password(DEMO_PASSWORD)
            user.save()
        logins.append((email, role.label, orgs[slug].name))
    return orgs[DEMO_SLUG], logins


def build_demo(
    *,
    seed: int = 0,
    dwellings: int = 3000,
    sites: int | None = None,
    today: dt.date | None = None,
    agency: bool = True,
    agency_time_limit: int = 20,
    offer: bool = True,
    outreach_today: dt.date | None = None,
    concierge: bool = True,
    progress=None,
) -> DemoResult:
    """Build or refresh the demo. ``progress(step, done, total)`` reports the imports' progress.

    The mobile agency's schedule starts on the Tuesday after the real date, so that it is always to come;
    ``agency=False`` leaves the agency out; ``agency_time_limit`` is its planner's time in seconds;
    ``offer=False`` leaves the catalogue of services out (it lists the agency's stops when there are some). The
    outreach programme's six weeks of contacts end the day before ``outreach_today`` (the real date by default),
    so that its calendar is current. The concierge (``concierge=False`` leaves it out) is dated from the real date, so that its file shows
    requests of the last days and its office hours are to come; it is built after the agency, so that it
    holds office hours at one of the bus's stops.
    """
    load_reference_data()
    organisation, logins = ensure_organisations_and_users()
    # A fixed day per month keeps the demo identical when it is rebuilt within the month.
    today = today or dt.date.today().replace(day=1)
    params = DemoParams(dwellings=dwellings, sites=sites, today=today)
    directory = Path(settings.VAR_DIR) / "demo"
    stock_path, households_path = write_demo_files(directory, demo_communes(), params, seed=seed)

    def step(name):
        return (lambda done, total: progress(name, done, total)) if progress else None

    stock = run_import(StockImporter, stock_path, organisation=organisation, today=today, progress=step("stock"))
    households = run_import(
        HouseholdImporter,
        households_path,
        organisation=organisation,
        today=today,
        progress=step("households"),
    )
    needs = agency_result = offer_result = outreach_result = concierge_result = billing_result = None
    if stock.applied and households.applied:
        needs = build_needs_demo(organisation, today=today, seed=seed, progress=step("answers"))
        outreach_result = build_outreach_demo(organisation, today=outreach_today or timezone.localdate(), seed=seed)
        if agency:
            agency_result = build_agency_demo(
                organisation,
                start=next_tuesday(dt.date.today()),
                planner_seed=seed,
                time_limit=agency_time_limit,
            )
        if offer:
            offer_result = build_offer_demo(organisation, today=today)
            build_referrals_demo(organisation, today=today)
        build_funding_demo(organisation, today=today)
        if concierge:
            real_today = dt.date.today()
            concierge_result = build_concierge_demo(
                organisation, today=real_today, start=next_tuesday(real_today), seed=seed
            )
        billing_result = build_billing_demo(organisation, today=today)
    return DemoResult(
        organisation,
        stock,
        households,
        needs,
        logins,
        agency_result,
        offer=offer_result,
        outreach=outreach_result,
        concierge=concierge_result,
        billing=billing_result,
    )
