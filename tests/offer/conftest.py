import pytest

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory


@pytest.fixture
def staff(landlord):
    """A member of the proximity team: writes the catalogue, reads households."""
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def admin(landlord):
    return UserFactory(organisation=landlord, role=Role.ADMIN)


@pytest.fixture
def reader(landlord):
    """A read-only user (a manager, finance): reads the catalogue, never names."""
    return UserFactory(organisation=landlord, role=Role.READ_ONLY)


@pytest.fixture
def field_agent(landlord):
    """A field agent: reads the catalogue, sees only the households of the sites entrusted to them."""
    return UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
