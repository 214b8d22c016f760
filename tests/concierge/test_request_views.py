"""The concierge's file and request pages: filters, order, export, audit, recording and moving requests along."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.concierge.enums import ReceivedVia, RequestKind, RequestStatus
from proxima.concierge.models import ConciergeRequest
from proxima.households.models import Interaction
from tests.concierge.factories import ConciergeRequestFactory, in_days
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

LIST = reverse("concierge:request_list")


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


def codes(response):
    return [row["request"].code for row in response.context["rows"]]


class TestList:
    def test_open_requests_by_due_date(self, logged, landlord, other_landlord):
        """By default: the open requests, overdue first, never another landlord's nor the closed ones."""
        ConciergeRequestFactory(organisation=landlord, code="LATER2", due_on=in_days(5))
        ConciergeRequestFactory(organisation=landlord, code="LATE22", overdue=True)
        ConciergeRequestFactory(organisation=landlord, code="DONE22", done=True)
        ConciergeRequestFactory(organisation=other_landlord, code="OTHER2")
        response = logged.get(LIST)
        assert codes(response) == ["LATE22", "LATER2"]
        content = response.content.decode()
        assert "1 demande en retard" in content and "en retard</span>" in content

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"status": "done"}, ["DONE22"]),
            ({"status": "all"}, ["DONE22", "MINE22", "LATE22"]),
            ({"kind": RequestKind.BREAD}, ["MINE22"]),
            ({"assignee": "me"}, ["MINE22"]),
            ({"assignee": "none"}, ["LATE22"]),
            ({"due": "overdue"}, ["LATE22"]),
            ({"due": "week"}, ["MINE22"]),
            ({"received_via": ReceivedVia.ONLINE}, ["MINE22"]),
            ({"q": "mine22"}, ["MINE22"]),
            ({"q": "dupont"}, ["LATE22"]),
        ],
    )
    def test_filters(self, logged, landlord, staff, query, expected):
        """Each filter narrows the file: state, kind, assignee, due date, channel, code or name."""
        ConciergeRequestFactory(organisation=landlord, code="LATE22", overdue=True, name="Jean Dupont")
        ConciergeRequestFactory(
            organisation=landlord,
            code="MINE22",
            kind=RequestKind.BREAD,
            assigned_to=staff,
            received_via=ReceivedVia.ONLINE,
            due_on=in_days(2),
        )
        ConciergeRequestFactory(organisation=landlord, code="DONE22", done=True, assigned_to=staff)
        assert codes(logged.get(LIST, query)) == expected

    def test_invalid_filter_shows_nothing(self, logged, landlord):
        ConciergeRequestFactory(organisation=landlord)
        response = logged.get(LIST, {"kind": "pizza"})
        assert codes(response) == []
        assert "pizza" in response.content.decode()

    def test_names_shown_are_audited(self, logged, landlord):
        """The list names people and households: the page view is logged with the ids shown."""
        household = HouseholdFactory(dwelling__building__site__organisation=landlord)
        request = ConciergeRequestFactory(organisation=landlord, household=household)
        logged.get(LIST)
        listed = AuditEvent.objects.get(action=AuditAction.LIST, target_type="concierge.ConciergeRequest")
        assert listed.details["ids"] == [request.pk]
        households = AuditEvent.objects.get(action=AuditAction.LIST, target_type="households.Household")
        assert households.details["ids"] == [household.pk]

    def test_field_agent_sees_every_request_but_links_only_their_households(self, client, field_agent, landlord):
        """The concierge is open to everyone; a tenant of a site not entrusted to the agent is not linked."""
        HouseholdFactory(dwelling__building__site__organisation=landlord)
        request = ConciergeRequestFactory(
            organisation=landlord, household=HouseholdFactory(dwelling__building__site__organisation=landlord)
        )
        client.force_login(field_agent)
        response = client.get(LIST)
        assert codes(response) == [request.code]
        assert reverse("households:detail", args=[request.household_id]) not in response.content.decode()

    def test_constant_queries(self, logged, landlord, django_assert_num_queries):
        """The number of queries does not grow with the requests listed."""
        household = HouseholdFactory(dwelling__building__site__organisation=landlord)
        ConciergeRequestFactory(organisation=landlord, household=household)
        # session, user, the filter's staff, count, page rows, overdue count, two audit events
        with django_assert_num_queries(8):
            logged.get(LIST, {"status": "all", "due": ""})
        for _ in range(12):
            ConciergeRequestFactory(organisation=landlord, household=household)
        with django_assert_num_queries(8):
            response = logged.get(LIST, {"status": "all", "due": ""})
        assert len(response.context["rows"]) == 13

    def test_export(self, logged, landlord):
        """The filtered file as CSV, without phone or e-mail; the export is audited."""
        ConciergeRequestFactory(
            organisation=landlord, code="LATE22", overdue=True, name="Jean Dupont", phone="0611111111"
        )
        ConciergeRequestFactory(organisation=landlord, code="DONE22", done=True)
        response = logged.get(LIST, {"format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["code", "reçue le", "reçue"]
        assert [row[0] for row in rows[1:]] == ["LATE22"]
        assert rows[1][rows[0].index("en retard")] == "oui"
        assert "0611111111" not in str(rows)
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, target_type="concierge.ConciergeRequest").exists()

    def test_xlsx(self, logged, landlord):
        """The same file as a spreadsheet, dates in local time."""
        request = ConciergeRequestFactory(organisation=landlord)
        response = logged.get(LIST, {"format": "xlsx"})
        assert response["Content-Disposition"].endswith('conciergerie-demandes.xlsx"')
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet.cell(2, 1).value == request.code
        assert sheet.cell(2, 2).value == timezone.localtime(request.received_at).replace(tzinfo=None, microsecond=0)


class TestCreate:
    def test_records_and_gives_the_code(self, logged, landlord, staff):
        """A request taken on the phone; the message gives the code to pass on."""
        response = logged.post(
            reverse("concierge:request_create"),
            {
                "kind": RequestKind.SMALL_REPAIR,
                "received_via": ReceivedVia.PHONE,
                "name": "M. Petit",
                "phone": "06 12 34 56 78",
            },
            follow=True,
        )
        request = ConciergeRequest.objects.get()
        assert (request.created_by, request.received_via) == (staff, ReceivedVia.PHONE)
        assert f"Code de suivi à donner à la personne : {request.code}" in response.content.decode()

    def test_tenant_by_lease_reference(self, logged, landlord):
        household = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-42")
        logged.post(
            reverse("concierge:request_create"),
            {
                "kind": RequestKind.BREAD,
                "received_via": ReceivedVia.IN_PERSON,
                "name": "Mme Roux",
                "household_reference": "bail-42",
            },
        )
        assert ConciergeRequest.objects.get().household == household
        assert Interaction.objects.get(household=household).channel == "concierge"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"phone": ""}, "Indiquez un téléphone ou une adresse e-mail"),
            ({"phone": "0612"}, "ne semble pas complet"),
            ({"household_reference": "INCONNU"}, "Aucun ménage de vos résidences"),
            ({"due_on": "2000-01-01"}, "déjà passée"),
            ({"email": "roux@", "phone": ""}, "adresse e-mail n&#x27;est pas complète"),
        ],
    )
    def test_bad_input_is_explained(self, logged, data, message):
        """Each mistake is said next to its field; nothing is recorded."""
        base = {
            "kind": RequestKind.BREAD,
            "received_via": ReceivedVia.PHONE,
            "name": "M. Petit",
            "phone": "0612345678",
        }
        response = logged.post(reverse("concierge:request_create"), {**base, **data})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not ConciergeRequest.objects.exists()

    def test_field_agent_links_only_their_sites(self, client, field_agent, landlord):
        """A field agent cannot name a tenant of a site not entrusted to them."""
        HouseholdFactory(dwelling__building__site__organisation=landlord, reference="AILLEURS")
        client.force_login(field_agent)
        response = client.post(
            reverse("concierge:request_create"),
            {
                "kind": RequestKind.BREAD,
                "received_via": ReceivedVia.PHONE,
                "name": "X",
                "household_reference": "AILLEURS",
            },
        )
        assert "Aucun ménage de vos résidences" in response.content.decode()


