"""The programme's pages: staff lists and forms, the callers' calendar, the volunteers' narrow view, the alerts."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.households.enums import ConsentPurpose
from proxima.outreach import services
from proxima.outreach.enums import AlertLevel, AlertStatus, ContactKind, ContactOutcome
from proxima.outreach.models import Alert, Contact, Enrolment, Programme
from tests.accounts.factories import UserFactory
from tests.households.factories import ConsentFactory, PersonFactory
from tests.outreach.factories import (
    ContactFactory,
    ContactPlanFactory,
    EnrolmentFactory,
    ProgrammeFactory,
    VolunteerFactory,
)
from tests.territory.factories import DwellingFactory, SiteFactory

pytestmark = pytest.mark.django_db

MY_CONTACTS = reverse("outreach:my_contacts")
ALERTS = reverse("outreach:alert_list")


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def enrol(programme, *, last_name, consent=True, **kwargs):
    enrolment = EnrolmentFactory(programme=programme, person__last_name=last_name, **kwargs)
    if consent:
        ConsentFactory(household=enrolment.household, purpose=ConsentPurpose.OUTREACH)
    return enrolment


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


class TestProgrammePages:
    def test_create(self, staff_client, landlord, staff, partner_org):
        """A programme with its default plan, referent and partner."""
        response = staff_client.post(
            reverse("outreach:programme_create"),
            {
                "name": "Lutte contre l'isolement des aînés",
                "call_every_days": 7,
                "visit_every_days": 30,
                "retry_days": 2,
                "referent": staff.pk,
                "referent_after_failures": 2,
                "partner": partner_org.pk,
                "partner_after_failures": 3,
                "partner_after_days": 14,
                "is_active": "on",
            },
        )
        programme = Programme.objects.get()
        assert response.url == reverse("outreach:programme_detail", args=[programme.pk])
        assert (programme.organisation, programme.referent, programme.partner) == (landlord, staff, partner_org)
        assert programme.escalation_params().partner_after_days == 14

    def test_partner_before_referent_is_refused(self, staff_client):
        """The partner is alerted after the referent: a clear message on the field."""
        response = staff_client.post(
            reverse("outreach:programme_create"),
            {"name": "P", "retry_days": 2, "referent_after_failures": 3, "partner_after_failures": 2},
        )
        assert response.status_code == 200
        assert "Le partenaire est alerté après le référent" in response.content.decode()
        assert not Programme.objects.exists()

    def test_referent_must_be_staff(self, staff_client, landlord):
        """Only the landlord's admins and proximity team are offered as referent."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        response = staff_client.get(reverse("outreach:programme_create"))
        assert agent not in response.context["form"].fields["referent"].queryset

    def test_list_constant_queries(self, staff_client, programme, enrolment, landlord, django_assert_num_queries):
        """The programmes and their counts in one query, whatever their number."""
        # session, user, programmes with their counts
        with django_assert_num_queries(3):
            staff_client.get(reverse("outreach:programme_list"))
        for _ in range(3):
            EnrolmentFactory(programme=ProgrammeFactory(organisation=landlord))
        with django_assert_num_queries(3):
            response = staff_client.get(reverse("outreach:programme_list"))
        assert len(response.context["programmes"]) == 4

    def test_list_counts(self, staff_client, programme, enrolment):
        """Each programme with its people followed and unresolved alerts."""
        response = staff_client.get(reverse("outreach:programme_list"))
        [row] = response.context["programmes"]
        assert (row.enrolled, row.unresolved_alerts) == (1, 0)


