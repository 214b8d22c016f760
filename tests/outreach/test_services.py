"""The programme's writes: enrolment, consent, plans, contacts, escalation, alerts and their e-mails."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.households.enums import ConsentChannel, ConsentPurpose, InteractionChannel
from proxima.households.models import Consent, Interaction
from proxima.households.services import withdraw_consent
from proxima.outreach import services
from proxima.outreach.enums import AlertLevel, AlertStatus, ContactKind, ContactOutcome, EndReason, EnrolmentSource
from proxima.outreach.models import Alert, Contact, ContactPlan, Enrolment
from tests.accounts.factories import OrganisationFactory, UserFactory
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


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def single(site, *, birth_year=1944, reference=None, **kwargs):
    """A one-person household on ``site``."""
    extra = {"household__reference": reference} if reference else {}
    return PersonFactory(
        household__dwelling=DwellingFactory(building__site=site),
        birth_year=birth_year,
        **extra,
        **kwargs,
    ).household


class TestEnrolFromOutreachList:
    @pytest.fixture
    def site(self, landlord):
        return SiteFactory(organisation=landlord)

    def test_enrols_the_elderly_living_alone(self, programme, staff, site):
        """Only the people of 75 or more living alone; each with the default call and visit plans, unassigned."""
        alone = single(site, birth_year=1944)
        single(site, birth_year=1990)  # young, alone: not for this programme
        couple = single(site, birth_year=1940)
        PersonFactory(household=couple, birth_year=1942)
        enrolled = services.enrol_from_outreach_list(programme=programme, by=staff, today=timezone.localdate())
        assert [e.household for e in enrolled] == [alone]
        enrolment = enrolled[0]
        assert enrolment.source == EnrolmentSource.OUTREACH_LIST and enrolment.person.household == alone
        plans = {(p.kind, p.every_days, p.assignee_id) for p in enrolment.plans.all()}
        assert plans == {(ContactKind.CALL, 7, None), (ContactKind.VISIT, 30, None)}

    def test_safe_to_repeat(self, programme, staff, site):
        """A second run enrols nobody again, even after an enrolment has ended."""
        single(site)
        single(site)
        today = timezone.localdate()
        first = services.enrol_from_outreach_list(programme=programme, by=staff, today=today)
        services.end_enrolment(enrolment=first[0], on=today, reason=EndReason.DECLINED, by=staff)
        assert services.enrol_from_outreach_list(programme=programme, by=staff, today=today) == []
        assert Enrolment.objects.count() == 2

    def test_only_the_ticked_households(self, programme, staff, site):
        """With household_ids, the others stay on the list."""
        wanted = single(site)
        single(site)
        enrolled = services.enrol_from_outreach_list(
            programme=programme, by=staff, today=timezone.localdate(), household_ids=[wanted.pk]
        )
        assert [e.household for e in enrolled] == [wanted]

    def test_consent_in_force_is_linked(self, programme, staff, site):
        """A household that already agreed to courtesy calls has its consent on the enrolment."""
        household = single(site)
        consent = ConsentFactory(household=household, purpose=ConsentPurpose.OUTREACH)
        [enrolment] = services.enrol_from_outreach_list(programme=programme, by=staff, today=timezone.localdate())
        assert enrolment.consent == consent

    def test_households_that_withdrew_are_not_enrolled(self, programme, staff, site):
        """A withdrawn consent to courtesy calls keeps the household off the list, hence off the programme."""
        household = single(site)
        ConsentFactory(household=household, purpose=ConsentPurpose.OUTREACH, withdrawn_on=dt.date(2026, 2, 1))
        assert services.enrol_from_outreach_list(programme=programme, by=staff, today=timezone.localdate()) == []

    def test_ended_programme_refuses(self, programme, staff, site):
        """A programme no longer running takes no one."""
        single(site)
        programme.is_active = False
        programme.save()
        with pytest.raises(ValidationError, match="terminé"):
            services.enrol_from_outreach_list(programme=programme, by=staff, today=timezone.localdate())


class TestEnrolHousehold:
    def test_enrols_the_eldest_and_records_consent(self, programme, staff, landlord):
        """The eldest person is followed; the consent given on the phone is recorded for the household."""
        household = single(SiteFactory(organisation=landlord), birth_year=1950)
        eldest = PersonFactory(household=household, birth_year=1938, first_name="Marcel")
        enrolment = services.enrol_household(
            programme=programme,
            household=household,
            by=staff,
            today=dt.date(2026, 3, 2),
            consent_given_on=dt.date(2026, 3, 2),
            consent_channel=ConsentChannel.PHONE,
        )
        assert enrolment.person == eldest and enrolment.source == EnrolmentSource.STAFF
        consent = Consent.objects.get(household=household, purpose=ConsentPurpose.OUTREACH)
        assert enrolment.consent == consent and consent.recorded_by == staff

    def test_twice_is_refused(self, enrolment, staff):
        """A household already followed: a clear message, and the database would refuse it anyway."""
        with pytest.raises(ValidationError, match="déjà suivi"):
            services.enrol_household(
                programme=enrolment.programme, household=enrolment.household, by=staff, today=dt.date(2026, 3, 2)
            )
        duplicate = Enrolment(
            organisation=enrolment.organisation,
            programme=enrolment.programme,
            household=enrolment.household,
            person=enrolment.person,
            source=EnrolmentSource.STAFF,
            enrolled_on=dt.date(2026, 3, 2),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()

    def test_again_after_an_end(self, enrolment, staff):
        """Once the follow-up has ended, staff may enrol the household again."""
        services.end_enrolment(enrolment=enrolment, on=dt.date(2026, 2, 1), reason=EndReason.OTHER, by=staff)
        again = services.enrol_household(
            programme=enrolment.programme, household=enrolment.household, by=staff, today=dt.date(2026, 3, 2)
        )
        assert again.pk != enrolment.pk

    def test_other_landlord_household(self, programme, staff):
        """Another landlord's household cannot be enrolled."""
        other = single(SiteFactory(organisation=OrganisationFactory()))
        with pytest.raises(PermissionDenied):
            services.enrol_household(programme=programme, household=other, by=staff, today=dt.date(2026, 3, 2))


