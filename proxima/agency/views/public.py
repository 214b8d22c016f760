"""public views: the bus's schedule for residents, its calendar feeds and the poster of each stop. No login.

Everything shown comes from the organisation's published plans (``public_schedule``): a stop or a commune
that is in no published plan has no page (404), and only the visits that are not over are listed. Posters and
letters outlive a plan, so such a 404 is a resident page (``NotOnSchedule``) that says the schedule changed and
leads to the current one; an unknown organisation stays the site's plain 404, which tells nothing. The pages need
no JavaScript and print cleanly; the calendar feeds let a resident or a town hall follow the schedule in
their own calendar; the poster is stuck on the walls of the site, so it is public too.
"""

import datetime as dt
import functools
from dataclasses import dataclass
from itertools import groupby

import icalendar
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from proxima.agency import public_schedule
from proxima.agency.models import Stop
from proxima.agency.public_schedule import french_date, french_hours, visit_starts_at, visit_when
from proxima.core import pdf
from proxima.core.pdf import PdfUnavailable
from proxima.needs.paper import qr_data_uri
from proxima.territory.models import Commune

# A poster lists this many dates at most (six weeks of a weekly stop), in type large enough to read from a
# few metres, and still fits one A4 page with three lines of services (tests/agency/test_public.py).
POSTER_DATES = 6


@dataclass(frozen=True)
class PublicVisit:
    """A visit as residents read it."""

    pk: int
    date: dt.date
    when: str  # « mardi 8 décembre, de 9 h 30 à 11 h 30 »
    day: str  # « mardi 8 décembre »
    hours: str  # « de 9 h 30 à 11 h 30 »
    stop_pk: int


def _public(visits, today) -> list[PublicVisit]:
    return [
        PublicVisit(
            pk=v.pk,
            date=v.day.date,
            when=visit_when(v, today=today),
            day=french_date(v.day.date, today=today),
            hours=french_hours(v.start, v.end),
            stop_pk=v.stop_id,
        )
        for v in visits
    ]


class NotOnSchedule(Http404):
    """A stop, commune or visit of a public organisation that is not, or no longer, on its published schedule.

    It is still an ``Http404``: a view without ``resident_not_found`` (the calendar feeds) answers the plain 404.
    """

    def __init__(self, organisation):
        super().__init__("Not on the public schedule.")
        self.organisation = organisation


def resident_not_found(view):
    """Answer ``NotOnSchedule`` with a 404 page for residents, in the organisation's public layout.

    A poster with its QR code stays on the wall after the plan changes: the resident who scans it must learn that
    the schedule changed and where to find it, not meet the staff's 404 that links to a login.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotOnSchedule as error:
            return render(
                request,
                "agency/public/not_on_schedule.html",
                _base_context(request, error.organisation),
                status=404,
            )

    return wrapper


def _stop(organisation, pk) -> Stop:
    try:
        return public_schedule.published_stops(organisation).get(pk=pk)
    except Stop.DoesNotExist:
        raise NotOnSchedule(organisation) from None


def _commune(organisation, code) -> Commune:
    """The commune, when one of the organisation's published stops is in it."""
    place = Commune.objects.filter(pk=code).first()
    if place is None or not public_schedule.published_stops(organisation).filter(commune=place).exists():
        raise NotOnSchedule(organisation)
    return place


def _stops_with_visits(organisation, stops, now):
    """Each stop with its upcoming visits, in name order."""
    visits = _public(public_schedule.upcoming_visits(organisation, now=now).filter(stop__in=stops), now.date())
    by_stop = {}
    for visit in visits:
        by_stop.setdefault(visit.stop_pk, []).append(visit)
    return [{"stop": stop, "visits": by_stop.get(stop.pk, [])} for stop in stops]


def _base_context(request, organisation):
    agency = public_schedule.agency_settings(organisation)
    return {"organisation": organisation, "phone": agency.contact_phone}


def index(request, org):
    """The communes the bus serves, each with its stops and the next date."""
    organisation = public_schedule.public_organisation(org)
    now = timezone.localtime()
    today = now.date()
    stops = list(public_schedule.published_stops(organisation).order_by("commune__name", "name", "pk"))
    next_visits = {}
    for visit in public_schedule.upcoming_visits(organisation, now=now):
        next_visits.setdefault(visit.stop_id, visit)
    communes = []
    for commune, group in groupby(stops, key=lambda s: s.commune):
        entries = [
            {"stop": s, "next": _public([next_visits[s.pk]], today)[0] if s.pk in next_visits else None} for s in group
        ]
        communes.append({"commune": commune, "stops": entries})
    return render(
        request,
        "agency/public/index.html",
        {**_base_context(request, organisation), "communes": communes, "has_upcoming": bool(next_visits)},
    )


@resident_not_found
def commune(request, org, code):
    """The stops of one commune and their next dates."""
    organisation = public_schedule.public_organisation(org)
    place = _commune(organisation, code)
    now = timezone.localtime()
    stops = list(public_schedule.published_stops(organisation).filter(commune=place))
    return render(
        request,
        "agency/public/commune.html",
        {
            **_base_context(request, organisation),
            "commune": place,
            "stops": _stops_with_visits(organisation, stops, now),
        },
    )


