"""The public schedule of the mobile agency: what residents see, and how dates and hours are written for them.

The schedule is the visits of an organisation's *published* plans (``TourPlan.published_at`` set), at active
stops, that are not over yet. The public pages, the calendar feeds, the posters, the letters and the booking pages all
read it from here, so they always agree on what is public.
"""

import datetime as dt

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from proxima.accounts.enums import OrganisationKind
from proxima.accounts.models import Organisation
from proxima.agency.models import AgencySettings, Stop, Visit

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
DEFAULT_SLOT_MINUTES = AgencySettings._meta.get_field("slot_minutes").default


def french_time(value: dt.time) -> str:
    """« 9 h 30 », « 14 h » : the way hours are written in French for the public (no leading zero)."""
    return f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"


def french_date(value: dt.date, *, today: dt.date | None = None) -> str:
    """« mardi 8 décembre », with the year when it is not the current one (« lundi 4 janvier 2027 »)."""
    today = today or timezone.localdate()
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{WEEKDAYS[value.weekday()]} {day} {MONTHS[value.month - 1]}"
    return text if value.year == today.year else f"{text} {value.year}"


def french_hours(start: dt.time, end: dt.time) -> str:
    """« de 9 h 30 à 11 h 30 »."""
    return f"de {french_time(start)} à {french_time(end)}"


def visit_when(visit: Visit, *, today: dt.date | None = None) -> str:
    """« mardi 8 décembre, de 9 h 30 à 11 h 30 »."""
    return f"{french_date(visit.day.date, today=today)}, {french_hours(visit.start, visit.end)}"


def public_organisation(slug: str) -> Organisation:
    """The landlord whose public schedule is asked for, or a 404."""
    try:
        return Organisation.objects.get(slug=slug, kind=OrganisationKind.LANDLORD)
    except Organisation.DoesNotExist:
        raise Http404 from None


def agency_settings(organisation: Organisation) -> AgencySettings:
    """The organisation's agency settings, unsaved defaults when it has none yet."""
    return AgencySettings.objects.filter(organisation=organisation).first() or AgencySettings(
        organisation=organisation
    )


def published_visits(organisation: Organisation):
    """Every visit of the organisation's published plans at an active stop, past ones included."""
    return (
        Visit.objects.published()
        .for_organisation(organisation)
        .filter(stop__is_active=True)
        .select_related("day__plan", "stop__commune")
        .order_by("day__date", "start", "stop__name", "pk")
    )


def upcoming_visits(organisation: Organisation, *, now: dt.datetime | None = None):
    """The public schedule: published visits that are not over, later days and today's still open at ``now``.

    A visit that ended earlier today is over: listing it, with a link to book, would send residents to an
    empty car park. Dates and hours of visits are wall-clock times in the project's time zone (Europe/Paris).
    """
    local = timezone.localtime(now)
    today = local.date()
    return published_visits(organisation).filter(Q(day__date__gt=today) | Q(day__date=today, end__gt=local.time()))


def published_stops(organisation: Organisation):
    """The active stops that appear in a published plan: those that have a public page."""
    return (
        Stop.objects.for_organisation(organisation)
        .active()
        .filter(visits__day__plan__published_at__isnull=False)
        .select_related("commune")
        .distinct()
        .order_by("name", "pk")
    )


def visit_starts_at(visit: Visit, value: dt.time | None = None) -> dt.datetime:
    """The aware date and time, in the project's time zone (Europe/Paris), of ``value`` (default: the opening)."""
    return timezone.make_aware(dt.datetime.combine(visit.day.date, value or visit.start))
