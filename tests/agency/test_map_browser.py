"""The tour map in a real browser: Leaflet draws the days and sites, the points are reachable by keyboard,
and without JavaScript the tables alone are shown.

Drives Debian's Chromium through Playwright against the live server (as tests/needs/test_offline_browser.py);
tiles are never fetched: the tile server points to an unroutable address and requests to it are aborted.
Skipped where Playwright or Chromium is missing.
"""

import pytest
from django.test import Client
from django.urls import reverse

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory
from tests.agency.test_map import world  # noqa: F401  (the same plan as the data tests)
from tests.browser import close, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
TILES = "http://tiles.invalid/{z}/{x}/{y}.png"

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def open_map(browser, live_server, plan, *, javascript=True):
    client = Client()
    client.force_login(UserFactory(organisation=plan.organisation, role=Role.READ_ONLY))
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", java_script_enabled=javascript)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    context.route("http://tiles.invalid/**", lambda route: route.abort())
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(reverse("agency:plan_map", args=[plan.pk]))
    return page


def test_map_draws_days_and_sites_and_is_keyboard_accessible(browser, live_server, world, settings):  # noqa: F811
    """Two day routes, the site circles, a layer per day; Tab reaches a point and Enter opens its popup."""
    settings.PROXIMA_TILE_URL = TILES
    page = open_map(browser, live_server, world["plan"])
    expect(page.locator("#tour-map.map-ready")).to_be_visible()
    # Two routes (not interactive), then two sites, two stops and the depot as focusable circles.
    assert page.locator("#tour-map path:not(.leaflet-interactive)").count() == 2
    points = page.locator("#tour-map path[role=button]")
    assert points.count() == 5
    labels = [points.nth(i).get_attribute("aria-label") for i in range(5)]
    assert "Les Hauts (Châteauroux) : 2 ménages atteints, 1 jamais atteint" in labels
    assert "Dépôt : Agence du Centre" in labels
    expect(page.locator(".leaflet-control-layers")).to_contain_text("mardi 1 décembre 2026")
    site = page.locator('#tour-map path[aria-label^="Le Bas"]')
    site.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("1 ménage jamais atteint")
    assert page.errors == []
    close(page.context, live_server)


def test_without_javascript_the_tables_remain(browser, live_server, world):  # noqa: F811
    page = open_map(browser, live_server, world["plan"], javascript=False)
    expect(page.locator("#tour-map")).to_be_hidden()
    expect(page.get_by_role("table").first).to_contain_text("Marché (09:30–11:30)")
    expect(page.get_by_role("row", name="Les Hauts")).to_contain_text("2")
    close(page.context, live_server)
