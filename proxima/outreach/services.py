"""Writes of the elderly outreach programme, and the adapter that feeds :mod:`proxima.outreach.schedule`.

Every write is one transaction. Recording a contact also writes the household's interaction history;
a failure applies the escalation rule at once, a success resolves the enrolment's alerts. The daily
command (``proxima outreach escalate``) applies the rule to every enrolment, for the rules that depend
on the passing days. Alerts are raised once per level and per streak of failures (a database
constraint), so applying the rule again changes nothing.
"""

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from proxima.accounts import perms
from proxima.accounts.enums import OrganisationKind, Role
from proxima.households.enums import ConsentPurpose, InteractionChannel
from proxima.households.models import Consent, Household, Interaction, Person
from proxima.households.services import record_consent
from proxima.needs import outreach as outreach_rules
from proxima.needs.outreach_services import OUTREACH_SOURCE, flag_outreach
from proxima.outreach import schedule
from proxima.outreach.enums import AlertLevel, AlertStatus, ContactKind, ContactOutcome, EndReason, EnrolmentSource
from proxima.outreach.models import (
    REFERENT_ROLES,
    STAFF_ASSIGNEE_ROLES,
    Alert,
    AlertTransition,
    Contact,
    ContactPlan,
    Enrolment,
    Programme,
)

# Interaction.theme of the programme's contacts in the household's history.
PROGRAMME_THEME = "isolement"
INTERACTION_CHANNELS = {ContactKind.CALL: InteractionChannel.PHONE, ContactKind.VISIT: InteractionChannel.HOME_VISIT}
# Interaction.outcome holds 30 characters: each outcome in words short enough for the household's history.
INTERACTION_OUTCOMES = {
    ContactOutcome.REACHED: "joint",
    ContactOutcome.REFUSED: "joint, sans échange",
    ContactOutcome.HOSPITALISED: "hospitalisé",
    ContactOutcome.MOVED: "déménagé ou en établissement",
    ContactOutcome.NO_ANSWER: "pas de réponse",
    ContactOutcome.ABSENT: "absent",
    ContactOutcome.WRONG_NUMBER: "numéro erroné",
}
# Which status an alert may move to, from each status.
ALERT_TRANSITIONS = {
    AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED},
    AlertStatus.ACKNOWLEDGED: {AlertStatus.RESOLVED},
    AlertStatus.RESOLVED: set(),
}


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# --- Programmes -----------------------------------------------------------------------------------------------


def staff_assignees(organisation):
    """The landlord's active users who may be given a contact plan."""
    return organisation.users.filter(is_active=True, role__in=STAFF_ASSIGNEE_ROLES).order_by(
        "last_name", "first_name", "email"
    )


def referent_candidates(organisation):
    return organisation.users.filter(is_active=True, role__in=REFERENT_ROLES).order_by(
        "last_name", "first_name", "email"
    )


def volunteers(programme: Programme):
    """The active volunteers of the programme's partner (none without a partner)."""
    from proxima.accounts.models import User

    if programme.partner_id is None:
        return User.objects.none()
    return User.objects.filter(organisation_id=programme.partner_id, role=Role.PARTNER, is_active=True).order_by(
        "last_name", "first_name", "email"
    )


def partner_organisations():
    from proxima.accounts.models import Organisation

    return Organisation.objects.filter(kind=OrganisationKind.PARTNER).order_by("name")


@transaction.atomic
def save_programme(*, organisation, programme: Programme | None = None, **fields) -> Programme:
    """Create a programme for ``organisation``, or update ``programme`` (one of its own)."""
    if programme is None:
        programme = Programme(organisation=organisation)
    elif programme.organisation_id != organisation.pk:
        raise PermissionDenied("Ce programme n'appartient pas à votre organisme.")
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.full_clean()
    programme.save()
    return programme


# --- Enrolment ------------------------------------------------------------------------------------------------


def elderly_candidates(*, programme: Programme, user, today: dt.date) -> list[outreach_rules.Flag]:
    """The households of the outreach list flagged "75 or more, living alone", never enrolled in ``programme``.

    Households that withdrew their consent to courtesy calls are not on the outreach list. A household
    whose enrolment ended (moved, declined…) is not offered again: staff may still enrol it by hand.
    """
    flags, _ = flag_outreach(organisation=programme.organisation, user=user, today=today)
    enrolled = set(Enrolment.objects.filter(programme=programme).values_list("household_id", flat=True))
    return [f for f in flags if outreach_rules.ELDERLY_ALONE in f.reasons and f.household_id not in enrolled]