class TestProgrammeDetail:
    def url(self, programme):
        return reverse("outreach:programme_detail", args=[programme.pk])

    def test_lists_and_audits(self, staff_client, programme, enrolment, staff):
        """The people followed, with their consent state; the households shown are audited."""
        pending = enrol(programme, last_name="Martin", consent=False)
        response = staff_client.get(self.url(programme))
        states = {row["enrolment"].person.last_name: row["consent"] for row in response.context["rows"]}
        assert states == {"Durand": "given", "Martin": "pending"}
        event = AuditEvent.objects.filter(action=AuditAction.LIST, actor=staff).latest("at")
        assert sorted(event.details["ids"]) == sorted([enrolment.household_id, pending.household_id])

    def test_filters(self, staff_client, programme, enrolment, staff):
        """By consent state, by name, and ended follow-ups apart."""
        enrol(programme, last_name="Martin", consent=False)
        ended = enrol(programme, last_name="Petit")
        services.end_enrolment(enrolment=ended, on=timezone.localdate(), reason="moved", by=staff)

        def names(**params):
            response = staff_client.get(self.url(programme), params)
            return [row["enrolment"].person.last_name for row in response.context["rows"]]

        assert names() == ["Durand", "Martin"]
        assert names(consent="pending") == ["Martin"]
        assert names(q="dur") == ["Durand"]
        assert names(status="ended") == ["Petit"]
        assert names(status="all") == ["Durand", "Martin", "Petit"]

    def test_export_csv(self, staff_client, programme, enrolment):
        """The filtered list as CSV, with names, plans and consent; audited as an export."""
        ContactPlanFactory(enrolment=enrolment)
        rows = csv_rows(staff_client.get(self.url(programme), {"format": "csv"}))
        assert rows[0][:3] == ["personne suivie", "téléphone", "référence du bail"]
        assert rows[1][0] == "Jeanne Durand" and rows[1][7] == "accord donné"
        assert "appel tous les 7 jours (à attribuer)" in rows[1][8]
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()

    def test_export_xlsx(self, staff_client, programme, enrolment):
        """The same list as a spreadsheet."""
        from openpyxl import load_workbook

        response = staff_client.get(self.url(programme), {"format": "xlsx"})
        data = b"".join(response.streaming_content)
        response.close()
        assert response["Content-Disposition"].endswith('suivis-aines.xlsx"')
        sheet = load_workbook(io.BytesIO(data)).active
        assert [cell.value for cell in sheet[2]][:1] == ["Jeanne Durand"]

    def test_constant_queries(self, staff_client, programme, enrolment, django_assert_num_queries):
        """The number of queries does not grow with the people listed."""
        ContactPlanFactory(enrolment=enrolment)
        # session, user, programme, count, page with consent/last contact/alerts, plans with assignees, audit
        with django_assert_num_queries(7):
            staff_client.get(self.url(programme))
        for i in range(5):
            e = enrol(programme, last_name=f"Nom{i}")
            ContactPlanFactory(enrolment=e, assignee=UserFactory(organisation=programme.organisation))
            ContactFactory(enrolment=e, failed=bool(i % 2))
        with django_assert_num_queries(7):
            response = staff_client.get(self.url(programme))
        assert len(response.context["rows"]) == 6

    def test_field_agent_sees_their_sites_and_their_plans(self, client, programme, enrolment, landlord):
        """A field agent sees the people of their sites and those assigned to them, no one else."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        enrolment.household.dwelling.building.site.agents.add(agent)
        assigned = enrol(programme, last_name="Assigné")
        ContactPlanFactory(enrolment=assigned, assignee=agent)
        enrol(programme, last_name="Ailleurs")
        client.force_login(agent)
        response = client.get(self.url(programme))
        assert sorted(row["enrolment"].person.last_name for row in response.context["rows"]) == ["Assigné", "Durand"]

    def test_other_landlord(self, client, programme, other_landlord):
        """Another landlord's programme is a 404."""
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        assert client.get(self.url(programme)).status_code == 404


