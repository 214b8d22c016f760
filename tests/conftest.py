import pytest
from django.conf import settings
from pytest_django.plugin import blocking_manager_key


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the real reference data (communes, zonage, France services)."""
    from proxima.territory.reference import load_reference_data

    with django_db_blocker.unblock():
        load_reference_data()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Reload the reference data after a live-server test, whose transactional teardown flushed every table.

    django_db_setup above loads the communes once per session; the tests that run after a transactional one
    (the factories look up a commune) need them back. Done here, after the fixtures' teardown and its flush.
    """
    result = yield
    # After the last test the test database is already gone: nothing to reload.
    if nextitem is not None and "live_server" in getattr(item, "fixturenames", ()):
        from proxima.territory.reference import load_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            load_reference_data()
    return result


@pytest.fixture(autouse=True)
def _fast_hasher_and_tmp_var(settings, tmp_path):
    # Argon2 is deliberately slow; the hasher itself is tested in tests/accounts/test_auth.py.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _memory_cache(settings):
    # The shared cache is the database's (settings.CACHES, tested in tests/core/test_cache.py); in memory, the
    # tests that touch no database can still clear it.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()  # each test counts the public forms' attempts from zero


@pytest.fixture
def landlord():
    from tests.accounts.factories import OrganisationFactory

    return OrganisationFactory(slug="hlm-a", name="HLM A")


@pytest.fixture
def other_landlord():
    from tests.accounts.factories import OrganisationFactory

    return OrganisationFactory(slug="hlm-b", name="HLM B")


@pytest.fixture(scope="module")
def browser():
    """Chromium driven by Playwright, shared by a module's browser tests (see tests/browser.py)."""
    from tests.browser import chromium

    yield from chromium()


@pytest.fixture
def page(browser, live_server):
    """A page as a resident may use it: in French, at 200 % zoom, without JavaScript (see tests/a11y.py)."""
    from tests.a11y import resident_page

    yield from resident_page(browser, live_server)


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"