def followed_person(household: Household) -> Person | None:
    """The person a household's enrolment follows: the eldest (by birth year), else the lease holder."""
    return household.persons.order_by(F("birth_year").asc(nulls_last=True), "role", "pk").first()


def _active_consent(household_id: int) -> Consent | None:
    return Consent.objects.active().filter(household_id=household_id, purpose=ConsentPurpose.OUTREACH).first()


def _default_plans(enrolment: Enrolment, *, by, starts_on: dt.date) -> list[ContactPlan]:
    programme = enrolment.programme
    plans = []
    for kind, every_days in (
        (ContactKind.CALL, programme.call_every_days),
        (ContactKind.VISIT, programme.visit_every_days),
    ):
        if every_days:
            plan = ContactPlan(
                organisation_id=enrolment.organisation_id,
                enrolment=enrolment,
                kind=kind,
                every_days=every_days,
                starts_on=starts_on,
                created_by=by,
            )
            plan.full_clean()
            plan.save()
            plans.append(plan)
    return plans


def _enrol(*, programme: Programme, household: Household, person: Person, source: str, by, today: dt.date):
    enrolment = Enrolment(
        organisation_id=programme.organisation_id,
        programme=programme,
        household=household,
        person=person,
        source=source,
        enrolled_on=today,
        enrolled_by=by,
        consent=_active_consent(household.pk),
    )
    enrolment.full_clean()
    enrolment.save()
    _default_plans(enrolment, by=by, starts_on=today)
    return enrolment


@transaction.atomic
def enrol_from_outreach_list(
    *, programme: Programme, by, today: dt.date, household_ids: Collection[int] | None = None
) -> list[Enrolment]:
    """Enrol the elderly people living alone of the outreach list (only ``household_ids`` when given).

    Safe to repeat: households already enrolled, or once enrolled, are skipped (and the database refuses
    two active enrolments of one household). Each enrolment gets the programme's default plans, assigned
    to nobody yet, and the household's outreach consent when it has one.
    """
    if not programme.is_active:
        raise ValidationError("Ce programme est terminé : il n'accepte plus d'inscriptions.")
    flags = elderly_candidates(programme=programme, user=by, today=today)
    if household_ids is not None:
        wanted = set(household_ids)
        flags = [f for f in flags if f.household_id in wanted]
    households = Household.objects.in_bulk([f.household_id for f in flags])
    persons = {}
    for person in Person.objects.filter(household_id__in=households).order_by("household_id", "pk"):
        persons.setdefault(person.household_id, person)  # the flag says the household has exactly one person
    return [
        _enrol(
            programme=programme,
            household=households[f.household_id],
            person=persons[f.household_id],
            source=EnrolmentSource.OUTREACH_LIST,
            by=by,
            today=today,
        )
        for f in flags
    ]


@transaction.atomic
def enrol_household(
    *,
    programme: Programme,
    household: Household,
    by,
    today: dt.date,
    consent_given_on: dt.date | None = None,
    consent_channel: str = "",
) -> Enrolment:
    """Enrol one household by hand; record its consent at the same time when it has just been given."""
    if household.organisation_id != programme.organisation_id:
        raise PermissionDenied("Ce ménage n'appartient pas à votre organisme.")
    if not programme.is_active:
        raise ValidationError("Ce programme est terminé : il n'accepte plus d'inscriptions.")
    if Enrolment.objects.active().filter(programme=programme, household=household).exists():
        raise ValidationError(f"Le ménage {household.reference} est déjà suivi par ce programme.")
    person = followed_person(household)
    if person is None:
        raise ValidationError(f"Le ménage {household.reference} n'a aucune personne enregistrée à suivre.")
    if consent_given_on is not None and _active_consent(household.pk) is None:
        record_consent(
            household=household,
            purpose=ConsentPurpose.OUTREACH,
            given_on=consent_given_on,
            channel=consent_channel,
            by=by,
        )
    return _enrol(
        programme=programme, household=household, person=person, source=EnrolmentSource.STAFF, by=by, today=today
    )