class TestEnrolPages:
    def test_bulk_from_the_outreach_list(self, staff_client, programme, landlord):
        """The page lists the elderly living alone not yet enrolled; the ticked ones are enrolled."""
        site = SiteFactory(organisation=landlord)
        people = [
            PersonFactory(household__dwelling=DwellingFactory(building__site=site), birth_year=1940, last_name=n)
            for n in ("Aubert", "Blanc")
        ]
        url = reverse("outreach:programme_enrol_list", args=[programme.pk])
        response = staff_client.get(url)
        assert sorted(r.household_id for r in response.context["rows"]) == sorted(p.household_id for p in people)
        assert "Aubert" in response.content.decode()
        response = staff_client.post(url, {"households": [people[0].household_id]})
        assert response.status_code == 302
        assert list(Enrolment.objects.values_list("person__last_name", flat=True)) == ["Aubert"]
        assert [r.household_id for r in staff_client.get(url).context["rows"]] == [people[1].household_id]

    def test_bulk_with_nothing_ticked(self, staff_client, programme, landlord):
        """Nothing ticked: a message, nothing enrolled."""
        PersonFactory(household__dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)))
        response = staff_client.post(reverse("outreach:programme_enrol_list", args=[programme.pk]), {})
        assert "Cochez au moins un ménage" in response.content.decode()
        assert not Enrolment.objects.exists()

    def test_one_household(self, staff_client, programme, landlord):
        """Found by lease reference, enrolled with the consent just given."""
        person = PersonFactory(
            household__dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)),
            household__reference="BAIL-42",
        )
        response = staff_client.post(
            reverse("outreach:programme_enrol", args=[programme.pk]),
            {
                "reference": "BAIL-42",
                "consent_given": "on",
                "consent_given_on": "2026-03-02",
                "consent_channel": "phone",
            },
        )
        enrolment = Enrolment.objects.get()
        assert response.url == reverse("outreach:enrolment_detail", args=[enrolment.pk])
        assert enrolment.person == person and enrolment.consent is not None

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"reference": "INCONNU"}, "Aucun ménage de votre organisme n&#x27;a la référence de bail « INCONNU »"),
            ({"reference": "BAIL-42", "consent_given": "on"}, "Indiquez la date de l&#x27;accord"),
        ],
    )
    def test_one_household_errors(self, staff_client, programme, landlord, data, message):
        """An unknown reference, or a consent without its date: a message on the field, nothing written."""
        PersonFactory(
            household__dwelling=DwellingFactory(building__site=SiteFactory(organisation=landlord)),
            household__reference="BAIL-42",
        )
        response = staff_client.post(reverse("outreach:programme_enrol", args=[programme.pk]), data)
        assert message in response.content.decode()
        assert not Enrolment.objects.exists()


class TestEnrolmentPages:
    def url(self, enrolment, name="outreach:enrolment_detail"):
        return reverse(name, args=[enrolment.pk])

    def test_detail_is_audited(self, staff_client, enrolment, staff):
        """Reading a follow-up reads a household's record: audited."""
        ContactPlanFactory(enrolment=enrolment)
        response = staff_client.get(self.url(enrolment))
        assert "Jeanne Durand" in response.content.decode()
        assert AuditEvent.objects.filter(
            action=AuditAction.READ,
            actor=staff,
            target_type="households.Household",
            target_id=str(enrolment.household_id),
        ).exists()

    def test_plan_to_volunteer_without_consent(self, staff_client, programme, volunteer):
        """The plan form refuses a volunteer until the person has agreed, and says why."""
        enrolment = enrol(programme, last_name="Martin", consent=False)
        response = staff_client.post(
            self.url(enrolment, "outreach:enrolment_plan"),
            {"kind": "call", "every_days": 7, "assignee": volunteer.pk, "starts_on": "2026-03-02"},
            follow=True,
        )
        assert "Recueillez d&#x27;abord l&#x27;accord" in response.content.decode()
        assert not enrolment.plans.exists()

    def test_consent_then_plan(self, staff_client, programme, volunteer):
        """Once the consent is recorded, the volunteer can be given the calls."""
        enrolment = enrol(programme, last_name="Martin", consent=False)
        staff_client.post(
            self.url(enrolment, "outreach:enrolment_consent"), {"given_on": "2026-03-02", "channel": "phone"}
        )
        staff_client.post(
            self.url(enrolment, "outreach:enrolment_plan"),
            {"kind": "call", "every_days": 7, "assignee": volunteer.pk, "starts_on": "2026-03-02"},
        )
        assert enrolment.plans.get().assignee == volunteer

    def test_end(self, staff_client, enrolment):
        """Ending with a reason."""
        staff_client.post(
            self.url(enrolment, "outreach:enrolment_end"), {"on": timezone.localdate(), "reason": "deceased"}
        )
        enrolment.refresh_from_db()
        assert enrolment.end_reason == "deceased"


