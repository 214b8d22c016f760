"""Writes of the offer: services, partners and their contacts, agreements, bundles; the agreements' alert e-mails.

Each function is one transaction: a service is saved with its themes, publics, places and hours, or not at all.
"""

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.billing import services as billing_services
from proxima.billing.enums import BillingMode
from proxima.offer import reference
from proxima.offer.enums import Weekday
from proxima.offer.models import (
    Bundle,
    Partner,
    PartnerContact,
    PartnershipAgreement,
    PartnerTheme,
    Service,
    ServiceHours,
    ServicePublic,
    ServiceTheme,
)

SERVICE_FIELDS = (
    "name",
    "description",
    "kind",
    "partner",
    "operating_mode",
    "address",
    "address_commune",
    "in_person",
    "remote",
    "hours_details",
    "how_to_access",
    "conditions",
    "referral_only",
    "contact_phone",
    "contact_email",
    "link",
    "billing_mode",
    "price",
    "price_details",
    "capacity",
    "start_date",
    "end_date",
    "status",
)
PARTNER_FIELDS = (
    "name",
    "kind",
    "siret",
    "description",
    "networks",
    "address",
    "commune",
    "phone",
    "email",
    "website",
    "account",
    "is_active",
)
AGREEMENT_FIELDS = (
    "object",
    "start_date",
    "end_date",
    "renewal",
    "alert_days",
    "amount",
    "amount_period",
    "amount_details",
)
BUNDLE_FIELDS = (
    "name",
    "description",
    "holder_age_min",
    "holder_age_max",
    "arrears_min_amount",
    "arrears_min_months",
    "lives_alone",
    "has_car",
    "is_active",
)


def _check_codes(codes: Collection[str], known: Mapping[str, str], what: str) -> list[str]:
    if unknown := sorted(set(codes) - set(known)):
        raise ValidationError(f"{what} inconnu : {', '.join(unknown)}.")
    return sorted(set(codes))


def _check_own(organisation, objects: Iterable, what: str) -> list:
    """Refuse another organisation's site, stop, partner or service: linking it would leak it."""
    objects = list(objects)
    if wrong := [str(o) for o in objects if o.organisation_id != organisation.pk]:
        raise ValidationError(f"{what} d'un autre organisme : {', '.join(wrong)}.")
    return objects


def _check_publics(publics: Collection[str]) -> list[str]:
    codes = _check_codes(publics, reference.public_labels(), "Public")
    if "tous-publics" in codes and len(codes) > 1:
        raise ValidationError(
            "« Tous publics » ne se combine pas avec d'autres publics : choisissez l'un ou les autres."
        )
    return codes


def _replace_rows(model, owner_field: str, owner, codes: list[str]) -> None:
    model.objects.filter(**{owner_field: owner}).exclude(code__in=codes).delete()
    existing = set(model.objects.filter(**{owner_field: owner}).values_list("code", flat=True))
    model.objects.bulk_create([model(**{owner_field: owner, "code": c}) for c in codes if c not in existing])


def _save_service(
    service: Service,
    *,
    values: Mapping,
    themes: Collection[str],
    publics: Collection[str],
    hours: Iterable[tuple[int, dt.time, dt.time]],
    sites: Iterable = (),
    communes: Iterable = (),
    stops: Iterable = (),
    billing: billing_services.BillingSettings | None = None,
    today: dt.date | None = None,
) -> Service:
    organisation = service.organisation
    themes = _check_codes(themes, reference.theme_labels(), "Thème")
    publics = _check_publics(publics)
    sites = _check_own(organisation, sites, "Résidence")
    stops = _check_own(organisation, stops, "Arrêt")
    periods = sorted(set(hours))
    for weekday, opens, closes in periods:
        if opens >= closes:
            raise ValidationError(
                f"Horaire impossible le {Weekday(weekday).label} : {opens:%H:%M} n'est pas avant {closes:%H:%M}."
            )
    for name in SERVICE_FIELDS:
        if name in values:
            setattr(service, name, values[name])
    if service.partner_id:
        _check_own(organisation, [service.partner], "Partenaire")
    if service.billing_mode == BillingMode.FREE and service.price == 0:
        service.price = None
    service.full_clean()
    service.save()
    _replace_rows(ServiceTheme, "service", service, themes)
    _replace_rows(ServicePublic, "service", service, publics)
    service.sites.set(sites)
    service.communes.set(list(communes))
    service.stops.set(stops)
    service.hours.all().delete()
    ServiceHours.objects.bulk_create(
        [ServiceHours(service=service, weekday=w, opens=o, closes=c) for w, o, c in periods]
    )
    # The billing framework has the last word: a mode it refuses rolls the whole service back.
    billing_services.bill_catalogue_service(
        offer_service=service, settings=billing, today=today or timezone.localdate()
    )
    return service


