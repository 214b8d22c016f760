"""The demo's billed services: a recoverable charge, a Wi-Fi collective agreement on one site, an optional
subscription taken by a few elderly households with their consent, a free service, one paid to the partner,
and the last month billed. Deterministic: rebuilt the same from the same households and ``today``.

The Wi-Fi and the solidarity transport are services of the demo's catalogue (``proxima.demo.offer``): their
billed services are linked to them, the Wi-Fi's created by the catalogue itself on the agreement below.
"""

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
from proxima.offer.models import Service
from proxima.territory.models import Site

SUBSCRIBERS = 8
WIFI_CATALOGUE_NAME = "Wi-Fi à tarif négocié (démo)"
TRANSPORT_CATALOGUE_NAME = "Transport solidaire à la demande (démo)"
SERVICES = [
    # name, provider, mode, cost type, list entry, charge code, monthly amount, basis, service of the catalogue
    (
        "Taxe d'enlèvement des ordures ménagères",
        "Communauté de communes",
        BillingMode.RECOVERABLE_CHARGE,
        CostType.TAX,
        "VIII-teom",
        "TEOM",
        Decimal("12.40"),
        ChargeBasis.PER_HOUSEHOLD,
        None,
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
        WIFI_CATALOGUE_NAME,
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
        None,
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
        TRANSPORT_CATALOGUE_NAME,
    ),
]


@dataclass
class BillingDemoResult:
    agreement: CollectiveAgreement
    run: BillingRun


def previous_month(today: dt.date) -> Month:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return Month(last.year, last.month)


def wifi_agreement(organisation, today: dt.date) -> CollectiveAgreement:
    """The demo's Wi-Fi collective agreement on its first site (the same when rebuilt)."""
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
    return agreement


def wifi_billing(organisation, today: dt.date) -> services.BillingSettings:
    """What the catalogue's Wi-Fi is billed on: the agreement, with the landlord's charge code."""
    return services.BillingSettings(
        cost_type=CostType.OPERATION, agreement=wifi_agreement(organisation, today), charge_code="WIFI"
    )


def _billed_service(organisation, name: str, catalogue_name: str | None, mode: str, values: dict) -> BilledService:
    """The spec's billed service: the one the catalogue service links to, else the one of that name."""
    offer_service = (
        Service.objects.for_organisation(organisation).filter(name=catalogue_name, billing_mode=mode).first()
        if catalogue_name
        else None
    )
    linked = BilledService.objects.filter(offer_service=offer_service).first() if offer_service else None
    if linked is not None:
        for field, value in values.items():
            setattr(linked, field, value)
        linked.save()
        return linked
    service, _ = BilledService.objects.update_or_create(
        organisation=organisation, name=name, defaults={**values, "offer_service": offer_service}
    )
    return service


@transaction.atomic
def _build_settings(organisation, today: dt.date) -> CollectiveAgreement:
    agreement = wifi_agreement(organisation, today)
    start = dt.date(today.year - 1, 1, 1)
    for name, provider, mode, cost_type, cost_code, charge_code, amount, basis, catalogue_name in SERVICES:
        service = _billed_service(
            organisation,
            name,
            catalogue_name,
            mode,
            {
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