class TestVolunteer:
    @pytest.fixture
    def assigned(self, enrolment, volunteer):
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.CALL, assignee=volunteer)
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.VISIT, every_days=30)
        return enrolment

    def test_sees_only_their_people(self, client, programme, assigned, volunteer):
        """The calendar lists the people assigned to the volunteer, no one else; audited in the landlord's trail."""
        other = enrol(programme, last_name="Martin")
        ContactPlanFactory(enrolment=other, assignee=VolunteerFactory(organisation=volunteer.organisation))
        client.force_login(volunteer)
        response = client.get(MY_CONTACTS)
        shown = [r.enrolment.person.last_name for r in response.context["overdue"] + response.context["today_rows"]]
        assert shown == ["Durand"]
        event = AuditEvent.objects.get(action=AuditAction.LIST, actor=volunteer)
        assert event.organisation == programme.organisation and event.details["ids"] == [assigned.household_id]

    def test_minimal_data(self, client, assigned, volunteer):
        """Name, phone, address and their own plan: no lease reference, no link to the household's record."""
        client.force_login(volunteer)
        content = client.get(reverse("outreach:contact_record", args=[assigned.pk])).content.decode()
        assert "Jeanne Durand" in content and "12 rue des Tilleuls" in content
        assert assigned.household.reference not in content
        assert reverse("households:detail", args=[assigned.household_id]) not in content
        assert "visite à domicile tous les 30 jours" not in content  # someone else's plan

    def test_records_a_call(self, client, assigned, volunteer):
        """The volunteer records the call's outcome; it goes to the household's history."""
        client.force_login(volunteer)
        response = client.post(
            reverse("outreach:contact_record", args=[assigned.pk]),
            {"kind": "call", "outcome": "reached", "contacted_on": timezone.localdate().isoformat(), "note": ""},
        )
        assert response.url == MY_CONTACTS
        contact = Contact.objects.get()
        assert contact.recorded_by == volunteer and contact.interaction.recorded_by == volunteer

    def test_cannot_record_a_visit(self, client, assigned, volunteer):
        """Only the kinds of the volunteer's plans are offered; another kind is refused."""
        client.force_login(volunteer)
        response = client.post(
            reverse("outreach:contact_record", args=[assigned.pk]),
            {"kind": "visit", "outcome": "reached", "contacted_on": timezone.localdate().isoformat()},
        )
        assert response.status_code == 200 and not Contact.objects.exists()

    def test_not_assigned_is_404(self, client, enrolment):
        """Another volunteer of the same partner does not reach the person."""
        client.force_login(VolunteerFactory(organisation=enrolment.programme.partner))
        assert client.get(reverse("outreach:contact_record", args=[enrolment.pk])).status_code == 404

    def test_consent_withdrawn_hides_the_person(self, client, assigned, volunteer):
        """When the household withdraws its consent, the volunteer no longer sees the person."""
        consent = assigned.household.consents.get()
        consent.withdrawn_on = timezone.localdate()
        consent.save()
        client.force_login(volunteer)
        assert client.get(reverse("outreach:contact_record", args=[assigned.pk])).status_code == 404
        response = client.get(MY_CONTACTS)
        assert response.context["overdue"] + response.context["today_rows"] + response.context["week"] == []

    def test_no_staff_pages(self, client, assigned, volunteer):
        """The programme's and the follow-up's pages are the landlord's."""
        client.force_login(volunteer)
        assert client.get(reverse("outreach:enrolment_detail", args=[assigned.pk])).status_code == 403
        assert client.get(reverse("outreach:programme_list")).status_code == 403


