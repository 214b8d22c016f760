import pytest

from proxima.accounts.enums import Role
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import PersonFactory
from tests.offer.factories import PartnerFactory, ServiceFactory
from tests.offer.factories_referrals import ReferralConsentFactory


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


# Referrals and gaps.


@pytest.fixture
def partner_org():
    """The partner's own organisation: its users log in and see what is addressed to it."""
    return OrganisationFactory(partner=True, name="Association Lire et Écrire")


@pytest.fixture
def partner_user(partner_org):
    return UserFactory(organisation=partner_org, role=Role.PARTNER, email="benevole@lire-ecrire.example.org")


@pytest.fixture
def partner(landlord, partner_org):
    """The landlord's listing of that partner, linked to its account."""
    return PartnerFactory(organisation=landlord, name="Lire et Écrire", account=partner_org, phone="02 54 11 22 33")


@pytest.fixture
def service(landlord, partner):
    return ServiceFactory(
        organisation=landlord,
        partner=partner,
        name="Atelier numérique du mardi",
        themes=["numerique--maitriser-les-fondamentaux-du-numerique"],
    )


@pytest.fixture
def household(landlord):
    """A household with its lease holder, that agreed to have its contact details passed to a partner."""
    holder = PersonFactory(
        household__dwelling__building__site__organisation=landlord,
        household__reference="BAIL-ORIENT-1",
        first_name="Jeanne",
        last_name="Dupont",
        phone="0612345678",
    )
    ReferralConsentFactory(household=holder.household)
    return holder.household