@transaction.atomic
def create_service(
    *,
    organisation,
    values: Mapping,
    themes=(),
    publics=(),
    hours=(),
    sites=(),
    communes=(),
    stops=(),
    billing: billing_services.BillingSettings | None = None,
    today: dt.date | None = None,
):
    """Add a service to the catalogue with its themes, publics, places, weekly hours and billing.

    A mode the landlord bills (recoverable charge, collective agreement, subscription) gets its billed service,
    set from ``billing`` and checked by the billing framework (``proxima.billing.rules``).
    """
    service = Service(organisation=organisation)
    return _save_service(
        service,
        values=values,
        themes=themes,
        publics=publics,
        hours=hours,
        sites=sites,
        communes=communes,
        stops=stops,
        billing=billing,
        today=today,
    )


@transaction.atomic
def update_service(
    *,
    service: Service,
    values: Mapping,
    themes=(),
    publics=(),
    hours=(),
    sites=(),
    communes=(),
    stops=(),
    billing: billing_services.BillingSettings | None = None,
    today: dt.date | None = None,
):
    """Change a service; its themes, publics, places and hours become exactly those given.

    ``billing`` None keeps what its billed service rests on; its mode is checked again all the same.
    """
    return _save_service(
        service,
        values=values,
        themes=themes,
        publics=publics,
        hours=hours,
        sites=sites,
        communes=communes,
        stops=stops,
        billing=billing,
        today=today,
    )


def _save_partner(partner: Partner, *, values: Mapping, themes: Collection[str], communes: Iterable) -> Partner:
    themes = _check_codes(themes, reference.theme_labels(), "Thème")
    for name in PARTNER_FIELDS:
        if name in values:
            setattr(partner, name, values[name])
    partner.full_clean()
    partner.save()
    _replace_rows(PartnerTheme, "partner", partner, themes)
    partner.communes.set(list(communes))
    return partner


@transaction.atomic
def create_partner(*, organisation, values: Mapping, themes=(), communes=()) -> Partner:
    """Add a partner with the themes and communes it covers."""
    return _save_partner(Partner(organisation=organisation), values=values, themes=themes, communes=communes)


@transaction.atomic
def update_partner(*, partner: Partner, values: Mapping, themes=(), communes=()) -> Partner:
    return _save_partner(partner, values=values, themes=themes, communes=communes)


@transaction.atomic
def save_partner_contacts(*, partner: Partner, contacts: Iterable[Mapping], delete_ids: Collection[int] = ()) -> None:
    """Add or change the partner's contacts (``id`` in a mapping: change that one), and delete ``delete_ids``."""
    own = {c.pk: c for c in partner.contacts.all()}
    if wrong := sorted(set(delete_ids) - set(own)):
        raise ValidationError(f"Contact inconnu : {', '.join(map(str, wrong))}.")
    for pk in delete_ids:
        own[pk].delete()
    for values in contacts:
        pk = values.get("id")
        if pk is not None and pk not in own:
            raise ValidationError(f"Contact inconnu : {pk}.")
        contact = own[pk] if pk is not None else PartnerContact(partner=partner)
        for name in ("name", "role", "email", "phone"):
            setattr(contact, name, (values.get(name) or "").strip())
        contact.full_clean()
        contact.save()