class TestConsentAndEnd:
    def test_record_consent(self, programme, staff):
        """The consent is recorded for the household, purpose outreach, and linked to the enrolment."""
        enrolment = EnrolmentFactory(programme=programme)
        consent = services.record_enrolment_consent(
            enrolment=enrolment, given_on=dt.date(2026, 3, 2), channel=ConsentChannel.IN_PERSON, by=staff
        )
        assert consent.purpose == ConsentPurpose.OUTREACH and enrolment.consent == consent

    def test_withdrawn_consent_makes_the_enrolment_not_contactable(self, enrolment):
        """A household that withdraws its consent leaves the calendars at once."""
        assert Enrolment.objects.contactable().filter(pk=enrolment.pk).exists()
        withdraw_consent(consent=enrolment.household.consents.get(), on=dt.date(2026, 3, 2))
        assert not Enrolment.objects.contactable().filter(pk=enrolment.pk).exists()
        assert Enrolment.objects.with_consent().get(pk=enrolment.pk).consent_withdrawn

    def test_end_stops_plans_and_resolves_alerts(self, enrolment, staff):
        """Ending the follow-up stops its plans and resolves its alerts, with the reason in the log."""
        plan = ContactPlanFactory(enrolment=enrolment)
        alert = Alert.objects.create(
            organisation=enrolment.organisation,
            enrolment=enrolment,
            level=AlertLevel.REFERENT,
            first_failure=ContactFactory(enrolment=enrolment, failed=True),
            failures_in_row=2,
            raised_on=dt.date(2026, 3, 1),
        )
        services.end_enrolment(enrolment=enrolment, on=dt.date(2026, 3, 2), reason=EndReason.CARE_HOME, by=staff)
        plan.refresh_from_db()
        alert.refresh_from_db()
        assert plan.ended_on == dt.date(2026, 3, 2)
        assert alert.status == AlertStatus.RESOLVED
        assert "entré en établissement" in alert.transitions.get().note

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"on": dt.date(2025, 12, 1)}, "ne peut précéder"),
            ({"reason": "bored"}, "Motif de fin inconnu"),
        ],
    )
    def test_invalid_end(self, enrolment, staff, kwargs, message):
        """An end before the enrolment, or without a known reason, is refused."""
        with pytest.raises(ValidationError, match=message):
            services.end_enrolment(
                enrolment=enrolment, by=staff, **{"on": dt.date(2026, 3, 2), "reason": EndReason.OTHER, **kwargs}
            )


