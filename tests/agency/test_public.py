"""The public schedule: pages per organisation, commune and stop, calendar feeds and posters. No login."""

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.agency import public_schedule
from proxima.core import pdf
from proxima.core.pdf import PdfUnavailable
from tests.agency.factories import StopFactory, TourPlanFactory
from tests.agency.factories_public import agency_settings, published_visit
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture
def schedule(landlord):
    """Two stops in Châteauroux and one in Déols, each visited next week; a past and a draft visit too."""
    agency_settings(landlord)
    square = StopFactory(
        organisation=landlord, name="Place du Marché", address="Place Gambetta", services="Aide aux démarches."
    )
    tilleuls = StopFactory(
        organisation=landlord, at_site=True, site=SiteFactory(organisation=landlord, name="Les Tilleuls")
    )
    deols = StopFactory(organisation=landlord, name="Mairie de Déols", commune_id="36063")
    visit = published_visit(landlord, days=7, stop=square)
    plan = visit.day.plan
    later = published_visit(landlord, days=14, stop=square, plan=plan, start=T(14, 0), end=T(16, 0))
    published_visit(landlord, days=7, stop=tilleuls, plan=plan, start=T(13, 30), end=T(15, 0))
    published_visit(landlord, days=8, stop=deols, plan=plan)
    past = published_visit(landlord, days=-7, stop=square, plan=TourPlanFactory(organisation=landlord, published=True))
    draft_stop = StopFactory(organisation=landlord, name="Arrêt en projet")
    published_visit(landlord, days=7, stop=draft_stop, plan=TourPlanFactory(organisation=landlord))
    return {
        "square": square,
        "tilleuls": tilleuls,
        "deols": deols,
        "visit": visit,
        "later": later,
        "past": past,
        "draft_stop": draft_stop,
        "plan": plan,
    }


def url(name, landlord, *args):
    return reverse(f"agency_public:{name}", args=[landlord.slug, *args])


class TestFrenchWording:
    @pytest.mark.parametrize(("value", "expected"), [(T(9, 30), "9 h 30"), (T(14, 0), "14 h"), (T(8, 5), "8 h 05")])
    def test_time(self, value, expected):
        """Hours as French people write them for the public."""
        assert public_schedule.french_time(value) == expected

    def test_date(self):
        """Weekday, day and month, « 1er » for the first, the year only when it is not this year's."""
        today = dt.date(2026, 11, 29)
        assert public_schedule.french_date(dt.date(2026, 12, 8), today=today) == "mardi 8 décembre"
        assert public_schedule.french_date(dt.date(2026, 12, 1), today=today) == "mardi 1er décembre"
        assert public_schedule.french_date(dt.date(2027, 1, 4), today=today) == "lundi 4 janvier 2027"

    def test_hours(self):
        assert public_schedule.french_hours(T(9, 30), T(11, 30)) == "de 9 h 30 à 11 h 30"


class TestIndex:
    def test_communes_and_stops_without_login(self, client, landlord, schedule):
        """The communes served, each stop with its next date, the phone; draft plans' stops are absent."""
        response = client.get(url("index", landlord))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Châteauroux" in content and "Déols" in content
        assert "Place du Marché" in content and "Les Tilleuls" in content
        assert public_schedule.visit_when(schedule["visit"]) in content
        assert "02 54 00 00 00" in content
        assert "Arrêt en projet" not in content
        assert reverse("agency_public:commune", args=[landlord.slug, "36063"]) in content

    def test_without_schedule(self, client, landlord):
        """A landlord without a published plan: a plain message, not an error."""
        response = client.get(url("index", landlord))
        assert response.status_code == 200
        assert "Aucun passage du bus n'est prévu pour le moment" in response.content.decode()

    def test_unknown_organisation(self, client, db):
        """An unknown slug is a 404."""
        assert client.get(reverse("agency_public:index", args=["inconnu"])).status_code == 404

    def test_a_partner_has_no_schedule(self, client):
        """Only landlords run a bus: a partner's slug is a 404."""
        from tests.accounts.factories import OrganisationFactory

        partner = OrganisationFactory(partner=True)
        assert client.get(reverse("agency_public:index", args=[partner.slug])).status_code == 404


