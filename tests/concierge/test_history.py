"""A household's interaction history: every app's contacts, newest first, filtered, exported, audited."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.concierge import services
from proxima.households.models import Interaction
from tests.concierge.factories import ItemFactory
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(landlord):
    return HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-1")


def contact(household, days_ago, *, source, channel="phone", outcome=""):
    return Interaction.objects.create(
        organisation=household.organisation,
        household=household,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        channel=channel,
        source=source,
        outcome=outcome,
    )


def url(household):
    return reverse("concierge:household_history", args=[household.pk])


class TestHistory:
    def test_every_app_newest_first(self, client, staff, household):
        """Survey, outreach, bus and concierge contacts together, newest first; reading it is audited."""
        contact(household, 30, source="enquête")
        contact(household, 10, source="aller vers")
        contact(household, 20, source="agence mobile", channel="mobile_agency")
        services.lend_item(
            item=ItemFactory(organisation=household.organisation),
            name="M. Petit",
            household=household,
            lent_on=timezone.localdate(),
            by=staff,
        )
        client.force_login(staff)
        response = client.get(url(household))
        assert [i.source for i in response.context["page"]] == [
            "conciergerie",
            "aller vers",
            "agence mobile",
            "enquête",
        ]
        read = AuditEvent.objects.get(action=AuditAction.READ)
        assert (read.target_type, read.target_id) == ("households.Household", str(household.pk))

    def test_filters(self, client, staff, household):
        contact(household, 30, source="enquête")
        contact(household, 10, source="aller vers", channel="home_visit")
        contact(household, 2, source="aller vers")
        client.force_login(staff)
        assert [i.source for i in client.get(url(household), {"source": "enquête"}).context["page"]] == ["enquête"]
        assert len(client.get(url(household), {"channel": "home_visit"}).context["page"]) == 1
        since = (timezone.localdate() - dt.timedelta(days=15)).isoformat()
        assert len(client.get(url(household), {"since": since}).context["page"]) == 2

    def test_period_the_wrong_way(self, client, staff, household):
        client.force_login(staff)
        response = client.get(url(household), {"since": "2026-05-01", "until": "2026-04-01"})
        assert "La fin de la période précède son début." in response.content.decode()

    def test_paginated_with_constant_queries(self, client, staff, household, settings, django_assert_num_queries):
        """Fifty contacts a page, whatever the length of the history."""
        for days in range(60):
            contact(household, days, source="aller vers")
        client.force_login(staff)
        # session, user, household, sources, count, page, audit
        with django_assert_num_queries(7):
            response = client.get(url(household))
        assert len(response.context["page"]) == settings.PROXIMA_PAGE_SIZE
        assert "Page 1 sur 2" in response.content.decode()

    def test_export(self, client, staff, household):
        contact(household, 1, source="aller vers", outcome="joint")
        client.force_login(staff)
        response = client.get(url(household), {"format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["date", "canal", "origine"]
        assert rows[1][2:5] == ["aller vers", "", "joint"]
        assert AuditEvent.objects.get(action=AuditAction.READ).details == {"export": "csv"}

    def test_field_agent_only_their_sites(self, client, field_agent, household):
        """A field agent opens only the histories of the households of their sites."""
        client.force_login(field_agent)
        assert client.get(url(household)).status_code == 404
        household.dwelling.building.site.agents.add(field_agent)
        assert client.get(url(household)).status_code == 200

    def test_household_page_links_to_it(self, client, staff, household):
        client.force_login(staff)
        assert url(household) in client.get(reverse("households:detail", args=[household.pk])).content.decode()
