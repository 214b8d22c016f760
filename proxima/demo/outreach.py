"""The demo's elderly outreach programme: 20 people enrolled from the outreach list, six weeks of calls and visits.

Everything goes through the programme's services, as in real use: the programme is created with the demo's
association as partner, the first elderly people living alone of the outreach list are enrolled six weeks
before today, most give their consent on the first call, their calls go to the association's volunteer, to
the field agent or to the proximity team, their visits to the field agent. The history is replayed day by
day with the programme's own rule (:mod:`proxima.outreach.schedule`): most contacts succeed, a failure is
followed by a success, except for one person whose last three calls failed, so the referent and then the
partner have been alerted. The same seed and the same day give the same demo; rebuilding changes nothing
once the programme exists.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.accounts.models import Organisation, User
from proxima.households.enums import ConsentChannel
from proxima.outreach import schedule, services
from proxima.outreach.enums import ContactKind, ContactOutcome
from proxima.outreach.models import Alert, Enrolment, Programme

PROGRAMME_NAME = "Lutte contre l'isolement des aînés (démo)"
PARTNER_SLUG = "demo-lien-seniors"
VOLUNTEER_EMAIL = "benevole@demo.proxima.invalid"
ENROLLED = 20
HISTORY_DAYS = 42
PENDING_CONSENT = 3  # the last people enrolled have not said yes yet: their calls stay with the proximity team
SUCCESS_RATE = 0.8
FAILURES = (ContactOutcome.NO_ANSWER, ContactOutcome.NO_ANSWER, ContactOutcome.WRONG_NUMBER)
VISIT_FAILURES = (ContactOutcome.ABSENT,)
SUCCESSES = (ContactOutcome.REACHED,) * 8 + (ContactOutcome.REFUSED, ContactOutcome.HOSPITALISED)


@dataclass
class OutreachDemoResult:
    programme: Programme
    enrolled: int
    contacts: int
    alerts: int


def _result(programme: Programme) -> OutreachDemoResult:
    enrolments = Enrolment.objects.filter(programme=programme)
    return OutreachDemoResult(
        programme=programme,
        enrolled=enrolments.count(),
        contacts=sum(e.contacts.count() for e in enrolments),
        alerts=Alert.objects.filter(enrolment__programme=programme).count(),
    )


def _at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@transaction.atomic
def build_outreach_demo(organisation, *, today: dt.date, seed: int = 0) -> OutreachDemoResult:
    """Build the programme once (found again when the demo is rebuilt) and return its figures."""
    existing = Programme.objects.filter(organisation=organisation, name=PROGRAMME_NAME).first()
    if existing is not None:
        return _result(existing)
    staff = organisation.users.filter(role=Role.STAFF).order_by("pk").first()
    agent = organisation.users.filter(role=Role.FIELD_AGENT).order_by("pk").first()
    partner = Organisation.objects.get(slug=PARTNER_SLUG)
    volunteer = User.objects.get(email=VOLUNTEER_EMAIL)
    programme = services.save_programme(
        organisation=organisation,
        name=PROGRAMME_NAME,
        description=(
            "Appel de convivialité chaque semaine et visite chaque mois aux personnes de 75 ans ou plus vivant "
            "seules, avec les bénévoles de l'association partenaire."
        ),
        call_every_days=7,
        visit_every_days=30,
        retry_days=2,
        referent=staff,
        referent_after_failures=2,
        partner=partner,
        partner_after_failures=3,
        partner_after_days=14,
    )
    start = today - dt.timedelta(days=HISTORY_DAYS)
    flags = services.elderly_candidates(programme=programme, user=staff, today=start)[:ENROLLED]
    enrolments = services.enrol_from_outreach_list(
        programme=programme, by=staff, today=start, household_ids=[f.household_id for f in flags]
    )
    enrolments.sort(key=lambda e: e.pk)
    rng = random.Random(seed)
    callers = [volunteer, volunteer, agent, staff]
    for i, enrolment in enumerate(enrolments):
        consented = i < len(enrolments) - PENDING_CONSENT
        if consented and enrolment.consent is None:
            services.record_enrolment_consent(
                enrolment=enrolment, given_on=start, channel=ConsentChannel.PHONE, by=staff
            )
        caller = callers[i % len(callers)] if consented else staff
        services.save_plan(
            enrolment=enrolment, kind=ContactKind.CALL, every_days=7, assignee=caller, starts_on=start, by=staff
        )
        services.save_plan(
            enrolment=enrolment, kind=ContactKind.VISIT, every_days=30, assignee=agent, starts_on=start, by=staff
        )
    # The escalation: the first of the volunteer's people, whom nobody has reached for 12 days.
    escalated = enrolments[0].pk if enrolments else None
    for enrolment in enrolments:
        _replay_history(enrolment, today=today, rng=rng, escalated=enrolment.pk == escalated)
    return _result(programme)


def _replay_history(enrolment: Enrolment, *, today: dt.date, rng: random.Random, escalated: bool) -> None:
    """Record the contacts each plan asked for, day by day up to yesterday, as their assignees would have.

    For the escalated person every contact of the last 12 days fails: the first call due in that window (a
    weekly call is due within any 7 days) and its retries every 2 days make at least three failures in a row.
    """
    plans = list(enrolment.plans.current().select_related("assignee").order_by("kind"))
    params = schedule.ScheduleParams(today=today, retry_days=enrolment.programme.retry_days)
    cutoff = today - dt.timedelta(days=12)
    last: dict[str, schedule.Contact] = {}
    previous_success = True  # of the last contact of any kind: failures in a row add up across kinds
    day = enrolment.enrolled_on
    while day < today:
        for plan in plans:
            facts = schedule.Plan(plan.pk, enrolment.pk, plan.kind, plan.every_days, plan.starts_on, plan.assignee_id)
            if schedule.next_due(facts, last.get(plan.kind), params) != day:
                continue
            failures = VISIT_FAILURES if plan.kind == ContactKind.VISIT else FAILURES
            if escalated and day >= cutoff:
                outcome = rng.choice(failures)
            elif not previous_success or rng.random() < SUCCESS_RATE:
                outcome = rng.choice(SUCCESSES)  # nobody else misses two contacts in a row
            else:
                outcome = rng.choice(failures)
            contact = services.record_contact(
                enrolment=enrolment,
                kind=plan.kind,
                outcome=outcome,
                when=_at_noon(day),
                by=plan.assignee,
                notify=False,
            )
            last[plan.kind] = schedule.Contact(contact.pk, enrolment.pk, plan.kind, day, contact.success)
            previous_success = contact.success
        day += dt.timedelta(days=1)
