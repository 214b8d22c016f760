import datetime as dt

import pytest
from django.urls import reverse

from proxima.accounts.enums import Role
from proxima.households.models import Consent
from tests.accounts.factories import UserFactory
from tests.households.factories import ConsentFactory, HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, landlord):
    user = UserFactory(organisation=landlord, role=Role.STAFF)
    client.force_login(user)
    return user


def household(landlord, **kwargs):
    return HouseholdFactory(dwelling__building__site__organisation=landlord, **kwargs)


class TestList:
    def test_shows_no_names(self, client, agent, landlord):
        """The list carries references and figures; names are only on the audited record."""
        PersonFactory(household=household(landlord, reference="B-1"), last_name="Nomdefamille")
        content = client.get(reverse("households:list")).content.decode()
        assert "B-1" in content
        assert "Nomdefamille" not in content

    def test_filters(self, client, agent, landlord):
        household(landlord, reference="B-DETTE", with_arrears=True, has_car=False)
        household(landlord, reference="B-OK", has_car=None)
        get = lambda **q: [h.reference for h in client.get(reverse("households:list"), q).context["page"]]  # noqa: E731
        assert get(in_arrears="oui") == ["B-DETTE"]
        assert get(in_arrears="non") == ["B-OK"]
        assert get(has_car="inconnu") == ["B-OK"]
        assert get(has_car="non") == ["B-DETTE"]
        assert get(q="dette") == ["B-DETTE"]

    def test_constant_queries(self, client, agent, landlord, django_assert_num_queries):
        h = household(landlord)
        PersonFactory.create_batch(2, household=h)
        with django_assert_num_queries(5) as first:  # session, user, count, page, audit insert
            client.get(reverse("households:list"))
        for _ in range(10):
            PersonFactory(household=household(landlord))
        with django_assert_num_queries(len(first.captured_queries)):
            response = client.get(reverse("households:list"))
        assert sorted(h.persons_count for h in response.context["page"])[-1] == 2


class TestDetail:
    def test_shows_persons_with_age_and_consents(self, client, agent, landlord):
        h = household(landlord)
        PersonFactory(household=h, first_name="Jeanne", last_name="Martin", birth_year=1941, phone="0261911234")
        ConsentFactory(household=h)
        response = client.get(reverse("households:detail", args=[h.pk]))
        content = response.content.decode()
        age = dt.date.today().year - 1941
        assert "Jeanne Martin" in content and f"{age} ans" in content and "02 61 91 12 34" in content
        assert "appels et visites de convivialité" in content

    def test_constant_queries(self, client, agent, landlord, django_assert_num_queries):
        h = household(landlord)
        PersonFactory(household=h)
        # session, user, household, persons, consents, audit, interactions,
        # outreach: settings, households, last contacts, sites, France services
        with django_assert_num_queries(12) as first:
            client.get(reverse("households:detail", args=[h.pk]))
        PersonFactory.create_batch(4, household=h)
        ConsentFactory(household=h, purpose="sms")
        ConsentFactory(household=h, purpose="referral")
        with django_assert_num_queries(len(first.captured_queries)):
            client.get(reverse("households:detail", args=[h.pk]))


class TestConsents:
    def test_record_and_withdraw(self, client, agent, landlord):
        h = household(landlord)
        client.post(
            reverse("households:consent_create", args=[h.pk]),
            {"purpose": "sms", "given_on": "2026-10-01", "channel": "paper"},
        )
        consent = Consent.objects.get(household=h)
        assert (consent.purpose, consent.channel, consent.recorded_by) == ("sms", "paper", agent)
        client.post(reverse("households:consent_withdraw", args=[h.pk, consent.pk]))
        consent.refresh_from_db()
        assert consent.withdrawn_on == dt.date.today()

    def test_second_consent_in_force_for_the_same_purpose_is_refused(self, client, agent, landlord):
        h = household(landlord)
        ConsentFactory(household=h, purpose="sms")
        response = client.post(
            reverse("households:consent_create", args=[h.pk]),
            {"purpose": "sms", "given_on": "2026-10-01", "channel": "paper"},
            follow=True,
        )
        assert "déjà en vigueur" in response.content.decode()
        assert Consent.objects.filter(household=h).count() == 1

    def test_future_date_is_refused_with_the_field_named(self, client, agent, landlord):
        h = household(landlord)
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        response = client.post(
            reverse("households:consent_create", args=[h.pk]),
            {"purpose": "sms", "given_on": tomorrow.isoformat(), "channel": "paper"},
            follow=True,
        )
        assert "Date du consentement : La date ne peut pas être dans le futur." in response.content.decode()
        assert not Consent.objects.exists()

    def test_withdrawing_twice_keeps_the_first_date(self, client, agent, landlord):
        consent = ConsentFactory(household=household(landlord), withdrawn_on=dt.date(2026, 2, 1))
        response = client.post(
            reverse("households:consent_withdraw", args=[consent.household_id, consent.pk]), follow=True
        )
        assert "déjà retiré" in response.content.decode()
        consent.refresh_from_db()
        assert consent.withdrawn_on == dt.date(2026, 2, 1)


class TestFieldAgentScope:
    """A field agent works on the sites entrusted to them, and sees only those households."""

    def test_list_detail_and_api_show_only_the_agents_sites(self, client, landlord):
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        mine, theirs = household(landlord, reference="MIEN-1"), household(landlord, reference="AUTRE-1")
        mine.dwelling.building.site.agents.add(agent)
        client.force_login(agent)
        content = client.get(reverse("households:list")).content.decode()
        assert "MIEN-1" in content and "AUTRE-1" not in content
        assert client.get(reverse("households:detail", args=[mine.pk])).status_code == 200
        assert client.get(reverse("households:detail", args=[theirs.pk])).status_code == 404
        assert client.get(reverse("api:get_household", args=[theirs.pk])).status_code == 404
        refs = [h["reference"] for h in client.get(reverse("api:list_households")).json()["items"]]
        assert refs == ["MIEN-1"]

    def test_an_agent_without_sites_sees_no_household(self, client, landlord):
        household(landlord, reference="AUTRE-2")
        client.force_login(UserFactory(organisation=landlord, role=Role.FIELD_AGENT))
        assert "AUTRE-2" not in client.get(reverse("households:list")).content.decode()
