import datetime as dt

import pytest

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory
from tests.territory.factories import DwellingFactory, SiteFactory


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def sites(landlord):
    return SiteFactory(organisation=landlord, reference="RES-A"), SiteFactory(organisation=landlord, reference="RES-B")


@pytest.fixture
def households(sites):
    """Three households: two on site A (one entered on 10 November 2026), one on site B."""
    site_a, site_b = sites
    return [
        HouseholdFactory(dwelling=DwellingFactory(building__site=site_a), reference="BAIL-A1"),
        HouseholdFactory(
            dwelling=DwellingFactory(building__site=site_a), reference="BAIL-A2", move_in_date=dt.date(2026, 11, 10)
        ),
        HouseholdFactory(dwelling=DwellingFactory(building__site=site_b), reference="BAIL-B1"),
    ]
