"""Due contacts and the escalation rule, on tiny cases checked by hand (no database)."""

import datetime as dt

import pytest

from proxima.outreach import schedule
from proxima.outreach.schedule import (
    CALL,
    LATER,
    NONE,
    OVERDUE,
    PARTNER,
    REFERENT,
    THIS_WEEK,
    TODAY,
    VISIT,
    Contact,
    EscalationParams,
    Plan,
    ScheduleParams,
    due_contacts,
    escalation,
    escalations,
)

MONDAY = dt.date(2026, 3, 2)


def day(n: int) -> dt.date:
    """The n-th day after Monday 2 March 2026 (day(0) is that Monday)."""
    return MONDAY + dt.timedelta(days=n)


def weekly_call(enrolment_id=1, plan_id=10, starts_on=MONDAY, assignee_id=None):
    return Plan(
        plan_id=plan_id,
        enrolment_id=enrolment_id,
        kind=CALL,
        every_days=7,
        starts_on=starts_on,
        assignee_id=assignee_id,
    )


def contacts(*outcomes, enrolment_id=1, kind=CALL):
    """Contacts on consecutive days from Monday: 'ok' a success, 'ko' a failure, '-' no contact that day."""
    found = []
    for n, outcome in enumerate(outcomes):
        if outcome != "-":
            found.append(Contact(len(found) + 1, enrolment_id, kind, day(n), success=outcome == "ok"))
    return found


class TestIsSuccess:
    @pytest.mark.parametrize("outcome", ["reached", "refused", "hospitalised", "moved"])
    def test_the_person_or_someone_close_was_reached(self, outcome):
        """Reached, refused to talk, news of a hospital stay or a move: we know how they are."""
        assert schedule.is_success(outcome)

    @pytest.mark.parametrize("outcome", ["no_answer", "absent", "wrong_number"])
    def test_nobody_was_reached(self, outcome):
        """No answer, nobody at the door, a wrong number: a failure."""
        assert not schedule.is_success(outcome)

    def test_unknown_outcome(self):
        """An outcome the rule does not know is an error, not a guess."""
        with pytest.raises(ValueError, match="Unknown outcome"):
            schedule.is_success("lost")


