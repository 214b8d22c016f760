import pytest

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory
from tests.households.factories import PersonFactory
from tests.needs.factories import small_survey
from tests.territory.factories import DwellingFactory, SiteFactory

# A landlord's site, one household in it (lease holder Jeanne Durand), the hand-checkable survey
# targeting the site, a field agent entrusted with the site, and a member of the proximity team.
# Test modules override any of them when they need another.


@pytest.fixture
def site(landlord):
    return SiteFactory(organisation=landlord, name="Les Tilleuls")


@pytest.fixture
def household(site):
    person = PersonFactory(
        household__dwelling=DwellingFactory(building__site=site, organisation=site.organisation),
        first_name="Jeanne",
        last_name="Durand",
    )
    return person.household


@pytest.fixture
def survey(landlord, site):
    return small_survey(landlord, sites=[site])


@pytest.fixture
def agent(landlord, site):
    user = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
    site.agents.add(user)
    return user


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF)
