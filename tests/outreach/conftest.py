import pytest

from proxima.accounts.enums import Role
from proxima.households.enums import ConsentPurpose
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import ConsentFactory
from tests.outreach.factories import EnrolmentFactory, ProgrammeFactory, VolunteerFactory


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF, email="proximite@hlm-a.example.org")


@pytest.fixture
def partner_org():
    return OrganisationFactory(partner=True, slug="lien-seniors", name="Lien Seniors")


@pytest.fixture
def volunteer(partner_org):
    return VolunteerFactory(organisation=partner_org, email="benevole@lien-seniors.example.org", first_name="Pia")


@pytest.fixture
def programme(landlord, staff, partner_org):
    """Weekly calls, monthly visits; referent alerted after 2 failures, the partner after 3."""
    return ProgrammeFactory(organisation=landlord, referent=staff, partner=partner_org, name="Isolement des aînés")


@pytest.fixture
def enrolment(programme):
    """Jeanne Durand, 82, living alone, who agreed to courtesy calls and visits."""
    enrolment = EnrolmentFactory(programme=programme, person__first_name="Jeanne", person__last_name="Durand")
    ConsentFactory(household=enrolment.household, purpose=ConsentPurpose.OUTREACH)
    return enrolment
