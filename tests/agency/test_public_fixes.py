"""Resident-facing fixes: errors linked to their fields, visits over today, the CSRF page, poster date, links, feeds."""

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proxima.agency import public_schedule
from proxima.agency.enums import VisitTopic
from tests.agency.factories import StopFactory
from tests.agency.factories_public import agency_settings, published_visit

pytestmark = pytest.mark.django_db

T = dt.time
PARIS = ZoneInfo("Europe/Paris")
FORM = {"slot": "09:50", "name": "Mme Martin", "phone": "06 12 34 56 78", "topic": VisitTopic.ADMINISTRATIVE}


@pytest.fixture
def visit(landlord):
    agency_settings(landlord)
    return published_visit(landlord, days=7)


def url(name, organisation, *args):
    return reverse(f"agency_public:{name}", args=[organisation.slug, *args])


def freeze(monkeypatch, moment: dt.datetime):
    """Make ``timezone.now()`` (and so localtime and localdate) return ``moment``."""
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))


class Elements(HTMLParser):
    """The elements of a page that have an id ({id: {tag, attrs, text}}), and its links' attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.links: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        element = {"tag": tag, "attrs": attrs, "text": ""}
        if "id" in attrs:
            self.by_id[attrs["id"]] = element
        if tag == "a":
            self.links.append(attrs)
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


def assert_described(page: Elements, element_id: str, error: str):
    """The element's aria-describedby names elements of the page, one of them the error message."""
    described = page.by_id[element_id]["attrs"]["aria-describedby"].split()
    assert f"{element_id}_error" in described
    for target in described:
        assert target in page.by_id, f"aria-describedby names #{target}, absent from the page"
    assert error in page.by_id[f"{element_id}_error"]["text"]


class TestErrorsAreLinkedToTheirFields:
    def test_text_fields(self, client, visit):
        """The name's input is described by its help and its error, both present on the page."""
        response = client.post(url("book", visit.day.plan.organisation, visit.pk), {**FORM, "name": " "})
        assert response.status_code == 422
        page = Elements(response.content.decode())
        assert_described(page, "id_name", "Indiquez votre nom.")
        assert page.by_id["id_name"]["attrs"]["aria-invalid"] == "true"

    def test_choices(self, client, visit):
        """A radio group's fieldset is described by its error."""
        response = client.post(url("book", visit.day.plan.organisation, visit.pk), {**FORM, "slot": ""})
        assert response.status_code == 422
        content = response.content.decode()
        page = Elements(content)
        assert '<fieldset class="field has-error" aria-describedby="id_slot_error">' in content
        assert "Choisissez un horaire." in page.by_id["id_slot_error"]["text"]

    def test_cancel_code(self, client, landlord, visit):
        """The code's input on the cancel page is described by its help and its error."""
        response = client.post(url("cancel", landlord), {"code": "ZZZZZZ"})
        assert response.status_code == 422
        assert_described(Elements(response.content.decode()), "id_code", "ne correspond à aucun rendez-vous")


@pytest.fixture
def today_at_three(monkeypatch):
    """It is 15:00 in Paris on 10 June 2026."""
    moment = dt.datetime(2026, 6, 10, 15, 0, tzinfo=PARIS)
    freeze(monkeypatch, moment)
    return moment


