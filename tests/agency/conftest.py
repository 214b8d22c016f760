import pytest

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory


@pytest.fixture
def staff(landlord):
    """A member of the proximity team: plans tours, books appointments, logs visits."""
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def reader(landlord):
    """A read-only user: reads plans and figures, never names."""
    return UserFactory(organisation=landlord, role=Role.READ_ONLY)
