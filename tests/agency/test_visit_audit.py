"""The visit log form audits the households it names, the « Références proches » suggested for a mistyped one too."""

import pytest

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.models import VisitLog
from tests.agency.factories_visits import published_tour
from tests.agency.test_visit_views import edit_url, rows_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def tour(landlord):
    return published_tour(landlord)


def audited_ids() -> list[int]:
    return AuditEvent.objects.filter(action=AuditAction.LIST).latest("pk").details["ids"]


class TestSuggestedReferencesAreAudited:
    def test_partial_reference(self, client, tour):
        """The first letters of a reference: the households suggested are in the LIST audit event."""
        client.force_login(tour.staff)
        response = client.post(edit_url(tour.visit), rows_data([("BAI", [VisitTopic.TECHNICAL], FollowUp.NONE)]))
        assert response.status_code == 200
        assert "Références proches : BAIL-A1, BAIL-A2, BAIL-B1." in response.content.decode()
        assert set(audited_ids()) >= {tour.a1.pk, tour.a2.pk, tour.b1.pk}
        assert not VisitLog.objects.exists()

    def test_only_households_the_agent_sees(self, client, tour):
        """A field agent is suggested, and audited for, the households of their own sites only."""
        client.force_login(tour.agent)
        client.post(edit_url(tour.visit), rows_data([("bail", [], FollowUp.NONE)]))
        assert sorted(audited_ids()) == sorted([tour.a1.pk, tour.a2.pk])

    def test_with_an_error_elsewhere_on_the_form(self, client, tour):
        """When the visit's own fields are wrong too, the suggestions shown are still audited."""
        client.force_login(tour.staff)
        data = rows_data(
            [("A1", [], FollowUp.NONE)], extra_fields={"anonymous_count": "0", "anonymous_topics": [VisitTopic.RIGHTS]}
        )
        response = client.post(edit_url(tour.visit), data)
        assert "Références proches : BAIL-A1." in response.content.decode()
        assert audited_ids() == [tour.a1.pk]

    def test_nothing_suggested(self, client, tour):
        """A reference that matches nothing names no household."""
        client.force_login(tour.staff)
        client.post(edit_url(tour.visit), rows_data([("ZZZ", [], FollowUp.NONE)]))
        assert audited_ids() == []
