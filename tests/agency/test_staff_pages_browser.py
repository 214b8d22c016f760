"""The agency's staff pages in a real browser at 200 % zoom: each reflows to the window (wide tables scroll
within their own box), labels its controls, keeps text contrast at WCAG AA.

Drives Debian's Chromium through Playwright against the live server (see tests/browser.py); skipped where
Playwright or Chromium is missing.
"""

import pytest
from django.test import Client
from django.urls import reverse

from proxima.accounts.enums import Role
from tests.a11y import ZOOM_200, check_page
from tests.accounts.factories import UserFactory
from tests.agency.test_map import world  # noqa: F401  (a plan of two days over two sites)
from tests.browser import close, needs_chromium

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def test_staff_pages_reflow_label_and_contrast(browser, live_server, world):  # noqa: F811
    plan = world["plan"]
    client = Client()
    client.force_login(UserFactory(organisation=plan.organisation, role=Role.STAFF))
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", **ZOOM_200)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    context.route("http://tiles.invalid/**", lambda route: route.abort())
    context.set_default_timeout(10_000)
    page = context.new_page()
    pages = [
        reverse("agency:plan_list"),
        reverse("agency:plan_create"),
        reverse("agency:plan_create_manual"),
        reverse("agency:plan_detail", args=[plan.pk]),
        reverse("agency:plan_never_reached", args=[plan.pk]),
        reverse("agency:visit_summary", args=[plan.pk]),
        reverse("agency:stop_list"),
        reverse("agency:stop_create"),
        reverse("agency:stop_update", args=[world["market"].pk]),
        reverse("agency:settings"),
        reverse("agency:visit_list"),
        reverse("agency:appointment_days"),
    ]
    problems = []
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        problems += check_page(page)
    close(context, live_server)
    assert problems == [], "\n".join(problems)
