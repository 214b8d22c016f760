"""The demo's billed services: a recoverable charge, a Wi-Fi collective agreement on one site, an optional
subscription taken by a few elderly households with their consent, a free service, one paid to the partner,
and the last month billed. Deterministic: rebuilt the same from the same households and ``today``."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.enums import BillingMode, ChargeBasis, CostType
from proxima.billing.models import BilledService, BillingRun, ChargeRule, CollectiveAgreement, Subscription
from proxima.households.enums import ConsentChannel
from proxima.households.models import Household
from proxima.territory.models import Site

SUBSCRIBERS = 8
SERVICES = [
    # name, provider, mode, cost type, list entry, charge code, monthly amount, basis
    (
        "Taxe d'enlèvement des ordures ménagères",
        "Communauté de communes",
        BillingMode.RECOVERABLE_CHARGE,
        CostType.TAX,
        "VIII-teom",
        "TEOM",
        Decimal("12.40"),
        ChargeBasis.PER_HOUSEHOLD,
    ),
    (
        "Wi-Fi à prix négocié",
        "Opérateur local (fictif, démo)",
        BillingMode.COLLECTIVE_AGREEMENT,
        CostType.OPERATION,
        "",
        "WIFI",
        Decimal("9.90"),
        ChargeBasis.PER_DWELLING,
    ),
    (
        "Téléassistance",
        "Lien Seniors Berry (association fictive, démo)",
        BillingMode.SUBSCRIPTION,
        CostType.OPERATION,
        "",
        "TELEASS",
        Decimal("15.00"),
        ChargeBasis.PER_HOUSEHOLD,
    ),
    (
        "Dépôt de pain à la conciergerie",
        "Boulangerie partenaire",
        BillingMode.FREE,
        CostType.OPERATION,
        "",
        "",
        None,
        None,
    ),
    (
        "Transport solidaire",
        "Mobilité Solidaire (entreprise fictive, démo)",
        BillingMode.PAID_TO_PARTNER,
        CostType.OPERATION,
        "",
        "",
        None,
        None,
    ),
]


@dataclass
class BillingDemoResult:
    agreement: CollectiveAgreement
    run: BillingRun


def previous_month(today: dt.date) -> Month:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return Month(last.year, last.month)


@transaction.atomic
def _build_settings(organisation, today: dt.date) -> CollectiveAgreement:
    site = Site.objects.for_organisation(organisation).order_by("reference").first()
    agreement, _ = CollectiveAgreement.objects.update_or_create(
        organisation=organisation,
        reference="ACL-WIFI-DEMO",
        defaults={
            "title": "Accès Wi-Fi à prix négocié (accord fictif, démo)",
            "signed_on": dt.date(today.year - 1, 12, 1),
            "valid_from": dt.date(today.year - 1, 1, 1),
            "valid_until": None,
        },
    )
    agreement.sites.set([site])
    start = dt.date(today.year - 1, 1, 1)
    for name, provider, mode, cost_type, cost_code, charge_code, amount, basis in SERVICES:
        service, _ = BilledService.objects.update_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "provider": provider,
                "mode": mode,
                "cost_type": cost_type,
                "cost_code": cost_code,
                "charge_code": charge_code,
                "agreement": agreement if mode == BillingMode.COLLECTIVE_AGREEMENT else None,
            },
        )
        if amount is not None:
            ChargeRule.objects.update_or_create(
                organisation=organisation,
                service=service,
                valid_from=start,
                defaults={"amount": amount, "basis": basis, "valid_until": None},
            )
    alarm = BilledService.objects.get(organisation=organisation, name="Téléassistance")
    elderly = (
        Household.objects.for_organisation(organisation).filter(holder_birth_year__lte=1950).order_by("reference")
    )
    for i, household in enumerate(elderly[:SUBSCRIBERS]):
        if not Subscription.objects.active().filter(service=alarm, household=household).exists():
            Subscription.objects.create(
                organisation=organisation,
                service=alarm,
                household=household,
                consent_given_on=today - dt.timedelta(days=20 + 9 * i),  # some within the month billed: pro rata
                consent_channel=[ConsentChannel.PAPER, ConsentChannel.PHONE, ConsentChannel.IN_PERSON][i % 3],
            )
    return agreement


def build_billing_demo(organisation, *, today: dt.date) -> BillingDemoResult:
    """Set the demo's billed services and bill the month before ``today`` (re-billed, same lines, on a rebuild)."""
    agreement = _build_settings(organisation, today)
    run, _ = services.run_month(organisation=organisation, month=previous_month(today))
    return BillingDemoResult(agreement=agreement, run=run)