class TestPlans:
    def test_new_plan_replaces_the_current_one(self, enrolment, staff):
        """One current plan per kind: the new one takes over the same day."""
        old = ContactPlanFactory(enrolment=enrolment)
        new = services.save_plan(
            enrolment=enrolment,
            kind=ContactKind.CALL,
            every_days=3,
            assignee=staff,
            starts_on=dt.date(2026, 3, 2),
            by=staff,
        )
        old.refresh_from_db()
        assert old.ended_on == dt.date(2026, 3, 2)
        assert list(enrolment.plans.current()) == [new]

    def test_volunteer_of_the_partner(self, enrolment, staff, volunteer):
        """A volunteer of the programme's partner may be given a plan once the person has agreed."""
        plan = services.save_plan(
            enrolment=enrolment,
            kind=ContactKind.CALL,
            every_days=7,
            assignee=volunteer,
            starts_on=dt.date(2026, 3, 2),
            by=staff,
        )
        assert plan.assignee == volunteer

    def test_volunteer_needs_consent(self, programme, staff, volunteer):
        """Without the person's consent, their details do not go to a volunteer."""
        enrolment = EnrolmentFactory(programme=programme)
        with pytest.raises(ValidationError, match="accord"):
            services.save_plan(
                enrolment=enrolment,
                kind=ContactKind.CALL,
                every_days=7,
                assignee=volunteer,
                starts_on=dt.date(2026, 3, 2),
                by=staff,
            )

    @pytest.mark.parametrize("who", ["other_partner", "read_only", "other_landlord"])
    def test_assignee_outside_the_programme(self, enrolment, staff, who):
        """Another partner's volunteer, a read-only user or another landlord's agent cannot be assigned."""
        assignee = {
            "other_partner": lambda: VolunteerFactory(),
            "read_only": lambda: UserFactory(organisation=enrolment.organisation, role=Role.READ_ONLY),
            "other_landlord": lambda: UserFactory(role=Role.FIELD_AGENT),
        }[who]()
        with pytest.raises(ValidationError, match="ne peut pas assurer"):
            services.save_plan(
                enrolment=enrolment,
                kind=ContactKind.CALL,
                every_days=7,
                assignee=assignee,
                starts_on=dt.date(2026, 3, 2),
                by=staff,
            )