def _save_agreement(agreement: PartnershipAgreement, *, values: Mapping, document=None) -> PartnershipAgreement:
    for name in AGREEMENT_FIELDS:
        if name in values:
            setattr(agreement, name, values[name])
    agreement.full_clean(exclude=["document"])
    if document is not None:
        if agreement.document:
            agreement.document.delete(save=False)
        agreement.document_name = document.name[:255]
        agreement.document.save(document.name, document, save=False)
    agreement.save()
    return agreement


@transaction.atomic
def create_agreement(*, partner: Partner, values: Mapping, document=None) -> PartnershipAgreement:
    """Record an agreement with a partner, with its signed document if given."""
    return _save_agreement(PartnershipAgreement(partner=partner), values=values, document=document)


@transaction.atomic
def update_agreement(*, agreement: PartnershipAgreement, values: Mapping, document=None) -> PartnershipAgreement:
    """Change an agreement; a new document replaces the previous one."""
    return _save_agreement(agreement, values=values, document=document)


def _save_bundle(bundle: Bundle, *, values: Mapping, services: Iterable, sites: Iterable, communes: Iterable):
    organisation = bundle.organisation
    services = _check_own(organisation, services, "Service")
    sites = _check_own(organisation, sites, "Résidence")
    for name in BUNDLE_FIELDS:
        if name in values:
            setattr(bundle, name, values[name])
    bundle.full_clean()
    bundle.save()
    bundle.services.set(services)
    bundle.sites.set(sites)
    bundle.communes.set(list(communes))
    return bundle


@transaction.atomic
def create_bundle(*, organisation, values: Mapping, services=(), sites=(), communes=()) -> Bundle:
    """Create a bundle: its services and the rule selecting its target group."""
    return _save_bundle(
        Bundle(organisation=organisation), values=values, services=services, sites=sites, communes=communes
    )


@transaction.atomic
def update_bundle(*, bundle: Bundle, values: Mapping, services=(), sites=(), communes=()) -> Bundle:
    return _save_bundle(bundle, values=values, services=services, sites=sites, communes=communes)


def alert_recipients(organisation) -> list[str]:
    """Who hears about agreements coming to an end: the landlord's active admins and proximity team."""
    return list(
        organisation.users.filter(is_active=True, role__in=[Role.ADMIN, Role.STAFF])
        .order_by("email")
        .values_list("email", flat=True)
    )


def agreements_to_alert(*, today: dt.date):
    """Agreements in their alert window that no e-mail has announced yet for their current end date."""
    return (
        PartnershipAgreement.objects.ending_soon(today)
        .exclude(alerted_for=F("end_date"))
        .select_related("partner", "partner__organisation")
        .order_by("partner__organisation_id", "end_date", "id")
    )


def send_agreement_alerts(*, today: dt.date, wet_run: bool = False) -> list[tuple[object, list, list[str]]]:
    """E-mail each landlord's staff the agreements entering their alert window, once per end date.

    Returns ``[(organisation, agreements, recipients), …]``. In a dry run (the default) nothing is sent
    nor recorded; with ``wet_run`` each e-mail is sent and its agreements marked, one landlord at a time
    (an e-mail that fails leaves that landlord's agreements to alert the next day).
    """
    by_organisation: dict[int, tuple[object, list]] = {}
    for agreement in agreements_to_alert(today=today):
        organisation = agreement.partner.organisation
        by_organisation.setdefault(organisation.pk, (organisation, []))[1].append(agreement)
    report = []
    for organisation, agreements in by_organisation.values():
        recipients = alert_recipients(organisation)
        report.append((organisation, agreements, recipients))
        if not wet_run or not recipients:
            continue
        context = {"organisation": organisation, "agreements": agreements, "today": today}
        subject = render_to_string("offer/emails/agreements_ending_subject.txt", context).strip()
        with transaction.atomic():
            send_mail(subject, render_to_string("offer/emails/agreements_ending.txt", context), None, recipients)
            for agreement in agreements:
                agreement.alerted_for = agreement.end_date
                agreement.save(update_fields=["alerted_for"])
    return report
