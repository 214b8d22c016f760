"""letters views: the texts announcing the bus to the households of each stop, exported for a mail merge.

No message is sent from here: the landlord merges the file into its own letter or SMS tool. For a published
plan, each household within walking distance of a stop (``AgencySettings.walking_radius_m``, as the planner
counts it: ``agency.demand.stop_households``) gets one row: its lease reference, the lease holder, its address,
the stop, the stop's next dates, an SMS text of at most 160 GSM characters (one SMS) and a letter. A household
within reach of several stops gets one row, about the nearest. Field agents export the households of their
sites only; every export is audited (it names households).
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from proxima.accounts import audit, perms
from proxima.agency import public_schedule
from proxima.agency.demand import HouseholdDemand, StopPlace, stop_households
from proxima.agency.models import Stop, TourPlan, Visit
from proxima.agency.public_schedule import french_hours, visit_when
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.households.enums import ConsentPurpose, PersonRole
from proxima.households.models import Consent, Household, Person
from proxima.territory.geo import distance_km

SMS_LENGTH = 160  # characters of the GSM 7-bit alphabet in one SMS; any other character halves it (UCS-2: 70)
SMS_DATES = 3  # dates named in an SMS at most
SMS_NAME_LENGTH = 40  # names of organisations and stops are cut to this when the SMS would not fit otherwise
# The GSM 03.38 basic character set: each counts as one of the 160 characters.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_REPLACEMENTS = {
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "…": "...",
}


def gsm_text(text: str) -> str:
    """``text`` in the GSM basic alphabet, so that an SMS holds 160 characters: accents outside it are dropped
    (« â » → « a »), typographic quotes and dashes made plain, anything else left out."""
    out = []
    for ch in text:
        ch = GSM_REPLACEMENTS.get(ch, ch)
        if all(c in GSM_BASIC for c in ch):
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in plain if c in GSM_BASIC))
    return "".join(out)


def _short_date(visit: Visit) -> str:
    """« 8/12 de 9h30 à 11h30 »: the hours written short, as in an SMS."""
    return f"{visit.day.date.day}/{visit.day.date.month} " + french_hours(visit.start, visit.end).replace(" h ", "h")


def sms_text(*, organisation: str, stop: str, visits: list[Visit], phone: str, url: str) -> str:
    """The SMS announcing the stop's next dates, in one SMS (at most 160 GSM characters).

    What matters most is kept when it does not all fit: the first date and the phone number, then more dates,
    then the booking page; very long names of the organisation or the stop are cut.
    """
    if not visits:
        raise ValueError("Expected at least one visit.")

    def text(names: tuple[str, str], count: int, with_phone: bool, with_url: bool) -> str:
        dates = ", ".join(f"le {_short_date(v)}" for v in visits[:count])
        booking = []
        if with_url:
            booking.append(url)
        if with_phone and phone:
            booking.append(f"au {phone}")
        tail = f" RDV : {' ou '.join(booking)}" if booking else ""
        return gsm_text(f"{names[0]} : le bus de l'agence sera à {names[1]} {dates}.{tail}")

    most = min(SMS_DATES, len(visits))
    candidates = []
    for names in ((organisation, stop), (_shorten(organisation), _shorten(stop))):
        candidates += [text(names, n, True, True) for n in range(most, 0, -1)]
        candidates += [text(names, n, True, False) for n in range(most, 0, -1)]
    for candidate in candidates:
        if len(candidate) <= SMS_LENGTH:
            return candidate
    return text((_shorten(organisation), _shorten(stop)), 1, False, False)[:SMS_LENGTH]


def _shorten(name: str, length: int = SMS_NAME_LENGTH) -> str:
    return name if len(name) <= length else name[: length - 3].rstrip() + "..."


def letter_text(*, organisation: str, stop: Stop, visits: list[Visit], phone: str, url: str, today) -> str:
    """The letter announcing the bus, in plain language, ready for a mail merge."""
    where = ", ".join(filter(None, [stop.name, stop.address]))
    lines = [
        "Madame, Monsieur,",
        "",
        f"Le bus de l'agence mobile de {organisation} s'arrête près de chez vous : {where}, à {stop.commune.name}.",
        "",
        "Prochains passages :",
        *(f"- {visit_when(v, today=today)}" for v in visits),
        "",
    ]
    if stop.services:
        lines += [f"Ce que vous pouvez y faire : {stop.services.strip()}", ""]
    booking = f"sur {url}" + (f" ou par téléphone au {phone}" if phone else "")
    lines += [
        "Vous pouvez venir sans rendez-vous. Pour être reçu à une heure précise, prenez rendez-vous " + booking + ".",
        "",
        "Nous serons heureux de vous accueillir.",
        organisation,
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class LetterRow:
    household: Household
    holder: str
    address: str
    stop: Stop
    dates: str
    sms_accepted: bool
    sms: str
    letter: str


LETTER_EXPORT = [
    ExportColumn("référence du bail", lambda r: r.household.reference),
    ExportColumn("titulaire du bail", lambda r: r.holder),
    ExportColumn("adresse", lambda r: r.address),
    ExportColumn("arrêt", lambda r: r.stop.name),
    ExportColumn("commune de l'arrêt", lambda r: r.stop.commune.name),
    ExportColumn("prochains passages", lambda r: r.dates),
    ExportColumn("accepte les SMS", lambda r: r.sms_accepted),
    ExportColumn("texte du SMS", lambda r: r.sms),
    ExportColumn("texte du courrier", lambda r: r.letter),
]


def _holder(household: Household) -> str:
    persons = list(household.persons.all())
    holders = [p for p in persons if p.role == PersonRole.REFERENCE] or persons
    if not holders:
        return ""
    return f"{holders[0].first_name} {holders[0].last_name.upper()}".strip()


def _address(household: Household) -> str:
    dwelling = household.dwelling
    site = dwelling.building.site
    postcode = site.commune.postcodes.split("|")[0] if site.commune.postcodes else ""
    street = dwelling.building.address or site.address
    parts = [f"Logement {dwelling.reference}", site.name, street, f"{postcode} {site.commune.name}".strip()]
    return ", ".join(p for p in parts if p)


def _households(user):
    return (
        Household.objects.visible_to(user)
        .select_related("dwelling__building__site__commune")
        .prefetch_related(
            Prefetch("persons", queryset=Person.objects.order_by("pk")),
            Prefetch(
                "consents",
                queryset=Consent.objects.active().filter(purpose=ConsentPurpose.SMS),
                to_attr="sms_consents",
            ),
        )
        .order_by("reference", "pk")
    )


def letter_rows(request, plan: TourPlan, stops: list[Stop], *, today: dt.date) -> list[LetterRow]:
    """One row per household within walking distance of one of ``stops``, about the nearest such stop."""
    organisation = plan.organisation
    agency = public_schedule.agency_settings(organisation)
    visits = {}
    # As on the public schedule: a withdrawn stop (inactive) is not announced.
    for visit in (
        Visit.objects.filter(day__plan=plan, stop__in=stops, stop__is_active=True, day__date__gte=today)
        .select_related("day", "stop")
        .order_by("day__date", "start")
    ):
        visits.setdefault(visit.stop_id, []).append(visit)
    stops = [s for s in stops if s.pk in visits]
    households = list(_households(request.user))
    positions = {h.pk: (h.dwelling.building.site.latitude, h.dwelling.building.site.longitude) for h in households}
    reached = stop_households(
        [StopPlace(id=s.pk, lat=s.latitude, lon=s.longitude) for s in stops],
        [HouseholdDemand(id=h.pk, lat=lat, lon=lon) for h in households for lat, lon in [positions[h.pk]]],
        agency.walking_radius_m,
    )
    by_pk = {s.pk: s for s in stops}
    nearest: dict[int, Stop] = {}
    for stop_id, household_ids in reached.items():
        place = by_pk[stop_id]
        for household_id in household_ids:
            current = nearest.get(household_id)
            if current is None or distance_km(*positions[household_id], place.latitude, place.longitude) < distance_km(
                *positions[household_id], current.latitude, current.longitude
            ):
                nearest[household_id] = place
    texts = {}
    for place in stops:
        url = request.build_absolute_uri(reverse("agency_public:stop", args=[organisation.slug, place.pk]))
        stop_visits = visits[place.pk]
        texts[place.pk] = (
            " ; ".join(visit_when(v, today=today) for v in stop_visits),
            sms_text(
                organisation=organisation.name,
                stop=place.name,
                visits=stop_visits,
                phone=agency.contact_phone,
                url=url,
            ),
            letter_text(
                organisation=organisation.name,
                stop=place,
                visits=stop_visits,
                phone=agency.contact_phone,
                url=url,
                today=today,
            ),
        )
    rows = []
    for household in households:
        place = nearest.get(household.pk)
        if place is None:
            continue
        dates, sms, letter = texts[place.pk]
        rows.append(
            LetterRow(
                household=household,
                holder=_holder(household),
                address=_address(household),
                stop=place,
                dates=dates,
                sms_accepted=bool(household.sms_consents),
                sms=sms,
                letter=letter,
            )
        )
    rows.sort(key=lambda r: (r.stop.name, r.stop.pk, r.address, r.household.reference))
    return rows


def _plan(request, plan_pk) -> TourPlan:
    """A published plan of the user's organisation: letters announce the public schedule only."""
    return get_object_or_404(
        TourPlan.objects.for_organisation(request.user.organisation).published().select_related("organisation"),
        pk=plan_pk,
    )


