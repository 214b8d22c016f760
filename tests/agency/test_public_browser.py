"""The resident's pages in a real browser, as an older resident may use them: zoomed to 200 %, without
JavaScript, by keyboard only. From the schedule to a booked appointment and its cancellation, every page reflows to
the window, labels every control, keeps text contrast at WCAG AA and shows where the keyboard focus is.

Drives Debian's Chromium through Playwright against the live server (see tests/browser.py); skipped where
Playwright or Chromium is missing.
"""

import datetime as dt

import pytest
from django.urls import reverse

from proxima.agency.enums import AppointmentStatus, VisitTopic
from proxima.agency.models import Appointment
from tests.a11y import check_page, tab_to, unseen_focus
from tests.agency.factories import AppointmentFactory, StopFactory
from tests.agency.factories_public import agency_settings, published_visit
from tests.browser import needs_chromium

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def visit(landlord):
    agency_settings(landlord)
    stop = StopFactory(organisation=landlord, name="Place du Marché", address="Place Gambetta")
    return published_visit(landlord, days=7, stop=stop)


def test_booking_and_cancelling_by_keyboard_at_200_percent_without_javascript(page, landlord, visit):
    """Schedule → stop → booking form → confirmation → cancellation, with Tab, arrows, Space and Enter only."""
    problems = []
    page.goto(reverse("agency_public:index", args=[landlord.slug]))
    problems += check_page(page)
    passed = tab_to(page, "Place du Marché")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Place du Marché")
    problems += check_page(page)

    passed += tab_to(page, "Prendre rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prendre rendez-vous au bus de l'agence mobile")
    problems += check_page(page)

    # Sending the empty form shows the errors, still readable and reflowing.
    passed += tab_to(page, "Réserver ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.locator(".error").first).to_be_visible()
    problems += check_page(page)

    passed += tab_to(page, "9 h 30")
    page.keyboard.press("Space")  # the first free slot
    page.keyboard.press("ArrowDown")  # the arrows move within the group: the next slot, 9 h 50
    passed += tab_to(page, "Votre nom")
    page.keyboard.type("Mme Martin")
    passed += tab_to(page, "Votre téléphone")
    page.keyboard.type("06 12 34 56 78")
    passed += tab_to(page, "technique")
    page.keyboard.press("ArrowDown")  # administratif
    passed += tab_to(page, "Réserver ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous est réservé")
    problems += check_page(page)

    appointment = Appointment.objects.get()
    assert (appointment.starts_at.strftime("%H:%M"), appointment.name, appointment.phone, appointment.topic) == (
        "09:50",
        "Mme Martin",
        "06 12 34 56 78",
        VisitTopic.ADMINISTRATIVE,
    )
    expect(page.locator(".code-big")).to_have_text(appointment.code)

    passed += tab_to(page, "Annuler un rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler un rendez-vous")
    problems += check_page(page)
    passed += tab_to(page, "Voir mon rendez-vous")  # the code is already filled in from the link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous")
    problems += check_page(page)
    passed += tab_to(page, "Annuler ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous est annulé")
    problems += check_page(page)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED

    assert unseen_focus(passed) == []
    assert problems == []


def test_commune_full_visit_wrong_code_and_removed_stop_pages(page, landlord, visit):
    """The other pages a resident meets: a commune's schedule, a visit with no free slot left, a wrong cancellation
    code, a stop no longer on the schedule: all reflow, keep their contrast and label their controls."""
    problems = []
    page.goto(reverse("agency_public:commune", args=[landlord.slug, visit.stop.commune_id]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(visit.stop.commune.name)
    problems += check_page(page)

    visit.end = dt.time(9, 50)  # from 9 h 30: one slot of 20 minutes, then booked
    visit.save()
    AppointmentFactory(visit=visit, starts_at=visit.start, ends_at=visit.end)
    page.goto(reverse("agency_public:book", args=[landlord.slug, visit.pk]))
    expect(page.locator(".notice")).to_contain_text("Il n'y a plus d'horaire libre")
    problems += check_page(page)

    page.goto(reverse("agency_public:cancel", args=[landlord.slug]))
    tab_to(page, "Code de votre rendez-vous")
    page.keyboard.type("ZZZZ-ZZZZ")
    page.keyboard.press("Enter")
    expect(page.locator(".error").first).to_be_visible()
    problems += check_page(page)

    visit.stop.is_active = False
    visit.stop.save()
    response = page.goto(reverse("agency_public:stop", args=[landlord.slug, visit.stop.pk]))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    problems += check_page(page)
    assert problems == []