class TestDueContacts:
    def test_first_contact_is_due_on_the_plan_start(self):
        """Without any contact yet, the plan's first day."""
        [due] = due_contacts([weekly_call(starts_on=day(3))], [], ScheduleParams(today=MONDAY))
        assert due.due_on == day(3) and due.bucket == THIS_WEEK and due.last_on is None

    def test_after_a_success_every_days(self):
        """A call answered on Monday: the next one the Monday after."""
        [due] = due_contacts([weekly_call()], contacts("ok"), ScheduleParams(today=day(1)))
        assert due.due_on == day(7) and due.last_success is True

    def test_after_a_failure_retry_days(self):
        """A call unanswered on Monday is tried again on Wednesday (retry 2 days)."""
        [due] = due_contacts([weekly_call()], contacts("ko"), ScheduleParams(today=day(1), retry_days=2))
        assert due.due_on == day(2) and due.last_success is False

    def test_retry_never_later_than_the_plan(self):
        """With a daily plan, a failure is retried the next day, not after retry_days."""
        plan = Plan(1, 1, CALL, every_days=1, starts_on=MONDAY)
        [due] = due_contacts([plan], contacts("ko"), ScheduleParams(today=MONDAY, retry_days=3))
        assert due.due_on == day(1)

    def test_the_last_contact_of_the_kind_counts(self):
        """A visit does not move a call plan; the latest call does, whatever the input order."""
        calls = contacts("ok", "-", "-", "ok")
        visit = Contact(99, 1, VISIT, day(5), success=True)
        [due] = due_contacts([weekly_call()], [visit, *reversed(calls)], ScheduleParams(today=day(5)))
        assert due.due_on == day(10) and due.last_on == day(3)

    def test_never_before_the_plan_starts(self):
        """A new plan starting in two weeks is not due next week because of an older call."""
        plan = weekly_call(starts_on=day(14))
        [due] = due_contacts([plan], contacts("ok"), ScheduleParams(today=day(1)))
        assert due.due_on == day(14) and due.bucket == LATER

    def test_contacts_after_today_do_not_count(self):
        """A contact dated after today is not yet one."""
        [due] = due_contacts([weekly_call()], contacts("-", "-", "ok"), ScheduleParams(today=day(1)))
        assert due.due_on == MONDAY and due.bucket == OVERDUE

    @pytest.mark.parametrize(
        ("today", "bucket", "days_late"),
        [(day(9), OVERDUE, 2), (day(7), TODAY, 0), (day(0), THIS_WEEK, 0), (day(-1), LATER, 0)],
    )
    def test_buckets(self, today, bucket, days_late):
        """Due Monday day(7): overdue after it, today on it, this week within 7 days before, later beyond."""
        [due] = due_contacts([weekly_call(starts_on=day(7))], [], ScheduleParams(today=today))
        assert due.due_on == day(7)
        assert (due.bucket, due.days_late) == (bucket, days_late)

    def test_sorted_by_due_date_then_enrolment(self):
        """Earliest first; the same day, by enrolment then call before visit."""
        plans = [
            Plan(1, 2, VISIT, 30, MONDAY),
            Plan(2, 2, CALL, 7, MONDAY),
            Plan(3, 1, CALL, 7, day(1)),
            Plan(4, 3, CALL, 7, MONDAY),
        ]
        result = due_contacts(plans, [], ScheduleParams(today=MONDAY))
        assert [d.plan.plan_id for d in result] == [2, 1, 4, 3]

    def test_contacts_of_other_enrolments_are_ignored(self):
        """Another person's call does not move this plan."""
        [due] = due_contacts([weekly_call()], contacts("ok", enrolment_id=2), ScheduleParams(today=day(1)))
        assert due.due_on == MONDAY

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"kind": "letter"}, "kind"),
            ({"every_days": 0}, "every_days"),
        ],
    )
    def test_invalid_plan(self, kwargs, message):
        """A plan with an unknown kind or no period is refused."""
        with pytest.raises(ValueError, match=message):
            Plan(**{"plan_id": 1, "enrolment_id": 1, "kind": CALL, "every_days": 7, "starts_on": MONDAY, **kwargs})

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"today": "2026-03-02"}, "today"),
            ({"retry_days": 0}, "retry_days"),
            ({"horizon_days": 0}, "horizon_days"),
        ],
    )
    def test_invalid_params(self, kwargs, message):
        """Parameters check themselves."""
        with pytest.raises(ValueError, match=message):
            ScheduleParams(**{"today": MONDAY, **kwargs})


RULE = EscalationParams(referent_after=2, partner_after_failures=3, partner_after_days=None)