class TestVisitsOverToday:
    @pytest.fixture
    def visits(self, landlord, today_at_three):
        """Square: this morning's visit (over) and next week's; Mairie: this afternoon's (open until 16:00)."""
        agency_settings(landlord)
        square = StopFactory(organisation=landlord, name="Place du Marché")
        town_hall = StopFactory(organisation=landlord, name="Mairie")
        morning = published_visit(landlord, days=0, stop=square, start=T(9, 30), end=T(11, 30))
        plan = morning.day.plan
        next_week = published_visit(landlord, days=7, stop=square, plan=plan, start=T(14, 0), end=T(16, 0))
        afternoon = published_visit(landlord, days=0, stop=town_hall, plan=plan, start=T(14, 0), end=T(16, 0))
        return {"square": square, "morning": morning, "next_week": next_week, "afternoon": afternoon}

    def test_schedule(self, landlord, visits, today_at_three):
        """A visit is upcoming until its closing time: at 16:00 the afternoon's is over too."""
        upcoming = public_schedule.upcoming_visits(landlord)
        assert set(upcoming) == {visits["next_week"], visits["afternoon"]}
        at_four = today_at_three.replace(hour=16)
        assert set(public_schedule.upcoming_visits(landlord, now=at_four)) == {visits["next_week"]}

    def test_stop_page(self, client, landlord, visits):
        """The stop's page lists next week's visit, not this morning's, and offers no booking for it."""
        content = client.get(url("stop", landlord, visits["square"].pk)).content.decode()
        assert url("book", landlord, visits["morning"].pk) not in content
        assert "De 9 h 30 à 11 h 30" not in content and "de 9 h 30 à 11 h 30" not in content
        assert url("book", landlord, visits["next_week"].pk) in content

    def test_open_visit_is_still_listed(self, client, landlord, visits):
        """This afternoon's visit, still open, is listed with its booking link."""
        content = client.get(url("stop", landlord, visits["afternoon"].stop.pk)).content.decode()
        assert url("book", landlord, visits["afternoon"].pk) in content

    def test_index_next_visit(self, client, landlord, visits):
        """The index gives next week's date as the square's next visit, not this morning's."""
        response = client.get(url("index", landlord))
        [square] = [s for c in response.context["communes"] for s in c["stops"] if s["stop"] == visits["square"]]
        assert square["next"].pk == visits["next_week"].pk
        assert f"prochain passage le {public_schedule.visit_when(visits['morning'])}" not in response.content.decode()

    def test_commune_page(self, client, landlord, visits):
        content = client.get(url("commune", landlord, visits["square"].commune_id)).content.decode()
        assert url("book", landlord, visits["morning"].pk) not in content
        assert url("book", landlord, visits["next_week"].pk) in content

    def test_booking_page(self, client, landlord, visits):
        """This morning's visit takes no more appointments: its booking link leads to the residents' 404; this
        afternoon's still opens."""
        response = client.get(url("book", landlord, visits["morning"].pk))
        assert response.status_code == 404 and "plus au programme du bus" in response.content.decode()
        assert client.get(url("book", landlord, visits["afternoon"].pk)).status_code == 200

    def test_poster(self, rf, landlord, visits):
        """The poster does not list this morning's visit."""
        from proxima.agency.views.public import poster_html

        html = poster_html(rf.get("/"), landlord, visits["square"])
        assert "de 9 h 30 à 11 h 30" not in html
        assert public_schedule.french_date(visits["next_week"].day.date).capitalize() in html


class TestCsrfFailurePage:
    def test_plain_french_page(self, landlord, visit):
        """A form sent without its CSRF cookie gets a French page that says what to do, not Django's page."""
        response = Client(enforce_csrf_checks=True).post(url("cancel", landlord), {"code": "ZZZZZZ"})
        assert response.status_code == 403
        content = response.content.decode()
        assert '<html lang="fr">' in content
        assert "Le formulaire n'a pas pu être envoyé" in content
        assert "rechargez la page" in content and "autorisez les cookies pour ce site" in content
        assert "appelez l'agence" in content
        assert "DEBUG" not in content and "CSRF" not in content


class TestPosterPrintingDate:
    def test_first_of_the_month(self, rf, landlord, monkeypatch):
        """Printed on 1 December: « 1er décembre », in the project's French date wording, with the year."""
        from proxima.agency.views.public import poster_html

        freeze(monkeypatch, dt.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS))
        visit = published_visit(landlord, days=7)
        html = poster_html(rf.get("/"), landlord, visit.stop)
        assert "Affiche imprimée le mardi 1er décembre 2026 :" in html


class TestConfirmationCancelLink:
    def test_absolute_link(self, client, visit):
        """The cancel link of the confirmation is a full address: printed, it can be typed in."""
        organisation = visit.day.plan.organisation
        response = client.post(url("book", organisation, visit.pk), FORM)
        assert response.status_code == 302
        page = Elements(client.get(response.url).content.decode())
        [link] = [a for a in page.links if a.get("class") == "print-url"]
        assert link["href"].startswith("http://testserver/")
        assert link["href"].startswith(f"http://testserver{url('cancel', organisation)}?code=")


class TestCalendarFeed:
    def test_empty_feed_has_the_time_zone(self, client, landlord):
        """Without visits the feed still has a component, the VTIMEZONE of Europe/Paris (RFC 5545)."""
        response = client.get(url("calendar", landlord))
        calendar = icalendar.Calendar.from_ical(response.content)
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
        assert calendar.walk("VEVENT") == []

    def test_dtstamp_is_the_generation_time(self, client, landlord, visit):
        """DTSTAMP is when the feed was generated, in UTC, not when the plan was published."""
        plan = visit.day.plan
        plan.published_at = timezone.now() - dt.timedelta(days=30)
        plan.save(update_fields=["published_at"])
        before = timezone.now().replace(microsecond=0)
        calendar = icalendar.Calendar.from_ical(client.get(url("calendar", landlord)).content)
        after = timezone.now()
        [event] = calendar.walk("VEVENT")
        stamp = event["DTSTAMP"].dt
        assert stamp.utcoffset() == dt.timedelta(0)
        assert before <= stamp <= after
        assert str(event["UID"]) == f"passage-{visit.pk}.{landlord.slug}@proxima"