class TestDetail:
    def test_shows_contact_and_log_and_is_audited(self, logged, landlord):
        request = ConciergeRequestFactory(organisation=landlord, phone="0698765432")
        response = logged.get(reverse("concierge:request_detail", args=[request.pk]))
        content = response.content.decode()
        assert "0698765432" in content
        assert [t["action"] for t in response.context["transitions"]] == ["start", "hold", "complete", "cancel"]
        read = AuditEvent.objects.get(action=AuditAction.READ)
        assert (read.target_type, read.target_id) == ("concierge.ConciergeRequest", str(request.pk))

    def test_other_landlord_is_404(self, logged, other_landlord):
        request = ConciergeRequestFactory(organisation=other_landlord)
        assert logged.get(reverse("concierge:request_detail", args=[request.pk])).status_code == 404


class TestTransitionViews:
    def url(self, request, action):
        return reverse("concierge:request_transition", args=[request.pk, action])

    def test_complete_with_outcome(self, logged, landlord, staff):
        request = ConciergeRequestFactory(organisation=landlord)
        response = logged.post(
            self.url(request, "complete"), {"text": "Pain déposé", "channel": "concierge"}, follow=True
        )
        request.refresh_from_db()
        assert (request.status, request.outcome) == (RequestStatus.DONE, "Pain déposé")
        assert "traitée" in response.content.decode()
        assert request.log.last().by == staff

    def test_missing_outcome_is_a_message(self, logged, landlord):
        request = ConciergeRequestFactory(organisation=landlord)
        response = logged.post(self.url(request, "complete"), {"text": ""}, follow=True)
        assert "Ce qui a été fait : Ce champ est obligatoire." in response.content.decode()
        request.refresh_from_db()
        assert request.status == RequestStatus.NEW

    def test_refused_transition_is_a_message(self, logged, landlord):
        request = ConciergeRequestFactory(organisation=landlord, done=True)
        response = logged.post(self.url(request, "start"), follow=True)
        assert "ne peut pas être prise en charge" in response.content.decode()

    def test_unknown_action_is_404(self, logged, landlord):
        request = ConciergeRequestFactory(organisation=landlord)
        assert logged.post(self.url(request, "archive")).status_code == 404

    def test_assign(self, logged, landlord, field_agent):
        request = ConciergeRequestFactory(organisation=landlord)
        logged.post(reverse("concierge:request_assign", args=[request.pk]), {"assigned_to": field_agent.pk})
        request.refresh_from_db()
        assert request.assigned_to == field_agent