class TestRecordContact:
    def test_writes_the_interaction_history(self, enrolment, staff):
        """A call is one Contact and one Interaction: phone, "aller vers", theme isolation, outcome in words."""
        ContactPlanFactory(enrolment=enrolment)
        contact = services.record_contact(
            enrolment=enrolment,
            kind=ContactKind.CALL,
            outcome=ContactOutcome.REACHED,
            when=days_ago(0),
            by=staff,
            note=" Va bien. ",
        )
        interaction = contact.interaction
        assert contact.success and contact.plan is not None
        assert interaction.household == enrolment.household
        assert interaction.channel == InteractionChannel.PHONE
        assert (interaction.source, interaction.theme) == ("aller vers", "isolement")
        assert interaction.outcome == "joint" and interaction.note == "Va bien."

    def test_visit_is_a_home_visit(self, enrolment, staff):
        """A visit is written as a home visit in the history."""
        contact = services.record_contact(
            enrolment=enrolment, kind=ContactKind.VISIT, outcome=ContactOutcome.ABSENT, when=days_ago(0), by=staff
        )
        assert contact.interaction.channel == InteractionChannel.HOME_VISIT and not contact.success

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"when": timezone.now() + dt.timedelta(days=1)}, "futur"),
            ({"when": timezone.make_aware(dt.datetime(2025, 12, 31, 12))}, "précède l'inscription"),
            ({"outcome": "lost"}, "Résultat inconnu"),
            ({"kind": "letter"}, "Type de contact inconnu"),
        ],
    )
    def test_invalid_contact_writes_nothing(self, enrolment, staff, kwargs, message):
        """Bad input: a clear message and neither a contact nor an interaction."""
        with pytest.raises(ValidationError, match=message):
            services.record_contact(
                enrolment=enrolment,
                by=staff,
                **{"kind": ContactKind.CALL, "outcome": ContactOutcome.REACHED, "when": days_ago(0), **kwargs},
            )
        assert not Contact.objects.exists() and not Interaction.objects.exists()

    def test_ended_enrolment(self, enrolment, staff):
        """No contact on a follow-up that has ended."""
        services.end_enrolment(enrolment=enrolment, on=dt.date(2026, 2, 1), reason=EndReason.MOVED, by=staff)
        with pytest.raises(ValidationError, match="terminé"):
            services.record_contact(
                enrolment=enrolment, kind=ContactKind.CALL, outcome=ContactOutcome.REACHED, when=days_ago(0), by=staff
            )

    def test_volunteer_records_only_their_plans(self, enrolment, volunteer):
        """A volunteer records the calls of their plan, not the visits someone else makes."""
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.CALL, assignee=volunteer)
        ContactPlanFactory(enrolment=enrolment, kind=ContactKind.VISIT)
        services.record_contact(
            enrolment=enrolment, kind=ContactKind.CALL, outcome=ContactOutcome.REACHED, when=days_ago(0), by=volunteer
        )
        with pytest.raises(PermissionDenied):
            services.record_contact(
                enrolment=enrolment,
                kind=ContactKind.VISIT,
                outcome=ContactOutcome.REACHED,
                when=days_ago(0),
                by=volunteer,
            )

    def test_failed_programme_contact_is_not_a_contact_for_the_outreach_list(self, enrolment, staff):
        """The needs app's "no recent contact" rule does not count a call nobody answered."""
        from proxima.needs.outreach_services import load_outreach_facts

        services.record_contact(
            enrolment=enrolment, kind=ContactKind.CALL, outcome=ContactOutcome.NO_ANSWER, when=days_ago(1), by=staff
        )
        [facts] = load_outreach_facts(organisation=enrolment.organisation, user=staff, today=timezone.localdate())
        assert facts.last_contact_on is None
        services.record_contact(
            enrolment=enrolment, kind=ContactKind.CALL, outcome=ContactOutcome.REACHED, when=days_ago(0), by=staff
        )
        [facts] = load_outreach_facts(organisation=enrolment.organisation, user=staff, today=timezone.localdate())
        assert facts.last_contact_on == timezone.localdate()


def record(enrolment, by, outcome, when):
    return services.record_contact(enrolment=enrolment, kind=ContactKind.CALL, outcome=outcome, when=when, by=by)


