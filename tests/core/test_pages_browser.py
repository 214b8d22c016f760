"""Every staff page without a parameter, in a real browser at 200 % zoom: each reflows to the window (wide tables
scroll within their own frame), labels its controls, keeps text contrast at WCAG AA.

The pages are found from the URL configuration, so a new page is checked without being listed here; they are shown to
an administrator of an organisation without data (the agency's pages with data: tests/agency/test_staff_pages_browser.py).
The API's pages are left out: its documentation is django-ninja's Swagger UI, not ours. Drives Debian's
Chromium through Playwright against the live server (see tests/browser.py); skipped where Playwright or Chromium is
missing.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from proxima.accounts.enums import Role
from tests.a11y import ZOOM_200, check_page
from tests.accounts.factories import UserFactory
from tests.browser import close, needs_chromium

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def plain_paths(patterns=None, prefix=""):
    """The paths of the URL patterns that take no parameter, in the order of the configuration."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if "<" in route or "(?P" in route:
            continue
        if isinstance(pattern, URLResolver):
            yield from plain_paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


def test_staff_pages_reflow_label_and_contrast(browser, live_server, landlord):
    client = Client()
    client.force_login(UserFactory(organisation=landlord, role=Role.ADMIN))
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", **ZOOM_200)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems, seen = [], []
    for path in plain_paths():
        response = client.get(path)
        if (
            path.startswith("/api/")
            or response.status_code != 200
            or not response["Content-Type"].startswith("text/html")
        ):
            continue
        seen.append(path)
        page.goto(path)
        problems += check_page(page)
    close(context, live_server)
    assert {"/menages/", "/agence/", "/besoins/enquetes/", "/financements/projets/nouveau/"} <= set(seen)
    assert problems == [], "\n".join(problems)