class TestUpdate:
    def test_link_household_afterwards(self, logged, landlord):
        household = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-7")
        request = ConciergeRequestFactory(organisation=landlord, received_via=ReceivedVia.ONLINE)
        response = logged.post(
            reverse("concierge:request_update", args=[request.pk]),
            {
                "kind": request.kind,
                "due_on": request.due_on.isoformat(),
                "name": request.name,
                "phone": request.phone,
                "household_reference": "BAIL-7",
            },
        )
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.household == household
        assert Interaction.objects.get().channel == "web"

    def test_field_agent_keeps_a_household_they_do_not_see(self, client, field_agent, landlord):
        """A field agent correcting a request does not see, nor unlink, the household a colleague linked."""
        household = HouseholdFactory(dwelling__building__site__organisation=landlord, reference="BAIL-CACHE")
        request = ConciergeRequestFactory(organisation=landlord, household=household)
        client.force_login(field_agent)
        url = reverse("concierge:request_update", args=[request.pk])
        assert "BAIL-CACHE" not in client.get(url).content.decode()
        data = {
            "kind": request.kind,
            "due_on": request.due_on.isoformat(),
            "name": "Nom corrigé",
            "phone": request.phone,
        }
        assert client.post(url, data).status_code == 302
        request.refresh_from_db()
        assert (request.name, request.household) == ("Nom corrigé", household)