class TestEscalationOnRecord:
    def test_second_failure_alerts_the_referent_by_email(
        self, enrolment, staff, django_capture_on_commit_callbacks, mailoutbox
    ):
        """Two missed calls in a row: one referent alert, logged, and one e-mail naming no one."""
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(3))
        assert not Alert.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            record(enrolment, staff, ContactOutcome.WRONG_NUMBER, days_ago(1))
        alert = Alert.objects.get()
        assert (alert.level, alert.status, alert.failures_in_row) == (AlertLevel.REFERENT, AlertStatus.OPEN, 2)
        assert alert.referent == staff and alert.partner is None
        assert alert.transitions.get().to_status == AlertStatus.OPEN
        [message] = mailoutbox
        assert message.to == [staff.email]
        assert "Isolement des aînés" in message.subject
        assert f"/aines/alertes/{alert.pk}/" in message.body
        assert "Durand" not in message.body and "Jeanne" not in message.body

    def test_third_failure_alerts_the_partner_users(
        self, enrolment, staff, volunteer, partner_org, django_capture_on_commit_callbacks, mailoutbox
    ):
        """A third failure: a partner alert, e-mailed to the partner's users and to the referent, one message each."""
        partner_admin = UserFactory(organisation=partner_org, role=Role.ADMIN, email="admin@lien-seniors.example.org")
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(5))
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(3))
        with django_capture_on_commit_callbacks(execute=True):
            record(enrolment, staff, ContactOutcome.ABSENT, days_ago(1))
        partner_alert = Alert.objects.get(level=AlertLevel.PARTNER)
        assert partner_alert.partner == partner_org and partner_alert.failures_in_row == 3
        assert sorted(m.to[0] for m in mailoutbox) == sorted([staff.email, volunteer.email, partner_admin.email])
        assert all(len(m.to) == 1 for m in mailoutbox)

    def test_success_resolves_and_resets(self, enrolment, staff):
        """A success resolves the open alerts; two new failures raise a new alert for the new streak."""
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(6))
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(5))
        first = Alert.objects.get()
        record(enrolment, staff, ContactOutcome.HOSPITALISED, days_ago(4))
        first.refresh_from_db()
        assert first.status == AlertStatus.RESOLVED
        assert first.transitions.last().by == staff
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(2))
        record(enrolment, staff, ContactOutcome.NO_ANSWER, days_ago(1))
        assert Alert.objects.count() == 2
        assert Alert.objects.exclude(pk=first.pk).get().status == AlertStatus.OPEN

    def test_no_referent_mails_the_admins(self, landlord, django_capture_on_commit_callbacks, mailoutbox):
        """A programme without a referent alerts the landlord's admins."""
        admin = UserFactory(organisation=landlord, role=Role.ADMIN, email="admin@hlm-a.example.org")
        enrolment = EnrolmentFactory(programme=ProgrammeFactory(organisation=landlord))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(3))
        with django_capture_on_commit_callbacks(execute=True):
            record(enrolment, admin, ContactOutcome.NO_ANSWER, days_ago(1))
        assert [m.to for m in mailoutbox] == [[admin.email]]


class TestEscalate:
    def test_dry_run_writes_nothing(self, enrolment):
        """Without wet_run, the pending alerts are listed, nothing is written."""
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(3))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(2))
        pending = services.escalate(today=timezone.localdate())
        assert [(p.enrolment_id, p.level) for p in pending] == [(enrolment.pk, AlertLevel.REFERENT)]
        assert not Alert.objects.exists()

    def test_idempotent(self, enrolment, django_capture_on_commit_callbacks, mailoutbox):
        """Run twice, the rule raises each alert once and e-mails it once."""
        for n in (4, 3, 2):
            ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(n))
        with django_capture_on_commit_callbacks(execute=True):
            services.escalate(today=timezone.localdate(), wet_run=True)
            services.escalate(today=timezone.localdate(), wet_run=True)
        assert sorted(Alert.objects.values_list("level", flat=True)) == [AlertLevel.PARTNER, AlertLevel.REFERENT]
        assert services.escalate(today=timezone.localdate()) == []
        # the referent's alert and the partner's (the partner has no user here): both to the referent, once
        assert [m.to for m in mailoutbox] == [[enrolment.programme.referent.email]] * 2

    def test_days_without_success_reach_the_partner(self, enrolment):
        """With the days rule, the partner is alerted N days after the referent's threshold, not before."""
        programme = enrolment.programme
        programme.partner_after_failures, programme.partner_after_days = None, 10
        programme.save()
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(13))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(12))
        today = timezone.localdate()
        assert [p.level for p in services.escalate(today=today - dt.timedelta(days=3))] == [AlertLevel.REFERENT]
        assert [p.level for p in services.escalate(today=today)] == [AlertLevel.REFERENT, AlertLevel.PARTNER]

    def test_without_partner_stays_with_the_referent(self, landlord, staff):
        """A programme without partner never escalates beyond its referent."""
        enrolment = EnrolmentFactory(programme=ProgrammeFactory(organisation=landlord, referent=staff))
        for n in (5, 4, 3, 2):
            ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(n))
        assert [p.level for p in services.escalate(today=timezone.localdate())] == [AlertLevel.REFERENT]

    def test_ended_enrolments_are_left_alone(self, enrolment, staff):
        """A follow-up that has ended raises nothing."""
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(3))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(2))
        services.end_enrolment(enrolment=enrolment, on=timezone.localdate(), reason=EndReason.MOVED, by=staff)
        assert services.escalate(today=timezone.localdate()) == []

    def test_as_of_an_earlier_day(self, enrolment):
        """Applied as of a day before a later success, the rule sees the streak as it was then."""
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(5))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(4))
        ContactFactory(enrolment=enrolment, occurred_at=days_ago(1))
        assert services.escalate(today=timezone.localdate()) == []
        earlier = services.escalate(today=timezone.localdate() - dt.timedelta(days=3))
        assert [(p.level, p.state.failures_in_row) for p in earlier] == [(AlertLevel.REFERENT, 2)]

    def test_one_organisation(self, enrolment, other_landlord):
        """--organisation limits the rule to one landlord's enrolments."""
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(3))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(2))
        assert services.escalate(today=timezone.localdate(), organisation=other_landlord) == []


