"""The offline tablet page in a real browser: service worker, IndexedDB queue, sync without duplicates.

Drives Debian's Chromium (/usr/bin/chromium, installed by .ci/run) through Playwright against the
live server: the page is opened online, reopened offline from the service worker's cache, a
questionnaire is filled and queued, then synced when the network comes back. Skipped where
Playwright or Chromium is missing.
"""

import pytest
from django.test import Client
from django.urls import reverse

from proxima.needs.enums import Channel
from proxima.needs.models import Answer, Response
from tests.browser import close, needs_chromium
from tests.households.factories import PersonFactory
from tests.needs.factories import ResponseFactory
from tests.territory.factories import DwellingFactory

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
SURVEY_TITLE = "Vos besoins au quotidien (version 1)"

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, agent, survey, household):
    """The tablet page opened online by the logged-in agent, its service worker active and its data downloaded."""
    client = Client()
    client.force_login(agent)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(reverse("needs:offline"))
    expect(page.locator("#survey")).to_contain_text(SURVEY_TITLE)
    # The next load is controlled by the worker once it is active (its files are then in its cache).
    # ``ready`` resolves once a worker is active, possibly still "activating": wait for "activated".
    assert (
        page.evaluate(
            """navigator.serviceWorker.ready.then((r) => r.active.state === "activated" ? "activated"
                : new Promise((resolve) => r.active.addEventListener("statechange", (event) => {
                    if (event.target.state === "activated" || event.target.state === "redundant") {
                        resolve(event.target.state);
                    }
                })))"""
        )
        == "activated"
    )
    yield page
    close(context, live_server)
    assert page.errors == [], "JavaScript errors on the page"


def go_offline_and_reload(page):
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#net-state")).to_have_text("Hors connexion : les réponses restent sur la tablette")
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "the page was not served by the worker"


def question(page, name):
    return page.locator(f'#questions .question[data-name="{name}"]')


def fill_and_save(page, household):
    """Fill the questionnaire for ``household`` (a lone person, rarely visited, wanting help with papers)."""
    page.locator("#survey").select_option(label=SURVEY_TITLE)
    page.locator("#household").select_option(str(household.pk))
    question(page, "seul").get_by_label("Oui").check()
    question(page, "visites").get_by_label("Rarement").check()
    question(page, "aides").get_by_label("Les papiers").check()
    question(page, "age").get_by_role("textbox").fill("82")
    page.get_by_role("button", name="Enregistrer sur la tablette").click()
    expect(page.locator("#queue-count")).to_have_text("1")


def queued(page):
    """The items of the tablet's queue, read from IndexedDB."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("proxima-terrain");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const request = open.result.transaction("queue").objectStore("queue").getAll();
                request.onsuccess = () => { open.result.close(); resolve(request.result); };
                request.onerror = () => reject(request.error);
            };
        })"""
    )


def answers_of(response):
    return {a.question.name: a.value for a in Answer.objects.filter(response=response).select_related("question")}


def test_filled_offline_then_synced(page, agent, household):
    """Reopened without network from the worker's cache, filled, queued, then sent once the network is back."""
    go_offline_and_reload(page)
    page.locator("#survey").select_option(label=SURVEY_TITLE)
    page.locator("#household").select_option(str(household.pk))

    # A required question left blank and a constraint broken: checked on the tablet, nothing queued.
    page.get_by_role("button", name="Enregistrer sur la tablette").click()
    expect(question(page, "seul").locator(".error")).to_have_text("Cette question demande une réponse.")
    expect(page.locator("#queue-count")).to_have_text("0")

    # The visits question is asked only of someone living alone.
    expect(question(page, "visites")).to_be_hidden()
    question(page, "seul").get_by_label("Oui").check()
    expect(question(page, "visites")).to_be_visible()
    question(page, "seul").get_by_label("Non").check()
    expect(question(page, "visites")).to_be_hidden()
    question(page, "seul").get_by_label("Oui").check()
    question(page, "visites").get_by_label("Rarement").check()
    question(page, "aides").get_by_label("Les papiers").check()
    question(page, "age").get_by_role("textbox").fill("12")
    page.get_by_role("button", name="Enregistrer sur la tablette").click()
    expect(question(page, "age").locator(".error")).to_have_text("Réponse à revoir : Un âge entre 18 et 120 ans.")
    question(page, "age").get_by_role("textbox").fill("82")
    page.get_by_role("button", name="Enregistrer sur la tablette").click()

    expect(page.locator("#queue-count")).to_have_text("1")
    expect(page.locator("#queue")).to_contain_text("en attente d'envoi")
    assert [item["answers"] for item in queued(page)] == [
        {"seul": "oui", "visites": "rarement", "aides": ["papiers"], "age": "82"}
    ]
    assert not Response.objects.exists()

    page.context.set_offline(False)  # the "online" event starts the sync
    expect(page.locator("#queue")).to_have_text("Aucune réponse en attente.")
    expect(page.locator("#queue-count")).to_have_text("0")
    expect(page.locator("#message")).to_have_text("1 réponse(s) envoyée(s).")
    response = Response.objects.get()
    assert (response.household, response.channel, response.recorded_by) == (household, Channel.OFFLINE, agent)
    assert answers_of(response) == {"seul": "oui", "visites": "rarement", "aides": "papiers", "age": "82"}
    assert queued(page) == []


