"""The cache is shared by the web processes: the limits of the public forms count every process's requests."""

import importlib

import pytest
from django.core.cache import CacheHandler
from django.test import RequestFactory, override_settings

from proxima.core.throttle import Throttle

pytestmark = pytest.mark.django_db


def configured_caches() -> dict:
    """``settings.CACHES`` as the project sets it (the tests use memory instead, see tests/conftest.py)."""
    return importlib.import_module("proxima.settings").CACHES


def test_the_cache_is_the_database():
    assert configured_caches()["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_two_processes_count_together(monkeypatch):
    """Each web process has its own cache connections: with the database's, what one counts the other sees."""
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
    request.session = type("Session", (), {"session_key": "s1", "save": lambda self: None})()
    throttle = Throttle("essai", per_session=2, per_address=100)
    with override_settings(CACHES=configured_caches()):
        first, second = CacheHandler(), CacheHandler()  # two processes' connections
        monkeypatch.setattr("proxima.core.throttle.cache", first["default"])
        throttle.count(request)
        throttle.count(request)
        monkeypatch.setattr("proxima.core.throttle.cache", second["default"])
        assert throttle.is_limited(request)
