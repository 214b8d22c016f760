"""Due contacts and escalation of the elderly outreach programme.

Pure module: plain data in, plain data out, nothing imported from Django, no clock (``today`` is
passed in). The adapter (:mod:`proxima.outreach.services`) builds the inputs from the database.

Due contacts
    Each contact plan says "a call (or a visit) every ``every_days`` days, from ``starts_on``". The
    next contact of a plan is due ``every_days`` days after the last contact of its kind with the
    person when that contact succeeded, and ``retry_days`` days after it when it failed (capped at
    ``every_days``): a call nobody answered is tried again soon. Never before the plan starts; on
    its first day when there has been no contact of its kind yet.

Escalation
    Contacts of an enrolment, whatever their kind, are read in order. The failures since the last
    success make the *streak*; a success resets it.

    - ``referent_after`` failures in a row (2): alert the programme's staff referent;
    - then, if it goes on, alert the partner: when the streak reaches ``partner_after_failures``
      failures (3), or when ``partner_after_days`` days have passed since the referent's threshold
      was reached (the day of the ``referent_after``-th failure) without a success. Either rule
      can be turned off (None); with both off the partner is never alerted.

A contact *succeeds* when the person, or someone close, was reached: we know how they are
(:data:`SUCCESS_OUTCOMES`). A refusal to talk is a success for this purpose: the person answered.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

CALL = "call"
VISIT = "visit"
KINDS = (CALL, VISIT)

SUCCESS_OUTCOMES = frozenset({"reached", "refused", "hospitalised", "moved"})
FAILURE_OUTCOMES = frozenset({"no_answer", "absent", "wrong_number"})

# Buckets of a due contact, relative to today.
OVERDUE = "overdue"
TODAY = "today"
THIS_WEEK = "this_week"
LATER = "later"

# Escalation levels, in increasing order.
NONE = "none"
REFERENT = "referent"
PARTNER = "partner"


def is_success(outcome: str) -> bool:
    """Whether ``outcome`` (a code of ``ContactOutcome``) counts as a successful contact."""
    if outcome in SUCCESS_OUTCOMES:
        return True
    if outcome in FAILURE_OUTCOMES:
        return False
    raise ValueError(f"Unknown outcome {outcome!r}.")


@dataclass(frozen=True)
class Plan:
    """A contact plan: a kind of contact every ``every_days`` days from ``starts_on``, by ``assignee_id``."""

    plan_id: int
    enrolment_id: int
    kind: str
    every_days: int
    starts_on: dt.date
    assignee_id: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Expected kind in {KINDS}.")
        if not isinstance(self.every_days, int) or self.every_days < 1:
            raise ValueError("Expected every_days >= 1.")


@dataclass(frozen=True)
class Contact:
    """A recorded call or visit of an enrolled person, and whether it succeeded."""

    contact_id: int
    enrolment_id: int
    kind: str
    on: dt.date
    success: bool

    @property
    def order(self) -> tuple[dt.date, int]:
        # Two contacts the same day are read in the order they were recorded.
        return (self.on, self.contact_id)


@dataclass(frozen=True)
class ScheduleParams:
    """Parameters of the due contacts.

    Parameters
    ----------
    today
        The day the calendar is drawn up.
    retry_days
        Days after a failed contact before the next try (>= 1; at most the plan's ``every_days``).
    horizon_days
        Contacts due within this many days after today are "this week" (>= 1).
    """

    today: dt.date
    retry_days: int = 2
    horizon_days: int = 7

    def __post_init__(self):
        if not isinstance(self.today, dt.date):
            raise ValueError("Expected today to be a date.")
        if not isinstance(self.retry_days, int) or self.retry_days < 1:
            raise ValueError("Expected retry_days >= 1.")
        if not isinstance(self.horizon_days, int) or self.horizon_days < 1:
            raise ValueError("Expected horizon_days >= 1.")


@dataclass(frozen=True)
class DueContact:
    """The next contact of a plan: when it is due, where it stands today, and the last contact it follows."""

    plan: Plan
    due_on: dt.date
    bucket: str
    days_late: int
    last_on: dt.date | None
    last_success: bool | None

    @property
    def enrolment_id(self) -> int:
        return self.plan.enrolment_id


def _bucket(due_on: dt.date, params: ScheduleParams) -> str:
    if due_on < params.today:
        return OVERDUE
    if due_on == params.today:
        return TODAY
    if (due_on - params.today).days <= params.horizon_days:
        return THIS_WEEK
    return LATER


def next_due(plan: Plan, last: Contact | None, params: ScheduleParams) -> dt.date:
    """The day the next contact of ``plan`` is due, after ``last`` (its kind's last contact, or None)."""
    if last is None:
        return plan.starts_on
    gap = plan.every_days if last.success else min(params.retry_days, plan.every_days)
    return max(plan.starts_on, last.on + dt.timedelta(days=gap))


def due_contacts(plans: Iterable[Plan], contacts: Iterable[Contact], params: ScheduleParams) -> list[DueContact]:
    """The next due contact of every plan, the earliest first.

    Parameters
    ----------
    plans
        The current plans.
    contacts
        The recorded contacts of the plans' enrolments (others are ignored); those after today do not count.
    params
        Today and the retry delay.

    Returns
    -------
    list of DueContact
        One per plan, sorted by due date, then enrolment, kind and plan id (never by input order).
    """
    last: dict[tuple[int, str], Contact] = {}
    for contact in contacts:
        if contact.on > params.today:
            continue
        key = (contact.enrolment_id, contact.kind)
        if key not in last or contact.order > last[key].order:
            last[key] = contact
    result = []
    for plan in plans:
        previous = last.get((plan.enrolment_id, plan.kind))
        due_on = next_due(plan, previous, params)
        result.append(
            DueContact(
                plan=plan,
                due_on=due_on,
                bucket=_bucket(due_on, params),
                days_late=max(0, (params.today - due_on).days),
                last_on=previous.on if previous else None,
                last_success=previous.success if previous else None,
            )
        )
    result.sort(key=lambda d: (d.due_on, d.plan.enrolment_id, KINDS.index(d.plan.kind), d.plan.plan_id))
    return result


@dataclass(frozen=True)
class EscalationParams:
    """When failed contacts raise an alert.

    Parameters
    ----------
    referent_after
        Failures in a row that alert the staff referent (>= 1).
    partner_after_failures
        Failures in a row that alert the partner (> ``referent_after``), or None.
    partner_after_days
        Days without success after the referent's threshold that alert the partner (>= 1), or None.
    """

    referent_after: int = 2
    partner_after_failures: int | None = 3
    partner_after_days: int | None = None

    def __post_init__(self):
        if not isinstance(self.referent_after, int) or self.referent_after < 1:
            raise ValueError("Expected referent_after >= 1.")
        if self.partner_after_failures is not None and (
            not isinstance(self.partner_after_failures, int) or self.partner_after_failures <= self.referent_after
        ):
            raise ValueError("Expected partner_after_failures > referent_after.")
        if self.partner_after_days is not None and (
            not isinstance(self.partner_after_days, int) or self.partner_after_days < 1
        ):
            raise ValueError("Expected partner_after_days >= 1.")


@dataclass(frozen=True)
class Escalation:
    """Where an enrolment stands on the escalation rule today.

    Attributes
    ----------
    level
        :data:`NONE`, :data:`REFERENT` or :data:`PARTNER`.
    failures_in_row
        Failures since the last success (the streak).
    first_failure_id, first_failure_on
        The streak's first failure: alerts are raised once per streak and level.
    referent_since
        Day the streak reached the referent's threshold, None below it.
    last_success_on
        Day of the last success, None if there has been none.
    """

    enrolment_id: int
    level: str
    failures_in_row: int
    first_failure_id: int | None
    first_failure_on: dt.date | None
    referent_since: dt.date | None
    last_success_on: dt.date | None

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels reached, lowest first: a partner alert comes with the referent's."""
        if self.level == PARTNER:
            return (REFERENT, PARTNER)
        if self.level == REFERENT:
            return (REFERENT,)
        return ()


def escalation(
    enrolment_id: int, contacts: Iterable[Contact], params: EscalationParams, *, today: dt.date
) -> Escalation:
    """The escalation state of one enrolment from its contacts (of any kind; those after today are ignored)."""
    ordered = sorted((c for c in contacts if c.on <= today), key=lambda c: c.order)
    streak: list[Contact] = []
    last_success_on = None
    for contact in ordered:
        if contact.success:
            streak = []
            last_success_on = contact.on
        else:
            streak.append(contact)
    failures = len(streak)
    level = NONE
    referent_since = None
    if failures >= params.referent_after:
        level = REFERENT
        referent_since = streak[params.referent_after - 1].on
        by_count = params.partner_after_failures is not None and failures >= params.partner_after_failures
        by_days = params.partner_after_days is not None and (today - referent_since).days >= params.partner_after_days
        if by_count or by_days:
            level = PARTNER
    return Escalation(
        enrolment_id=enrolment_id,
        level=level,
        failures_in_row=failures,
        first_failure_id=streak[0].contact_id if streak else None,
        first_failure_on=streak[0].on if streak else None,
        referent_since=referent_since,
        last_success_on=last_success_on,
    )


def escalations(contacts: Iterable[Contact], params: EscalationParams, *, today: dt.date) -> list[Escalation]:
    """The escalation state of every enrolment that has contacts, by enrolment id."""
    by_enrolment: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_enrolment[contact.enrolment_id].append(contact)
    return [escalation(e, cs, params, today=today) for e, cs in sorted(by_enrolment.items())]