def test_unreliable_network_neither_loses_nor_duplicates(page, household):
    """A proxy error, then an answer lost on the way back: the item stays queued and one row is recorded.

    The first POST gets a 503 from a proxy (not a refusal: kept as it is); the second reaches the server
    but its answer never reaches the tablet, which keeps the item; the retry gets a 200, not a second row.
    """
    go_offline_and_reload(page)
    fill_and_save(page, household)
    statuses = []

    def unreliable(route):
        if not statuses:
            statuses.append(503)
            route.fulfill(status=503, content_type="text/html", body="<h1>503 Service Unavailable</h1>")
        elif len(statuses) == 1:
            statuses.append(route.fetch().status)  # reaches the server...
            route.abort("connectionreset")  # ...but the tablet never hears back
        else:
            response = route.fetch()
            statuses.append(response.status)
            route.fulfill(response=response)

    page.route("**/api/needs/responses", unreliable)
    page.context.set_offline(False)
    expect(page.locator("#message")).to_have_text(
        "Serveur indisponible (HTTP 503) : les réponses restent sur la tablette et partiront plus tard."
    )
    expect(page.locator("#queue")).to_contain_text("en attente d'envoi")
    expect(page.locator("#queue li.failed")).to_have_count(0)  # not shown as refused, nor offered for deletion
    assert not Response.objects.exists()

    send = page.get_by_role("button", name="Envoyer les réponses en attente")
    send.click()
    expect(page.locator("#message")).to_contain_text("Réseau indisponible")
    expect(page.locator("#queue-count")).to_have_text("1")
    assert statuses == [503, 201]
    assert Response.objects.count() == 1

    send.click()
    expect(page.locator("#queue")).to_have_text("Aucune réponse en attente.")
    assert statuses == [503, 201, 200]
    assert Response.objects.count() == 1
    assert queued(page) == []


def test_refused_answer_stays_queued_with_the_reason(page, survey, household):
    """The household answered meanwhile by phone: the tablet's answers are refused, shown, and kept."""
    go_offline_and_reload(page)
    fill_and_save(page, household)
    phone = ResponseFactory(survey=survey, household=household, channel=Channel.PHONE)

    page.context.set_offline(False)
    item = page.locator("#queue li.failed")
    expect(item).to_contain_text("Refusée : Ce ménage a déjà répondu le 02/11/2026")
    expect(item.get_by_role("button", name="Corriger")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text("1")
    assert list(Response.objects.all()) == [phone]

    # Nothing lost: the answers are still on the tablet, also after the page is opened again.
    page.reload()
    expect(page.locator("#queue li.failed")).to_contain_text("Ce ménage a déjà répondu")
    [kept] = queued(page)
    assert kept["answers"] == {"seul": "oui", "visites": "rarement", "aides": ["papiers"], "age": "82"}
    assert kept["household"] == household.pk
    assert list(Response.objects.all()) == [phone]


def test_work_goes_on_during_a_sync(page, site, survey, household):
    """A sync running in the background neither clears the household being filled nor forgets what is saved meanwhile."""
    others = [
        PersonFactory(
            household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation)
        ).household
        for _ in range(2)
    ]
    page.locator("#refresh").click()
    expect(page.locator("#message")).to_have_text("Enquêtes et ménages à jour.")
    go_offline_and_reload(page)
    fill_and_save(page, household)
    held = []
    page.route("**/api/needs/responses", lambda route: held.append(route) if not held else route.continue_())
    with page.expect_request("**/api/needs/responses"):
        page.context.set_offline(False)
    # While the first answers are on their way: a second household answered and saved, a third one chosen.
    page.locator("#household").select_option(str(others[0].pk))
    question(page, "seul").get_by_label("Non").check()
    page.get_by_role("button", name="Enregistrer sur la tablette").click()
    expect(page.locator("#queue-count")).to_have_text("2")
    page.locator("#household").select_option(str(others[1].pk))
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#queue")).to_have_text("Aucune réponse en attente.")
    assert Response.objects.count() == 2
    expect(page.locator("#household")).to_have_value(str(others[1].pk))