@resident_not_found
def stop(request, org, pk):
    """One stop: where it is, what can be done there, its next dates and hours, how to book."""
    organisation = public_schedule.public_organisation(org)
    place = _stop(organisation, pk)
    now = timezone.localtime()
    visits = _public(public_schedule.upcoming_visits(organisation, now=now).filter(stop=place), now.date())
    return render(
        request,
        "agency/public/stop.html",
        {**_base_context(request, organisation), "stop": place, "visits": visits},
    )


def _calendar_response(request, organisation, visits, *, name: str, filename: str) -> HttpResponse:
    """An iCalendar file of ``visits``: one event per visit, with a UID that stays the same on every download.

    The VTIMEZONE of Europe/Paris is always there, so that a feed without visits still has a component (RFC 5545,
    3.6). DTSTAMP is when the feed is generated, in UTC, as RFC 5545 (3.8.7.2) asks of a feed with a METHOD.
    """
    agency = public_schedule.agency_settings(organisation)
    generated_at = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    visits = list(visits)
    dates = [visit.day.date for visit in visits] or [timezone.localdate()]
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Proxima//Agence mobile//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add_component(
        icalendar.Timezone.from_tzid(
            settings.TIME_ZONE,
            first_date=min(dates) - dt.timedelta(days=366),
            last_date=max(dates) + dt.timedelta(days=366),
        )
    )
    for visit in visits:
        place = visit.stop
        page = request.build_absolute_uri(reverse("agency_public:stop", args=[organisation.slug, place.pk]))
        description = [f"Le bus de l'agence mobile de {organisation.name} : {place.name}."]
        if place.services:
            description.append(f"Ce que vous pouvez y faire : {place.services}")
        description.append(f"Prendre rendez-vous : {page}")
        if agency.contact_phone:
            description.append(f"Téléphone : {agency.contact_phone}")
        event = icalendar.Event()
        event.add("uid", f"passage-{visit.pk}.{organisation.slug}@proxima")
        event.add("dtstamp", generated_at)
        event.add("dtstart", visit_starts_at(visit))
        event.add("dtend", visit_starts_at(visit, visit.end))
        event.add("summary", f"Agence mobile · {place.name}")
        event.add("location", ", ".join(filter(None, [place.name, place.address, place.commune.name])))
        event.add("geo", (place.latitude, place.longitude))
        event.add("description", "\n".join(description))
        event.add("url", page)
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


def calendar(request, org):
    organisation = public_schedule.public_organisation(org)
    return _calendar_response(
        request,
        organisation,
        public_schedule.upcoming_visits(organisation),
        name=f"Agence mobile · {organisation.name}",
        filename=f"agence-mobile-{organisation.slug}",
    )


def commune_calendar(request, org, code):
    organisation = public_schedule.public_organisation(org)
    place = _commune(organisation, code)
    return _calendar_response(
        request,
        organisation,
        public_schedule.upcoming_visits(organisation).filter(stop__commune=place),
        name=f"Agence mobile · {place.name}",
        filename=f"agence-mobile-{slugify(place.name)}",
    )


def stop_calendar(request, org, pk):
    organisation = public_schedule.public_organisation(org)
    place = _stop(organisation, pk)
    return _calendar_response(
        request,
        organisation,
        public_schedule.upcoming_visits(organisation).filter(stop=place),
        name=f"Agence mobile · {place.name}",
        filename=f"agence-mobile-{slugify(place.name)}",
    )


def poster_html(request, organisation, place: Stop) -> str:
    """The poster of a stop as HTML for WeasyPrint: large dates and hours, services, how to book, a QR code."""
    now = timezone.localtime()
    today = now.date()
    visits = _public(public_schedule.upcoming_visits(organisation, now=now).filter(stop=place), today)
    page = request.build_absolute_uri(reverse("agency_public:stop", args=[organisation.slug, place.pk]))
    return render_to_string(
        "agency/poster.html",
        {
            "organisation": organisation,
            "stop": place,
            "visits": visits[:POSTER_DATES],
            "more_dates": len(visits) > POSTER_DATES,
            "page": page,
            "qr": qr_data_uri(page),
            "phone": public_schedule.agency_settings(organisation).contact_phone,
            # « 1er décembre 2026 »: the poster stays on the wall, so its printing date keeps the year.
            "printed_on": f"{french_date(today, today=today)} {today.year}",
        },
    )


@resident_not_found
def poster(request, org, pk):
    """The stop's poster in PDF (A4), to print and stick on the site's walls."""
    organisation = public_schedule.public_organisation(org)
    place = _stop(organisation, pk)
    try:
        content = pdf.render_document(poster_html(request, organisation, place)).write_pdf()
    except PdfUnavailable as error:
        return render(
            request,
            "agency/public/poster_unavailable.html",
            {**_base_context(request, organisation), "stop": place, "detail": str(error)},
            status=503,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="affiche-{slugify(place.name)}.pdf"'
    return response


urlpatterns = [
    path("<slug:org>/", index, name="index"),
    path("<slug:org>/agenda.ics", calendar, name="calendar"),
    path("<slug:org>/commune/<str:code>/", commune, name="commune"),
    path("<slug:org>/commune/<str:code>/agenda.ics", commune_calendar, name="commune_calendar"),
    path("<slug:org>/arret/<int:pk>/", stop, name="stop"),
    path("<slug:org>/arret/<int:pk>/agenda.ics", stop_calendar, name="stop_calendar"),
    path("<slug:org>/arret/<int:pk>/affiche.pdf", poster, name="poster"),
]
