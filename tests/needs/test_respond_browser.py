"""The survey pages for residents in a real browser, as an older resident may use them: zoomed to 200 %,
without JavaScript, by keyboard only. From the code on the letter to the thank-you page, every page reflows
to the window, labels every control, keeps text contrast at WCAG AA and shows where the keyboard focus is.

Drives Debian's Chromium through Playwright against the live server (see tests/browser.py); skipped where
Playwright or Chromium is missing.
"""

import pytest
from django.urls import reverse

from proxima.needs.enums import Channel, QuestionKind
from proxima.needs.models import Response
from tests.a11y import check_page, tab_to, unseen_focus
from tests.browser import needs_chromium
from tests.needs.factories import ChoiceFactory, InvitationFactory, QuestionFactory, SectionFactory

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invitation(survey, household):
    """The letter of the household, for the hand-checkable survey with a third part asked of people living alone."""
    third = SectionFactory(
        version=survey.current_version,
        position=3,
        name="voisins",
        title="Vos voisins",
        relevant="${seul} = 'oui'",
    )
    question = QuestionFactory(
        section=third, position=6, name="voisin", kind=QuestionKind.YES_NO, label="Voyez-vous vos voisins ?"
    )
    ChoiceFactory(question=question, position=1, value="oui", label="Oui")
    ChoiceFactory(question=question, position=2, value="non", label="Non")
    return InvitationFactory(survey=survey, household=household, code="ABCD2345")


def test_answering_by_keyboard_at_200_percent_without_javascript(page, invitation, household):
    """Code (wrong, then right) → three parts → review, one answer changed → sent, with Tab, arrows, Space,
    Enter and typing only."""
    problems = []
    page.goto(reverse("respond:start"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Répondre à une enquête")
    problems += check_page(page)

    # A mistyped code: the error is shown next to the field and summed up at the top, still readable.
    passed = tab_to(page, "Code indiqué sur votre courrier")
    page.keyboard.type("ABCD 2346")
    passed += tab_to(page, "Commencer")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("Ce code n'est pas reconnu")
    expect(page.locator(".field .error")).to_contain_text("Ce code n'est pas reconnu")
    problems += check_page(page)

    # The summary's link leads to the field; the right code, typed over the wrong one, sent with Enter from it.
    passed += tab_to(page, "Code indiqué sur votre courrier : Ce code n'est pas reconnu")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_code"
    page.keyboard.press("Control+A")
    page.keyboard.type("abcd 2345")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Isolement")
    expect(page.locator(".step")).to_have_text("Étape 1 sur 3")
    problems += check_page(page)

    # Continuing without the required answer: the page says so, the summary links to the question.
    passed += tab_to(page, "Continuer")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("Cette question demande une réponse.")
    problems += check_page(page)

    passed += tab_to(page, "Oui")
    page.keyboard.press("Space")  # « Vivez-vous seul(e) ? » Oui
    passed += tab_to(page, "Souvent")  # « Recevez-vous des visites ? », shown with its condition in words
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # Rarement
    page.keyboard.press("ArrowDown")  # Jamais
    passed += tab_to(page, "Continuer")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Les aides")
    problems += check_page(page)

    passed += tab_to(page, "Les papiers")
    page.keyboard.press("Space")
    passed += tab_to(page, "Internet")
    page.keyboard.press("Space")
    passed += tab_to(page, "Quel âge avez-vous ?")
    page.keyboard.type("79")
    passed += tab_to(page, "Une remarque ?")
    page.keyboard.type("Un banc devant l'entrée")
    passed += tab_to(page, "Continuer")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos voisins")
    problems += check_page(page)

    passed += tab_to(page, "Oui")  # « Voyez-vous vos voisins ? »
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # Non
    passed += tab_to(page, "Continuer")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier vos réponses")
    for shown in ("Jamais", "Les papiers, Internet", "79", "Un banc devant l'entrée", "Non"):
        expect(page.locator("dl.facts").get_by_text(shown, exact=True)).to_be_visible()
    problems += check_page(page)

    # A change of mind: back to a part from the review, its answer kept and changed with the arrows.
    passed += tab_to(page, "Modifier les réponses de la partie « Vos voisins »")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos voisins")
    passed += tab_to(page, "Non")  # Tab enters the group on its checked radio
    page.keyboard.press("ArrowUp")  # Oui
    passed += tab_to(page, "Continuer")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier vos réponses")
    expect(page.locator("#partie-3 + dl.facts dd")).to_have_text("Oui")
    assert not Response.objects.exists()  # nothing is sent before the last step

    passed += tab_to(page, "Envoyer mes réponses")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci, vos réponses sont bien enregistrées")
    problems += check_page(page)

    response = Response.objects.get()
    assert (response.survey, response.household, response.channel) == (invitation.survey, household, Channel.WEB)
    assert dict(response.answers.values_list("question__name", "value")) == {
        "seul": "oui",
        "visites": "jamais",
        "aides": "papiers numerique",
        "age": "79",
        "remarque": "Un banc devant l'entrée",
        "voisin": "oui",
    }
    invitation.refresh_from_db()
    assert invitation.used_at is not None

    assert unseen_focus(passed) == []
    assert problems == []