class TestEscalation:
    def test_no_contact(self):
        """Nothing recorded: nothing to escalate."""
        state = escalation(1, [], RULE, today=MONDAY)
        assert state.level == NONE and state.failures_in_row == 0 and state.first_failure_id is None

    def test_one_failure_is_not_enough(self):
        """One missed call is not yet an alert."""
        state = escalation(1, contacts("ok", "ko"), RULE, today=day(1))
        assert state.level == NONE and state.failures_in_row == 1 and state.last_success_on == MONDAY

    def test_two_failures_in_a_row_alert_the_referent(self):
        """Two missed contacts in a row: the staff referent, from the day of the second."""
        state = escalation(1, contacts("ok", "ko", "-", "ko"), RULE, today=day(3))
        assert state.level == REFERENT and state.levels == (REFERENT,)
        assert state.failures_in_row == 2
        assert (state.first_failure_id, state.first_failure_on) == (2, day(1))
        assert state.referent_since == day(3)

    def test_failures_not_in_a_row_do_not_add_up(self):
        """Failure, success, failure: the success reset the streak."""
        state = escalation(1, contacts("ko", "ok", "ko"), RULE, today=day(2))
        assert state.level == NONE and state.failures_in_row == 1 and state.first_failure_id == 3

    def test_a_success_resets(self):
        """Three failures then a success: back to nothing."""
        state = escalation(1, contacts("ko", "ko", "ko", "ok"), RULE, today=day(3))
        assert state.level == NONE and state.failures_in_row == 0 and state.last_success_on == day(3)

    def test_third_failure_alerts_the_partner(self):
        """A third failure in a row: the partner too, and the referent's alert stays."""
        state = escalation(1, contacts("ko", "ko", "ko"), RULE, today=day(2))
        assert state.level == PARTNER and state.levels == (REFERENT, PARTNER)
        assert state.failures_in_row == 3 and state.first_failure_id == 1

    def test_failures_of_calls_and_visits_add_up(self):
        """A missed call then a visit with nobody at home: two missed contacts in a row."""
        both = [Contact(1, 1, CALL, MONDAY, False), Contact(2, 1, VISIT, day(1), False)]
        assert escalation(1, both, RULE, today=day(1)).level == REFERENT

    def test_same_day_contacts_in_recording_order(self):
        """A failure then a success the same day: the success came last, nothing to escalate."""
        same_day = [Contact(2, 1, CALL, MONDAY, True), Contact(1, 1, CALL, MONDAY, False)]
        assert escalation(1, same_day, RULE, today=MONDAY).level == NONE

    def test_contacts_after_today_are_ignored(self):
        """A failure dated tomorrow does not count today."""
        assert escalation(1, contacts("ko", "ko"), RULE, today=MONDAY).failures_in_row == 1

    @pytest.mark.parametrize(("today", "level"), [(day(1 + 9), REFERENT), (day(1 + 10), PARTNER)])
    def test_days_without_success_alert_the_partner(self, today, level):
        """Partner after 10 days without success from the referent's threshold (the second failure, day 1)."""
        rule = EscalationParams(referent_after=2, partner_after_failures=None, partner_after_days=10)
        state = escalation(1, contacts("ko", "ko"), rule, today=today)
        assert state.referent_since == day(1)
        assert state.level == level

    def test_days_rule_needs_the_referent_threshold(self):
        """One failure long ago alerts nobody, however many days have passed."""
        rule = EscalationParams(referent_after=2, partner_after_failures=None, partner_after_days=1)
        assert escalation(1, contacts("ko"), rule, today=day(60)).level == NONE

    def test_partner_rules_off(self):
        """With both partner rules off, five failures stay with the referent."""
        rule = EscalationParams(referent_after=2, partner_after_failures=None, partner_after_days=None)
        assert escalation(1, contacts("ko", "ko", "ko", "ko", "ko"), rule, today=day(40)).level == REFERENT

    def test_referent_after_one(self):
        """A programme may alert its referent at the first failure."""
        rule = EscalationParams(referent_after=1, partner_after_failures=2)
        assert escalation(1, contacts("ok", "ko"), rule, today=day(1)).level == REFERENT

    def test_escalations_by_enrolment(self):
        """Each enrolment's streak is its own, listed by enrolment id."""
        mixed = contacts("ko", "ko", enrolment_id=2) + [Contact(9, 1, CALL, MONDAY, False)]
        states = escalations(mixed, RULE, today=day(1))
        assert [(s.enrolment_id, s.level) for s in states] == [(1, NONE), (2, REFERENT)]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"referent_after": 0}, "referent_after"),
            ({"partner_after_failures": 2}, "partner_after_failures"),
            ({"partner_after_failures": 1}, "partner_after_failures"),
            ({"partner_after_days": 0}, "partner_after_days"),
        ],
    )
    def test_invalid_params(self, kwargs, message):
        """The partner's threshold comes after the referent's; days are at least one."""
        with pytest.raises(ValueError, match=message):
            EscalationParams(**{"referent_after": 2, **kwargs})
