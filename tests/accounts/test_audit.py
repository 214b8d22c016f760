import pytest
from django.urls import reverse

from proxima.accounts import audit
from proxima.accounts.enums import Role
from proxima.accounts.models import AuditEvent
from proxima.accounts.services import create_api_token
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db


class TestReads:
    def test_reading_a_household_page_is_audited(self, client, landlord):
        """Who read which household, when, from which page."""
        household = PersonFactory(household__dwelling__building__site__organisation=landlord).household
        user = UserFactory(organisation=landlord, role=Role.STAFF)
        client.force_login(user)
        AuditEvent.objects.all().delete()
        client.get(reverse("households:detail", args=[household.pk]))
        event = AuditEvent.objects.get()
        assert (event.action, event.actor, event.organisation) == ("read", user, landlord)
        assert (event.target_type, event.target_id) == ("households.Household", str(household.pk))
        assert event.source == f"GET /menages/{household.pk}/"

    def test_reading_a_household_through_the_api_is_audited(self, client, landlord):
        household = HouseholdFactory(dwelling__building__site__organisation=landlord)
        user = UserFactory(organisation=landlord, role=Role.STAFF)
        _, key = create_api_token(user=user, name="x")
        AuditEvent.objects.all().delete()
        client.get(f"/api/households/{household.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
        event = AuditEvent.objects.get()
        assert (event.action, event.actor, event.source) == ("read", user, f"API GET /api/households/{household.pk}")

    def test_listing_households_records_the_ids_shown(self, client, landlord):
        households = HouseholdFactory.create_batch(3, dwelling__building__site__organisation=landlord)
        client.force_login(UserFactory(organisation=landlord))
        AuditEvent.objects.all().delete()
        client.get(reverse("households:list"))
        event = AuditEvent.objects.get()
        assert event.action == "list"
        assert sorted(event.details["ids"]) == sorted(h.pk for h in households)

    def test_exporting_households_is_audited(self, client, landlord):
        HouseholdFactory.create_batch(2, dwelling__building__site__organisation=landlord)
        client.force_login(UserFactory(organisation=landlord))
        AuditEvent.objects.all().delete()
        response = client.get(reverse("households:list") + "?format=csv")
        b"".join(response.streaming_content)
        event = AuditEvent.objects.get()
        assert (event.action, event.details["count"], event.details["format"]) == ("export", 2, "csv")


class TestWrites:
    def test_every_write_is_logged_with_its_author(self, landlord):
        user = UserFactory(organisation=landlord)
        with audit.acting_as(user, "test"):
            household = HouseholdFactory(dwelling__building__site__organisation=landlord)
            household.charges = 100
            household.save()
            household.delete()
        actions = list(
            AuditEvent.objects.filter(target_type="households.Household").order_by("id").values_list("action", "actor")
        )
        assert actions == [("create", user.pk), ("update", user.pk), ("delete", user.pk)]

    def test_a_consent_recorded_from_the_page_is_logged(self, client, landlord):
        household = HouseholdFactory(dwelling__building__site__organisation=landlord)
        user = UserFactory(organisation=landlord, role=Role.STAFF)
        client.force_login(user)
        client.post(
            reverse("households:consent_create", args=[household.pk]),
            {"purpose": "outreach", "given_on": "2026-11-02", "channel": "phone"},
        )
        event = AuditEvent.objects.get(target_type="households.Consent")
        assert (event.action, event.actor, event.organisation) == ("create", user, landlord)
        assert event.source == f"POST /menages/{household.pk}/consentements/"

    def test_login_is_logged_but_not_the_last_login_update(self, client, landlord):
        user = UserFactory(organisation=landlord)
        AuditEvent.objects.all().delete()
        client.post(reverse("accounts:login"), {"username": user.email, "password": "correct horse battery staple"})
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["login"]


class TestAuditLogPage:
    def test_admin_sees_own_organisation_events_only(self, client, landlord, other_landlord):
        admin = UserFactory(organisation=landlord, role=Role.ADMIN)
        with audit.acting_as(admin, "test"):
            HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-A")
            HouseholdFactory(dwelling__building__site__organisation=other_landlord, reference="BAIL-B")
        client.force_login(admin)
        content = client.get(reverse("accounts:audit_log")).content.decode()
        assert "Ménage BAIL-A" in content
        assert "BAIL-B" not in content

    def test_filters_and_export(self, client, landlord):
        admin = UserFactory(organisation=landlord, role=Role.ADMIN)
        with audit.acting_as(admin, "test"):
            HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-A")
        client.force_login(admin)
        page = client.get(reverse("accounts:audit_log"), {"action": "delete"}).content.decode()
        assert "BAIL-A" not in page
        response = client.get(reverse("accounts:audit_log"), {"target": "BAIL-A", "format": "csv"})
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert lines[0] == "date;auteur;action;type;identifiant;objet;origine"
        assert len(lines) == 2 and "Ménage BAIL-A" in lines[1] and admin.email in lines[1]
