"""The inhabitants' concierge pages in a real browser, as an older resident may use them: zoomed to 200 %, without
JavaScript, by keyboard only. From what the concierge offers to a request sent (or a slot booked at office hours),
its code, the follow-up and the cancellation, every page reflows to the window, labels every control, keeps text
contrast at WCAG AA and shows where the keyboard focus is.

Drives Debian's Chromium through Playwright against the live server (see tests/browser.py); skipped where
Playwright or Chromium is missing.
"""

import datetime as dt

import pytest
from django.urls import reverse

from proxima.concierge.enums import AppointmentStatus, ReceivedVia, RequestKind, RequestStatus
from proxima.concierge.models import ConciergeRequest, OfficeAppointment
from tests.a11y import check_page, tab_to, unseen_focus
from tests.browser import needs_chromium
from tests.concierge.factories import ActivityFactory, ConciergeSettingsFactory, OfficeHoursFactory

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def concierge(landlord):
    """A concierge taking online requests, with office hours (9 h to 10 h, every 20 minutes) and an activity."""
    OfficeHoursFactory(organisation=landlord, title="Aide aux démarches", start=dt.time(9), end=dt.time(10))
    ActivityFactory(organisation=landlord, title="Atelier tricot")
    return ConciergeSettingsFactory(organisation=landlord)


def test_request_and_follow_up_by_keyboard_at_200_percent_without_javascript(page, landlord, concierge):
    """Offer → request form (empty, then filled in) → code → follow-up (wrong code, then right) → cancellation,
    with Tab, arrows, Space, Enter and typing only."""
    problems = []
    page.goto(reverse("concierge_public:index", args=[landlord.slug]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Conciergerie des Tilleuls")
    expect(page.locator("main")).to_contain_text("Atelier tricot")
    problems += check_page(page)
    passed = tab_to(page, "Faire une demande")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Faire une demande à la conciergerie")
    problems += check_page(page)

    # Sending the empty form shows the errors, still readable and reflowing.
    passed += tab_to(page, "Envoyer ma demande")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("3 informations sont à revoir")
    expect(page.locator(".error").first).to_be_visible()
    problems += check_page(page)

    passed += tab_to(page, "dépôt de pain")  # Tab enters the group on its first choice
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # point relais colis
    page.keyboard.press("ArrowDown")  # prêt d'outil ou d'appareil
    passed += tab_to(page, "En quelques mots")
    page.keyboard.type("Une perceuse pour samedi")
    passed += tab_to(page, "Votre nom")
    page.keyboard.type("Mme Martin")
    passed += tab_to(page, "Votre téléphone")
    page.keyboard.type("06 12 34 56 78")
    passed += tab_to(page, "Envoyer ma demande")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande est envoyée")
    problems += check_page(page)

    sent = ConciergeRequest.objects.get()
    assert (sent.kind, sent.description, sent.name, sent.phone, sent.email, sent.received_via, sent.status) == (
        RequestKind.LOAN,
        "Une perceuse pour samedi",
        "Mme Martin",
        "06 12 34 56 78",
        "",
        ReceivedVia.ONLINE,
        RequestStatus.NEW,
    )
    expect(page.locator(".code-big")).to_have_text(sent.code)

    # The link fills the code in; a wrong one typed over it is refused, the right one shows the request.
    passed += tab_to(page, "Suivre ma demande")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivre une demande ou un rendez-vous")
    problems += check_page(page)
    passed += tab_to(page, "Votre code")
    expect(page.get_by_label("Votre code")).to_have_value(sent.code)
    page.keyboard.press("Control+A")
    page.keyboard.type("ZZZ222")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("Ce code ne correspond à aucune demande")
    expect(page.get_by_label("Votre code")).to_have_attribute("aria-invalid", "true")
    problems += check_page(page)

    # The summary's link takes the focus to the field, whose wrong code is typed over.
    passed += tab_to(page, "Votre code : Ce code")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Votre code")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(sent.code.lower())
    passed += tab_to(page, "Voir")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande")
    expect(page.locator(".facts")).to_contain_text("Prêt d'outil ou d'appareil")
    expect(page.locator(".facts")).to_contain_text("Reçue : la conciergerie va s'en occuper.")
    problems += check_page(page)

    passed += tab_to(page, "Annuler ma demande")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande est annulée")
    problems += check_page(page)
    sent.refresh_from_db()
    assert sent.status == RequestStatus.CANCELLED

    assert unseen_focus(passed) == []
    assert problems == []


def test_booking_office_hours_and_cancelling_by_keyboard_at_200_percent_without_javascript(page, landlord, concierge):
    """Offer → office hours booking form (empty, then filled in) → code → follow-up → cancellation."""
    problems = []
    page.goto(reverse("concierge_public:index", args=[landlord.slug]))
    passed = tab_to(page, "Prendre rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prendre rendez-vous : Aide aux démarches")
    problems += check_page(page)

    passed += tab_to(page, "Réserver ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("2 informations sont à revoir")
    problems += check_page(page)

    passed += tab_to(page, "9 h")  # the first free slot
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # the next one, 9 h 20
    passed += tab_to(page, "Votre nom")
    page.keyboard.type("M. Bernard")
    passed += tab_to(page, "Pour quoi venez-vous")
    page.keyboard.type("dossier de retraite")
    passed += tab_to(page, "Réserver ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous est réservé")
    problems += check_page(page)

    booked = OfficeAppointment.objects.get()
    assert (booked.starts_at, booked.name, booked.phone, booked.topic, booked.status) == (
        dt.time(9, 20),
        "M. Bernard",
        "",
        "dossier de retraite",
        AppointmentStatus.BOOKED,
    )
    expect(page.locator(".code-big")).to_have_text(booked.code)

    passed += tab_to(page, "Suivre ou annuler")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivre une demande ou un rendez-vous")
    expect(page.get_by_label("Votre code")).to_have_value(booked.code)
    problems += check_page(page)
    passed += tab_to(page, "Voir")  # the code is already filled in from the link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous")
    problems += check_page(page)
    passed += tab_to(page, "Annuler ce rendez-vous")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre rendez-vous est annulé")
    problems += check_page(page)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED

    assert unseen_focus(passed) == []
    assert problems == []