def _format(request) -> str:
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _export(request, plan, stops, *, what: str, filename: str):
    fmt = _format(request)
    rows = letter_rows(request, plan, stops, today=timezone.localdate())
    audit.record_household_export(request, fmt=fmt, count=len(rows), what=what)
    return export_response(fmt, filename, LETTER_EXPORT, rows)


@require(perms.can_manage_appointments)
def plan_letters(request, plan_pk):
    """Letters and SMS texts for the households of every stop of a published plan."""
    plan = _plan(request, plan_pk)
    stops = list(Stop.objects.filter(visits__day__plan=plan).select_related("commune").distinct())
    return _export(
        request,
        plan,
        stops,
        what=f"courriers de l'agence mobile · {plan.name}",
        filename=f"courriers-{slugify(plan.name)}",
    )


@require(perms.can_manage_appointments)
def stop_letters(request, plan_pk, stop_pk):
    """Letters and SMS texts for the households of one stop of a published plan."""
    plan = _plan(request, plan_pk)
    place = get_object_or_404(
        Stop.objects.filter(visits__day__plan=plan).select_related("commune").distinct(), pk=stop_pk
    )
    return _export(
        request,
        plan,
        [place],
        what=f"courriers de l'agence mobile · {plan.name} · {place.name}",
        filename=f"courriers-{slugify(place.name)}",
    )


urlpatterns = [
    path("courriers/tournee/<int:plan_pk>/", plan_letters, name="plan_letters"),
    path("courriers/tournee/<int:plan_pk>/arret/<int:stop_pk>/", stop_letters, name="stop_letters"),
]