@transaction.atomic
def record_enrolment_consent(*, enrolment: Enrolment, given_on: dt.date, channel: str, by) -> Consent:
    """The person agrees to the programme's calls and visits: record it (or find the consent in force) and link it."""
    consent = _active_consent(enrolment.household_id)
    if consent is None:
        consent = record_consent(
            household=enrolment.household, purpose=ConsentPurpose.OUTREACH, given_on=given_on, channel=channel, by=by
        )
    enrolment.consent = consent
    enrolment.save(update_fields=["consent"])
    return consent


def _resolve_alerts(enrolment: Enrolment, *, by, note: str) -> int:
    alerts = list(enrolment.alerts.unresolved())
    for alert in alerts:
        _move_alert(alert, to_status=AlertStatus.RESOLVED, by=by, note=note)
    return len(alerts)


@transaction.atomic
def end_enrolment(*, enrolment: Enrolment, on: dt.date, reason: str, by, note: str = "") -> Enrolment:
    """End the follow-up with its reason: its plans stop and its open alerts are resolved."""
    if enrolment.ended_on is not None:
        raise ValidationError("Ce suivi est déjà terminé.")
    if reason not in EndReason.values:
        raise ValidationError(f"Motif de fin inconnu : « {reason} ».")
    if on < enrolment.enrolled_on:
        raise ValidationError(f"La fin du suivi ne peut précéder l'inscription (le {enrolment.enrolled_on:%d/%m/%Y}).")
    enrolment.ended_on, enrolment.end_reason, enrolment.end_note, enrolment.ended_by = on, reason, note.strip(), by
    enrolment.full_clean()
    enrolment.save()
    for plan in enrolment.plans.current():
        plan.ended_on = max(on, plan.starts_on)
        plan.save(update_fields=["ended_on"])
    _resolve_alerts(enrolment, by=by, note=f"Fin du suivi : {EndReason(reason).label}.")
    return enrolment


# --- Contact plans --------------------------------------------------------------------------------------------


def check_assignee(*, enrolment: Enrolment, assignee) -> None:
    """A plan goes to one of the landlord's staff, or to a volunteer of the programme's partner whose person has
    agreed to courtesy calls and visits (their contact details go to the partner)."""
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError(f"Le compte de {assignee} est désactivé.")
    if assignee.organisation_id == enrolment.organisation_id and assignee.role in STAFF_ASSIGNEE_ROLES:
        return
    programme = enrolment.programme
    if assignee.organisation_id == programme.partner_id and assignee.role == Role.PARTNER:
        if _active_consent(enrolment.household_id) is None:
            raise ValidationError(
                "Recueillez d'abord l'accord de la personne aux appels et visites de convivialité : "
                "ses coordonnées seront transmises au bénévole du partenaire."
            )
        return
    raise ValidationError(
        f"{assignee} ne peut pas assurer ce plan : choisissez un membre de l'équipe ou un bénévole du partenaire du programme."
    )


@transaction.atomic
def save_plan(*, enrolment: Enrolment, kind: str, every_days: int, assignee, starts_on: dt.date, by) -> ContactPlan:
    """Set the plan of one kind (call or visit): the current one of that kind stops, the new one takes over."""
    if enrolment.ended_on is not None:
        raise ValidationError("Ce suivi est terminé : il n'a plus de plan de contact.")
    if kind not in ContactKind.values:
        raise ValidationError(f"Type de contact inconnu : « {kind} ».")
    check_assignee(enrolment=enrolment, assignee=assignee)
    for current in enrolment.plans.current().filter(kind=kind):
        current.ended_on = max(starts_on, current.starts_on)
        current.save(update_fields=["ended_on"])
    plan = ContactPlan(
        organisation_id=enrolment.organisation_id,
        enrolment=enrolment,
        kind=kind,
        every_days=every_days,
        assignee=assignee,
        starts_on=starts_on,
        created_by=by,
    )
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def stop_plan(*, plan: ContactPlan, on: dt.date) -> ContactPlan:
    if plan.ended_on is not None:
        raise ValidationError("Ce plan est déjà arrêté.")
    plan.ended_on = max(on, plan.starts_on)
    plan.save(update_fields=["ended_on"])
    return plan


# --- Contacts -------------------------------------------------------------------------------------------------


