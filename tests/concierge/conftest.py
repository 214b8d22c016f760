import pytest
from django.core.cache import cache

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory


@pytest.fixture
def staff(landlord):
    """A member of the proximity team: records requests, lends items, books appointments."""
    return UserFactory(organisation=landlord, role=Role.STAFF, first_name="Paul", last_name="Proximité")


@pytest.fixture
def field_agent(landlord):
    """A field agent: works at the concierge, sees only the households of the sites entrusted to them."""
    return UserFactory(organisation=landlord, role=Role.FIELD_AGENT, first_name="Théo", last_name="Terrain")


@pytest.fixture(autouse=True)
def _empty_cache():
    """The public pages count attempts in the cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()