class TestMyContacts:
    def test_buckets(self, staff_client, programme, staff):
        """Late first, then today's, then the next 7 days'; later ones only counted."""
        today = timezone.localdate()
        for name, starts_on in (("Late", -3), ("Today", 0), ("Week", 4), ("Later", 20)):
            e = enrol(programme, last_name=name)
            ContactPlanFactory(enrolment=e, assignee=staff, starts_on=today + dt.timedelta(days=starts_on))
        response = staff_client.get(MY_CONTACTS)

        def names(key):
            return [r.enrolment.person.last_name for r in response.context[key]]

        assert (names("overdue"), names("today_rows"), names("week")) == (["Late"], ["Today"], ["Week"])
        assert response.context["later"] == 1
        assert response.context["overdue"][0].due.days_late == 3

    def test_after_a_failed_call_retry(self, staff_client, enrolment, staff):
        """A call unanswered yesterday is due again tomorrow (retry after 2 days)."""
        ContactPlanFactory(enrolment=enrolment, assignee=staff, starts_on=timezone.localdate() - dt.timedelta(days=10))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(1))
        [row] = staff_client.get(MY_CONTACTS).context["week"]
        assert row.due.due_on == timezone.localdate() + dt.timedelta(days=1) and row.due.last_success is False

    def test_manager_sees_unassigned_and_others(self, staff_client, enrolment, volunteer):
        """A manager may look at the plans to assign and at a volunteer's calendar."""
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.VISIT)
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.CALL, assignee=volunteer)
        unassigned = staff_client.get(MY_CONTACTS, {"agent": "aucun"}).context
        assert [r.plan.kind for r in unassigned["overdue"]] == [ContactKind.VISIT]
        theirs = staff_client.get(MY_CONTACTS, {"agent": volunteer.pk}).context
        assert [r.plan.kind for r in theirs["overdue"]] == [ContactKind.CALL]
        assert staff_client.get(MY_CONTACTS, {"agent": 999999}).status_code == 404

    def test_field_agent_cannot_look_at_others(self, client, landlord, enrolment):
        """The agent filter is for managers: a field agent always gets their own calendar."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        ContactPlanFactory(enrolment=enrolment)
        client.force_login(agent)
        response = client.get(MY_CONTACTS, {"agent": "aucun"})
        assert response.context["agent"] == agent and response.context["overdue"] == []

    def test_export(self, staff_client, enrolment, staff):
        """The calendar as CSV."""
        ContactPlanFactory(enrolment=enrolment, assignee=staff, starts_on=timezone.localdate())
        rows = csv_rows(staff_client.get(MY_CONTACTS, {"format": "csv"}))
        assert rows[0][:3] == ["à faire le", "jours de retard", "type de contact"]
        assert rows[1][4] == "Jeanne Durand"

    def test_constant_queries(self, staff_client, programme, staff, django_assert_num_queries):
        """One query for the plans with their last contacts, whatever their number."""
        e = enrol(programme, last_name="Un")
        ContactPlanFactory(enrolment=e, assignee=staff)
        # session, user, plans with last contacts, audit
        with django_assert_num_queries(4):
            staff_client.get(MY_CONTACTS)
        for i in range(5):
            e = enrol(programme, last_name=f"N{i}")
            ContactPlanFactory(enrolment=e, assignee=staff)
            ContactPlanFactory(enrolment=e, assignee=staff, kind=ContactKind.VISIT)
            ContactFactory(enrolment=e, occurred_at=days_ago(10))
        with django_assert_num_queries(4):
            response = staff_client.get(MY_CONTACTS)
        assert len(response.context["overdue"]) == 11


class TestAlerts:
    @pytest.fixture
    def alerts(self, enrolment, staff):
        for n in (5, 4, 3):
            ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(n))
        services.escalate(today=timezone.localdate(), wet_run=True)
        return {a.level: a for a in Alert.objects.all()}

    def test_staff_see_all_of_theirs(self, staff_client, alerts):
        """Both levels, unresolved first by default."""
        response = staff_client.get(ALERTS)
        assert {a.level for a in response.context["page"]} == {AlertLevel.REFERENT, AlertLevel.PARTNER}

    def test_partner_sees_only_what_is_addressed_to_it(self, client, alerts, volunteer, landlord):
        """The partner's users see the partner alert, not the referent's, nor another partner's."""
        other = EnrolmentFactory(programme=ProgrammeFactory(organisation=landlord, with_partner=True))
        ContactFactory(enrolment=other, failed=True, occurred_at=days_ago(4))
        ContactFactory(enrolment=other, failed=True, occurred_at=days_ago(3))
        ContactFactory(enrolment=other, failed=True, occurred_at=days_ago(2))
        services.escalate(today=timezone.localdate(), wet_run=True)
        client.force_login(volunteer)
        response = client.get(ALERTS)
        assert [a.pk for a in response.context["page"]] == [alerts[AlertLevel.PARTNER].pk]
        referent = alerts[AlertLevel.REFERENT]
        assert client.get(reverse("outreach:alert_detail", args=[referent.pk])).status_code == 404

    def test_partner_acknowledges_then_resolves(self, client, alerts, volunteer):
        """The partner acts on its alert; each change is in the alert's history."""
        alert = alerts[AlertLevel.PARTNER]
        url = reverse("outreach:alert_transition", args=[alert.pk])
        client.force_login(volunteer)
        client.post(url, {"status": "acknowledged", "note": "J'y passe."})
        response = client.post(url, {"status": "resolved", "note": ""}, follow=True)
        assert "dites ce qui a été fait" in response.content.decode()
        client.post(url, {"status": "resolved", "note": "Elle était chez sa sœur."})
        alert.refresh_from_db()
        assert alert.status == AlertStatus.RESOLVED
        content = client.get(reverse("outreach:alert_detail", args=[alert.pk])).content.decode()
        assert "Elle était chez sa sœur." in content and volunteer.email in content

    def test_filters_and_export(self, staff_client, alerts, staff):
        """Resolved alerts apart; the export lists the filtered alerts."""
        services.transition_alert(
            alert=alerts[AlertLevel.REFERENT], to_status=AlertStatus.RESOLVED, by=staff, note="ok"
        )
        assert [a.level for a in staff_client.get(ALERTS).context["page"]] == [AlertLevel.PARTNER]
        assert [a.level for a in staff_client.get(ALERTS, {"status": "resolved"}).context["page"]] == [
            AlertLevel.REFERENT
        ]
        rows = csv_rows(staff_client.get(ALERTS, {"status": "all", "format": "csv"}))
        assert len(rows) == 3 and rows[0][0] == "levée le"

    def test_constant_queries(self, staff_client, alerts, programme, django_assert_num_queries):
        """The number of queries does not grow with the alerts listed."""
        # session, user, count, page, audit
        with django_assert_num_queries(5):
            staff_client.get(ALERTS)
        for i in range(3):
            e = enrol(programme, last_name=f"N{i}")
            ContactFactory(enrolment=e, failed=True, occurred_at=days_ago(3))
            services.record_contact(
                enrolment=e, kind="call", outcome=ContactOutcome.NO_ANSWER, when=days_ago(2), by=programme.referent
            )
        with django_assert_num_queries(5):
            response = staff_client.get(ALERTS)
        assert len(response.context["page"]) == 5