class TestCommune:
    def test_stops_of_the_commune(self, client, landlord, schedule):
        """Châteauroux's stops with their dates; Déols's stop is on its own page."""
        response = client.get(url("commune", landlord, "36044"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Place du Marché" in content and "Les Tilleuls" in content
        assert "Mairie de Déols" not in content
        assert public_schedule.visit_when(schedule["later"]).capitalize() in content

    @pytest.mark.parametrize("code", ["75056", "99999"])
    def test_a_commune_without_stop_is_a_404(self, client, landlord, schedule, code):
        """Paris (no stop) and a code that is no commune are 404s."""
        assert client.get(url("commune", landlord, code)).status_code == 404

    def test_another_landlords_commune_is_a_404(self, client, landlord, other_landlord, schedule):
        """Châteauroux is on landlord A's schedule, not on B's."""
        assert client.get(url("commune", other_landlord, "36044")).status_code == 404


class TestStop:
    def test_dates_hours_services_phone_and_booking(self, client, landlord, schedule):
        """The next dates and hours in words, what can be done there, the phone, a booking link per date."""
        response = client.get(url("stop", landlord, schedule["square"].pk))
        assert response.status_code == 200
        content = response.content.decode()
        visit, later = schedule["visit"], schedule["later"]
        assert f"{public_schedule.french_date(visit.day.date)}, de 9 h 30 à 11 h 30".capitalize() in content
        assert f"{public_schedule.french_date(later.day.date)}, de 14 h à 16 h".capitalize() in content
        assert "Aide aux démarches." in content
        assert "02 54 00 00 00" in content
        assert reverse("agency_public:book", args=[landlord.slug, visit.pk]) in content
        assert reverse("agency_public:cancel", args=[landlord.slug]) in content

    def test_only_visits_from_today_on(self, client, landlord, schedule):
        """Last week's visit is not listed."""
        content = client.get(url("stop", landlord, schedule["square"].pk)).content.decode()
        assert public_schedule.french_date(schedule["past"].day.date) not in content

    def test_todays_visit_is_listed(self, client, landlord, schedule):
        """A visit today is still on the page."""
        today = published_visit(landlord, days=0, stop=schedule["deols"], plan=schedule["plan"])
        content = client.get(url("stop", landlord, schedule["deols"].pk)).content.decode()
        assert public_schedule.french_date(today.day.date) in content

    def test_unpublished_inactive_or_foreign_stops_are_404s(self, client, landlord, other_landlord, schedule):
        """A stop of a draft plan only, an inactive stop, another landlord's stop or an unknown one: 404."""
        assert client.get(url("stop", landlord, schedule["draft_stop"].pk)).status_code == 404
        assert client.get(url("stop", other_landlord, schedule["square"].pk)).status_code == 404
        assert client.get(url("stop", landlord, 999999)).status_code == 404
        schedule["tilleuls"].is_active = False
        schedule["tilleuls"].save()
        assert client.get(url("stop", landlord, schedule["tilleuls"].pk)).status_code == 404
        assert client.get(url("stop_calendar", landlord, schedule["draft_stop"].pk)).status_code == 404
        assert client.get(url("poster", landlord, schedule["draft_stop"].pk)).status_code == 404

    def test_print_stylesheet(self, client, landlord, schedule):
        """The page loads the stylesheet that has the print rules."""
        content = client.get(url("stop", landlord, schedule["square"].pk)).content.decode()
        assert "agency/public.css" in content


def events(response):
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


class TestCalendar:
    def test_organisation_feed(self, client, landlord, schedule):
        """One event per upcoming published visit, none for past or draft ones, in Europe/Paris time."""
        found = events(client.get(url("calendar", landlord)))
        assert len(found) == 4
        event = found[f"passage-{schedule['visit'].pk}.{landlord.slug}@proxima"]
        date = schedule["visit"].day.date
        assert event.start == dt.datetime.combine(date, T(9, 30), tzinfo=timezone.get_current_timezone())
        assert str(event.start.tzinfo) == "Europe/Paris"
        assert event.end.time() == T(11, 30)
        assert "Place du Marché" in str(event["LOCATION"]) and "Châteauroux" in str(event["LOCATION"])
        assert "Aide aux démarches." in str(event["DESCRIPTION"])
        assert "02 54 00 00 00" in str(event["DESCRIPTION"])
        assert str(event["URL"]).endswith(url("stop", landlord, schedule["square"].pk))

    def test_uids_are_stable(self, client, landlord, schedule):
        """Downloading again gives the same events: calendars update them instead of adding copies."""
        first = events(client.get(url("calendar", landlord)))
        second = events(client.get(url("calendar", landlord)))
        assert set(first) == set(second)
        # The same events but for DTSTAMP, the time each download was made.
        for event in (*first.values(), *second.values()):
            del event["DTSTAMP"]
        assert [e.to_ical() for e in first.values()] == [e.to_ical() for e in second.values()]

    def test_stop_and_commune_feeds(self, client, landlord, schedule):
        """A stop's feed has its own visits; a commune's, those of its stops."""
        assert len(events(client.get(url("stop_calendar", landlord, schedule["square"].pk)))) == 2
        assert len(events(client.get(url("commune_calendar", landlord, "36044")))) == 3
        assert len(events(client.get(url("commune_calendar", landlord, "36063")))) == 1

    def test_time_zone_is_described(self, client, landlord, schedule):
        """The feed carries the VTIMEZONE of Europe/Paris for calendars that do not know it."""
        calendar = icalendar.Calendar.from_ical(client.get(url("calendar", landlord)).content)
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]

    def test_empty_feed(self, client, landlord):
        """Without a published plan the feed is valid and empty."""
        assert events(client.get(url("calendar", landlord))) == {}


def _needs_weasyprint():
    try:
        pdf.weasyprint()
    except PdfUnavailable as error:
        pytest.skip(str(error))


class TestPoster:
    def test_poster_pdf(self, client, landlord, schedule):
        """A one-page A4 PDF with the dates, hours, services, the booking address and the phone, no login."""
        _needs_weasyprint()
        response = client.get(url("poster", landlord, schedule["square"].pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")

    def test_poster_content(self, rf, landlord, schedule):
        """The poster's text: dates in words, hours, services, the page's address and a QR code."""
        from proxima.agency.views.public import poster_html

        _needs_weasyprint()
        html = poster_html(rf.get("/"), landlord, schedule["square"])
        visit = schedule["visit"]
        assert public_schedule.french_date(visit.day.date).capitalize() in html
        assert "de 9 h 30 à 11 h 30" in html and "de 14 h à 16 h" in html
        assert "Aide aux démarches." in html and "02 54 00 00 00" in html
        assert f"http://testserver{url('stop', landlord, schedule['square'].pk)}" in html
        assert 'src="data:image/svg+xml' in html
        document = pdf.render_document(html)
        assert len(document.pages) == 1

    def test_a_full_poster_fits_one_page(self, rf, landlord, schedule):
        """With the most dates a poster shows, a long name and three lines of services, it is still one A4 page."""
        from proxima.agency.views.public import POSTER_DATES, poster_html

        _needs_weasyprint()
        square = schedule["square"]
        square.name = "Place de la République, devant la mairie annexe"
        square.services = "Permanence : loyer, bail, travaux.\nAide aux démarches en ligne.\nRendez-vous individuels."
        square.save()
        for week in range(3, POSTER_DATES + 3):
            published_visit(landlord, days=7 * week, stop=square, plan=schedule["plan"], start=T(14, 0), end=T(16, 30))
        html = poster_html(rf.get("/"), landlord, square)
        assert "Et d&#x27;autres dates" in html or "Et d'autres dates" in html
        assert len(pdf.render_document(html).pages) == 1

    def test_without_weasyprint(self, client, landlord, schedule, monkeypatch):
        """Without the PDF libraries, a page says so and points to the stop's page (503), not a crash."""

        def unavailable(html):
            raise PdfUnavailable("Pango manque")

        monkeypatch.setattr(pdf, "render_document", unavailable)
        response = client.get(url("poster", landlord, schedule["square"].pk))
        assert response.status_code == 503
        assert url("stop", landlord, schedule["square"].pk) in response.content.decode()