def _check_contact(*, enrolment: Enrolment, kind: str, outcome: str, when: dt.datetime, by) -> ContactPlan | None:
    if kind not in ContactKind.values:
        raise ValidationError(f"Type de contact inconnu : « {kind} ».")
    if outcome not in ContactOutcome.values:
        raise ValidationError(f"Résultat inconnu : « {outcome} ».")
    if enrolment.ended_on is not None:
        raise ValidationError("Ce suivi est terminé : aucun contact ne peut plus y être enregistré.")
    if when > timezone.now():
        raise ValidationError("La date du contact ne peut pas être dans le futur.")
    if local_date(when) < enrolment.enrolled_on:
        raise ValidationError(f"La date du contact précède l'inscription (le {enrolment.enrolled_on:%d/%m/%Y}).")
    plan = enrolment.plans.current().filter(kind=kind).first()
    if by.organisation_id != enrolment.organisation_id and (plan is None or plan.assignee_id != by.pk):
        # A volunteer records only the contacts of the plans assigned to them.
        raise PermissionDenied("Ce contact ne vous est pas confié.")
    return plan


@transaction.atomic
def record_contact(
    *, enrolment: Enrolment, kind: str, outcome: str, when: dt.datetime, by, note: str = "", notify: bool = True
) -> Contact:
    """Record a call or visit and its outcome, and the contact in the household's interaction history.

    Both rows are written or neither. A success resolves the enrolment's unresolved alerts; a failure applies
    the escalation rule at once (the alerts' e-mails go once the transaction is committed, unless ``notify``
    is false, as for the demo's history).
    """
    plan = _check_contact(enrolment=enrolment, kind=kind, outcome=outcome, when=when, by=by)
    interaction = Interaction(
        organisation_id=enrolment.organisation_id,
        household_id=enrolment.household_id,
        occurred_at=when,
        channel=INTERACTION_CHANNELS[ContactKind(kind)],
        source=OUTREACH_SOURCE,
        theme=PROGRAMME_THEME,
        outcome=INTERACTION_OUTCOMES[ContactOutcome(outcome)],
        note=note.strip(),
        recorded_by=by,
    )
    interaction.full_clean()
    interaction.save()
    contact = Contact(
        organisation_id=enrolment.organisation_id,
        enrolment=enrolment,
        plan=plan,
        kind=kind,
        outcome=outcome,
        occurred_at=when,
        note=note.strip(),
        recorded_by=by,
        interaction=interaction,
    )
    contact.full_clean(exclude=["success"])
    contact.save()
    if contact.success:
        _resolve_alerts(enrolment, by=by, note=f"Contact réussi le {local_date(when):%d/%m/%Y}.")
    else:
        pending = pending_alerts(Enrolment.objects.filter(pk=enrolment.pk), today=timezone.localdate())
        raise_alerts(pending, notify=notify)
    return contact


# --- Due contacts ---------------------------------------------------------------------------------------------


def _last_contact(field: str):
    return Subquery(
        Contact.objects.filter(enrolment=OuterRef("enrolment"), kind=OuterRef("kind"))
        .order_by("-occurred_at", "-pk")
        .values(field)[:1]
    )


def load_due_contacts(plans, *, today: dt.date, retry_days_by_programme: dict[int, int] | None = None):
    """The next due contact of each plan of ``plans`` (a queryset of current plans), in one query.

    Each plan is read with its kind's last contact (date and success), annotated in the same query: the
    calendar costs one query whatever the length of the history. Returns ``(due contacts, plans by id)``.
    """
    rows = list(
        plans.select_related("enrolment__programme").annotate(
            last_id=_last_contact("pk"), last_at=_last_contact("occurred_at"), last_success=_last_contact("success")
        )
    )
    by_programme: dict[int, list] = {}
    for plan in rows:
        by_programme.setdefault(plan.enrolment.programme_id, []).append(plan)
    result = []
    for plans_of_programme in by_programme.values():
        programme = plans_of_programme[0].enrolment.programme
        params = schedule.ScheduleParams(today=today, retry_days=programme.retry_days)
        facts = [_plan_facts(p) for p in plans_of_programme]
        contacts = [
            schedule.Contact(p.last_id, p.enrolment_id, p.kind, local_date(p.last_at), bool(p.last_success))
            for p in plans_of_programme
            if p.last_id is not None
        ]
        result.extend(schedule.due_contacts(facts, contacts, params))
    result.sort(key=lambda d: (d.due_on, d.plan.enrolment_id, schedule.KINDS.index(d.plan.kind), d.plan.plan_id))
    return result, {p.pk: p for p in rows}