class TestAlertTransitions:
    @pytest.fixture
    def alert(self, enrolment, staff):
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(5))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(4))
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=days_ago(3))
        services.escalate(today=timezone.localdate(), wet_run=True)
        return Alert.objects.get(level=AlertLevel.PARTNER)

    def test_acknowledge_then_resolve_logged(self, alert, volunteer):
        """Each change is logged: who, when, from, to, and the note."""
        services.transition_alert(
            alert=alert, to_status=AlertStatus.ACKNOWLEDGED, by=volunteer, note="Je passe ce soir."
        )
        services.transition_alert(alert=alert, to_status=AlertStatus.RESOLVED, by=volunteer, note="Chez sa fille.")
        log = [(t.from_status, t.to_status, t.by_label, t.note) for t in alert.transitions.all()]
        assert log[1:] == [
            (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, volunteer.email, "Je passe ce soir."),
            (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, volunteer.email, "Chez sa fille."),
        ]
        alert.refresh_from_db()
        assert alert.status == AlertStatus.RESOLVED

    def test_resolve_needs_a_note(self, alert, staff):
        """Resolving says what was done."""
        with pytest.raises(ValidationError, match="Note"):
            services.transition_alert(alert=alert, to_status=AlertStatus.RESOLVED, by=staff, note=" ")

    def test_no_way_back(self, alert, staff):
        """A resolved alert stays resolved."""
        services.transition_alert(alert=alert, to_status=AlertStatus.RESOLVED, by=staff, note="Joint par sa voisine.")
        with pytest.raises(ValidationError, match="ne peut pas passer"):
            services.transition_alert(alert=alert, to_status=AlertStatus.ACKNOWLEDGED, by=staff)

    def test_other_partner_cannot(self, alert):
        """A partner acts only on the alerts addressed to it."""
        with pytest.raises(PermissionDenied):
            services.transition_alert(alert=alert, to_status=AlertStatus.ACKNOWLEDGED, by=VolunteerFactory())

    def test_partner_cannot_touch_the_referent_alert(self, alert, volunteer):
        """The referent's alert is the landlord's: the partner does not act on it."""
        referent_alert = Alert.objects.get(level=AlertLevel.REFERENT)
        with pytest.raises(PermissionDenied):
            services.transition_alert(alert=referent_alert, to_status=AlertStatus.ACKNOWLEDGED, by=volunteer)


class TestDueContacts:
    def test_one_query_and_the_rule(self, enrolment, staff, django_assert_num_queries):
        """A weekly call answered 3 days ago is due in 4 days; a visit never made is due since the plan started."""
        call = ContactPlanFactory(enrolment=enrolment, kind=ContactKind.CALL, every_days=7, assignee=staff)
        visit = ContactPlanFactory(enrolment=enrolment, kind=ContactKind.VISIT, every_days=30, assignee=staff)
        ContactFactory(enrolment=enrolment, occurred_at=days_ago(3))
        today = timezone.localdate()
        with django_assert_num_queries(1):
            due, plans = services.load_due_contacts(ContactPlan.objects.current(), today=today)
        assert [(d.plan.plan_id, d.due_on) for d in due] == [
            (visit.pk, enrolment.enrolled_on),
            (call.pk, today + dt.timedelta(days=4)),
        ]
        assert set(plans) == {call.pk, visit.pk}


def test_every_outcome_has_words_for_the_history():
    """Each outcome is written to the household's history in words that fit its 30 characters."""
    assert set(services.INTERACTION_OUTCOMES) == set(ContactOutcome.values)
    assert all(len(text) <= 30 for text in services.INTERACTION_OUTCOMES.values())