def _plan_facts(plan: ContactPlan) -> schedule.Plan:
    return schedule.Plan(
        plan_id=plan.pk,
        enrolment_id=plan.enrolment_id,
        kind=plan.kind,
        every_days=plan.every_days,
        starts_on=plan.starts_on,
        assignee_id=plan.assignee_id,
    )


# --- Escalation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingAlert:
    """An alert the rule asks for and that does not exist yet."""

    enrolment_id: int
    programme_id: int
    level: str
    state: schedule.Escalation
    today: dt.date


def pending_alerts(enrolments, *, today: dt.date) -> list[PendingAlert]:
    """The alerts the rule raises today for ``enrolments`` (a queryset) that have not been raised yet.

    Three queries: the enrolments with their programme, the contacts of their current streaks (from their
    last success on), and the alerts already raised for them.
    """
    enrolments = {e.pk: e for e in enrolments.active().select_related("programme").order_by()}
    if not enrolments:
        return []
    # Contacts up to the end of ``today`` only: the rule can be applied as of an earlier day.
    until = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    contacts = Contact.objects.filter(occurred_at__lt=until)
    last_success = Subquery(
        contacts.filter(enrolment=OuterRef("enrolment"), success=True)
        .order_by("-occurred_at", "-pk")
        .values("occurred_at")[:1]
    )
    by_enrolment: dict[int, list[schedule.Contact]] = {}
    for pk, enrolment_id, kind, occurred_at, success in (
        contacts.filter(enrolment_id__in=enrolments)
        .annotate(last_ok=last_success)
        .filter(Q(last_ok__isnull=True) | Q(occurred_at__gte=F("last_ok")))
        .values_list("pk", "enrolment_id", "kind", "occurred_at", "success")
    ):
        by_enrolment.setdefault(enrolment_id, []).append(
            schedule.Contact(pk, enrolment_id, kind, local_date(occurred_at), success)
        )
    raised = set(
        Alert.objects.filter(enrolment_id__in=by_enrolment).values_list("enrolment_id", "level", "first_failure_id")
    )
    pending = []
    for enrolment_id, contacts in sorted(by_enrolment.items()):
        programme = enrolments[enrolment_id].programme
        state = schedule.escalation(enrolment_id, contacts, programme.escalation_params(), today=today)
        for level in state.levels:
            if (enrolment_id, level, state.first_failure_id) not in raised:
                pending.append(PendingAlert(enrolment_id, programme.pk, level, state, today))
    return pending


@transaction.atomic
def raise_alerts(pending: Iterable[PendingAlert], *, notify: bool = True) -> list[Alert]:
    """Create the pending alerts, each with its first transition; e-mail them once the transaction commits."""
    pending = list(pending)
    if not pending:
        return []
    enrolments = Enrolment.objects.select_related("programme").in_bulk({p.enrolment_id for p in pending})
    alerts = []
    for item in pending:
        enrolment = enrolments[item.enrolment_id]
        programme = enrolment.programme
        alert, created = Alert.objects.get_or_create(
            enrolment=enrolment,
            level=item.level,
            first_failure_id=item.state.first_failure_id,
            defaults={
                "organisation_id": enrolment.organisation_id,
                "failures_in_row": item.state.failures_in_row,
                "raised_on": item.today,
                "referent_id": programme.referent_id,
                "partner_id": programme.partner_id if item.level == AlertLevel.PARTNER else None,
            },
        )
        if created:
            AlertTransition.objects.create(
                alert=alert,
                from_status="",
                to_status=AlertStatus.OPEN,
                at=timezone.now(),
                by_label="système",
                note=f"{item.state.failures_in_row} contact(s) manqué(s) d'affilée depuis le "
                f"{item.state.first_failure_on:%d/%m/%Y}.",
            )
            alerts.append(alert)
    if notify and alerts:
        ids = [a.pk for a in alerts]
        # robust: a mail server that fails is logged, and does not undo the alerts already committed.
        transaction.on_commit(lambda: notify_alerts(Alert.objects.filter(pk__in=ids)), robust=True)
    return alerts


def escalate(*, today: dt.date, organisation=None, wet_run: bool = False) -> list[PendingAlert]:
    """Apply the rule to every active enrolment (of ``organisation`` when given); write only with ``wet_run``."""
    enrolments = Enrolment.objects.active()
    if organisation is not None:
        enrolments = enrolments.for_organisation(organisation)
    pending = pending_alerts(enrolments, today=today)
    if wet_run:
        raise_alerts(pending)
    return pending


def _move_alert(alert: Alert, *, to_status: str, by, note: str) -> AlertTransition:
    if to_status not in ALERT_TRANSITIONS[AlertStatus(alert.status)]:
        raise ValidationError(
            f"Une alerte « {alert.get_status_display()} » ne peut pas passer à « {AlertStatus(to_status).label} »."
        )
    transition = AlertTransition.objects.create(
        alert=alert,
        from_status=alert.status,
        to_status=to_status,
        at=timezone.now(),
        by=by,
        by_label=by.email if by is not None else "système",
        note=note.strip()[:500],
    )
    alert.status = to_status
    alert.save(update_fields=["status", "updated_at"])
    return transition


@transaction.atomic
def transition_alert(*, alert: Alert, to_status: str, by, note: str = "") -> AlertTransition:
    """Acknowledge or resolve an alert. Resolving says what was done: its note is required."""
    if to_status not in AlertStatus.values:
        raise ValidationError(f"État inconnu : « {to_status} ».")
    if by.organisation_id != alert.organisation_id and not (
        alert.level == AlertLevel.PARTNER and alert.partner_id == by.organisation_id
    ):
        raise PermissionDenied("Cette alerte ne vous est pas adressée.")
    if to_status == AlertStatus.RESOLVED and not note.strip():
        raise ValidationError("Note : dites ce qui a été fait pour résoudre l'alerte.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    return _move_alert(alert, to_status=to_status, by=by, note=note)


# --- E-mails --------------------------------------------------------------------------------------------------


def alert_recipients(alert: Alert) -> list[str]:
    """Who is told of an alert: the referent (the landlord's admins when the programme has none), and for a
    partner alert the active users of the partner organisation too."""
    from proxima.accounts.models import User

    referent = alert.referent if alert.referent_id and alert.referent.is_active else None
    if referent is not None:
        emails = [referent.email]
    else:
        emails = list(
            User.objects.filter(organisation_id=alert.organisation_id, role=Role.ADMIN, is_active=True)
            .order_by("email")
            .values_list("email", flat=True)
        )
    if alert.level == AlertLevel.PARTNER and alert.partner_id:
        emails += list(
            User.objects.filter(organisation_id=alert.partner_id, role__in=[Role.ADMIN, Role.PARTNER], is_active=True)
            .order_by("email")
            .values_list("email", flat=True)
        )
    return list(dict.fromkeys(emails))


def notify_alerts(alerts) -> int:
    """E-mail each alert to its recipients, one message each (no one sees the others' addresses).

    The message names no one: an e-mail travels in clear, so it says which programme and how many contacts
    failed, and links to the alert in Proxima, where the person's details are behind a login (RGPD, art. 32).
    """
    messages = []
    for alert in alerts.select_related("enrolment__programme", "referent", "partner"):
        context = {
            "alert": alert,
            "programme": alert.enrolment.programme,
            "url": settings.PROXIMA_BASE_URL.rstrip("/") + reverse("outreach:alert_detail", args=[alert.pk]),
        }
        subject = render_to_string("outreach/emails/alert_subject.txt", context).strip()
        body = render_to_string("outreach/emails/alert.txt", context)
        messages += [EmailMessage(subject, body, None, [email]) for email in alert_recipients(alert)]
    if not messages:
        return 0
    return get_connection().send_messages(messages)


def visible_alerts(user):
    """The alerts a user may read: their landlord's (a field agent's, for the people they see), or for a partner
    organisation's users the alerts escalated to it."""
    if user.organisation.kind == OrganisationKind.PARTNER:
        return Alert.objects.addressed_to_partner(user.organisation)
    alerts = Alert.objects.for_organisation(user.organisation)
    if user.role == Role.FIELD_AGENT:
        alerts = alerts.filter(enrolment__in=Enrolment.objects.visible_to(user).values("pk"))
    return alerts


def can_handle(user, alert: Alert) -> bool:
    """Whether ``user`` may acknowledge or resolve ``alert`` (see ``perms.can_handle_programme_alerts``)."""
    if not perms.can_handle_programme_alerts(user, user.organisation):
        return False
    if user.organisation_id == alert.organisation_id:
        return True
    return alert.level == AlertLevel.PARTNER and alert.partner_id == user.organisation_id
