"""Referrals (orientations): a household, or a person who is not a tenant, sent to a partner's service.

One function per change of status, each in one transaction, each writing a
:class:`~proxima.offer.models.ReferralTransition` row (who, when, from, to, why) and, for a household, an
entry of its interaction history (``households.Interaction``)::

    sent ──► accepted ──► done
      │          └──────► abandoned
      ├──► refused (with a reason)
      ├──► abandoned (the landlord withdraws it: the person changed their mind)
      └──► expired (no answer in time: ``proxima referrals expire``)

Who may act:

- the landlord's staff who orient residents (``perms.can_refer``) send, withdraw, and may record the partner's
  answer on its behalf (a small association answers on the phone);
- the partner's users (``perms.can_answer_referrals``, for the partner listings whose account is their
  organisation) accept, refuse, and close the referrals addressed to them;
- nobody expires a referral by hand: the daily command does, once its last day to answer is past.

A household is referred only with its consent in force for the purpose "transmission de ses coordonnées à un
partenaire" (``households.Consent``); a person who is not a tenant gives it on the spot, and the referral
records when and how. E-mails to partners say that referrals wait and link to them; they never carry a name.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from proxima.accounts import perms
from proxima.accounts.enums import Role
from proxima.accounts.models import User
from proxima.households.enums import ConsentChannel, ConsentPurpose, InteractionChannel
from proxima.households.models import Household, Interaction
from proxima.needs.enums import NEED_THEME, Need
from proxima.offer import reference
from proxima.offer.enums import ReferralStatus, RefusalReason
from proxima.offer.models import Referral, ReferralSettings, ReferralTransition, Service

# Interaction.source of the contacts written by referrals.
REFERRAL_SOURCE = "orientation"
SYSTEM_LABEL = "Proxima (automatique)"

# The changes of status allowed from each status; the others are final.
TRANSITIONS = {
    ReferralStatus.SENT: {
        ReferralStatus.ACCEPTED,
        ReferralStatus.REFUSED,
        ReferralStatus.ABANDONED,
        ReferralStatus.EXPIRED,
    },
    ReferralStatus.ACCEPTED: {ReferralStatus.DONE, ReferralStatus.ABANDONED},
}
FINAL_STATUSES = frozenset(set(ReferralStatus) - set(TRANSITIONS))

# The words of the interaction history's "outcome" column (30 characters at most).
OUTCOMES = {
    ReferralStatus.SENT: "orientation envoyée",
    ReferralStatus.ACCEPTED: "acceptée par le partenaire",
    ReferralStatus.REFUSED: "refusée par le partenaire",
    ReferralStatus.DONE: "service rendu",
    ReferralStatus.ABANDONED: "orientation abandonnée",
    ReferralStatus.EXPIRED: "expirée sans réponse",
}
# "… ne peut pas être <verb>": the message of an invalid change.
_VERBS = {
    ReferralStatus.ACCEPTED: "acceptée",
    ReferralStatus.REFUSED: "refusée",
    ReferralStatus.DONE: "déclarée réalisée",
    ReferralStatus.ABANDONED: "abandonnée",
    ReferralStatus.EXPIRED: "expirée",
}
LANDLORD, PARTNER = "landlord", "partner"
INTERACTION_THEME_LENGTH = Interaction._meta.get_field("theme").max_length
REASON_LENGTH = Referral._meta.get_field("reason").max_length


# Delays -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delays:
    expiry_days: int
    reminder_days: int  # 0: no reminder


def referral_delays(*, organisation, partner) -> Delays:
    """The delays that apply to a referral to ``partner``: its own, else the organisation's, else the defaults."""
    rows = {
        row.partner_id: row
        for row in ReferralSettings.objects.for_organisation(organisation).filter(
            Q(partner__isnull=True) | Q(partner=partner)
        )
    }
    row = rows.get(partner.pk) or rows.get(None)
    if row is None:
        return Delays(ReferralSettings.DEFAULT_EXPIRY_DAYS, ReferralSettings.DEFAULT_REMINDER_DAYS)
    return Delays(row.expiry_days, row.reminder_days)


@transaction.atomic
def update_referral_delays(*, organisation, partner=None, expiry_days: int, reminder_days: int) -> ReferralSettings:
    """Set the organisation's delays, or ``partner``'s own (one of the organisation's partners)."""
    if partner is not None and partner.organisation_id != organisation.pk:
        raise ValidationError("Ce partenaire n'est pas un partenaire de votre organisme.")
    row = (
        ReferralSettings.objects.filter(partner=partner).first()
        if partner is not None
        else ReferralSettings.objects.filter(organisation=organisation, partner__isnull=True).first()
    ) or ReferralSettings(organisation=organisation, partner=partner)
    row.expiry_days = expiry_days
    row.reminder_days = reminder_days
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def remove_partner_delays(*, organisation, partner) -> bool:
    """Drop ``partner``'s own delays: the organisation's apply again. Returns whether there were any."""
    if partner.organisation_id != organisation.pk:
        raise ValidationError("Ce partenaire n'est pas un partenaire de votre organisme.")
    row = ReferralSettings.objects.filter(partner=partner).first()
    if row is None:
        return False
    row.delete()
    return True


# Sending ------------------------------------------------------------------------------------------------------


def referable_services(organisation, *, today: dt.date):
    """The services a referral may go to: open today, rendered by a partner whose partnership is current."""
    return (
        Service.objects.for_organisation(organisation)
        .running_on(today)
        .filter(partner__isnull=False, partner__is_active=True)
        .select_related("partner")
        .order_by("name", "pk")
    )


def active_referral_consent(household: Household):
    """The household's consent in force to pass its contact details to a partner, or None."""
    return household.consents.active().filter(purpose=ConsentPurpose.REFERRAL).order_by("-given_on", "-pk").first()


def _clean_text(value: str, *, field_label: str, required: bool, max_length: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"{field_label} : ce champ est obligatoire.")
    if len(value) > max_length:
        raise ValidationError(f"{field_label} : {max_length} caractères au plus ({len(value)} saisis).")
    return value


def _check_service(service: Service, organisation, today: dt.date) -> None:
    if service.organisation_id != organisation.pk:
        raise ValidationError("Ce service n'appartient pas au catalogue de votre organisme.")
    if service.partner_id is None:
        raise ValidationError(
            f"« {service.name} » est rendu par votre organisme lui-même : une orientation s'adresse à un partenaire."
        )
    if not referable_services(organisation, today=today).filter(pk=service.pk).exists():
        raise ValidationError(
            f"« {service.name} » n'est pas ouvert aujourd'hui, ou le partenariat avec {service.partner.name} "
            "est terminé : choisissez un service ouvert."
        )


def _check_contact(*, person_name: str, phone: str, email: str) -> tuple[str, str, str]:
    person_name = _clean_text(person_name, field_label="Nom de la personne", required=True, max_length=150)
    phone = _clean_text(phone, field_label="Téléphone", required=False, max_length=30)
    email = _clean_text(email, field_label="E-mail", required=False, max_length=254)
    if not phone and not email:
        raise ValidationError("Indiquez un téléphone ou un e-mail : le partenaire doit pouvoir joindre la personne.")
    return person_name, phone, email


def _check_common(*, need: str, channel: str, reason: str) -> str:
    if need and need not in Need.values:
        raise ValidationError(f"Besoin inconnu : « {need} ».")
    if channel not in InteractionChannel.values:
        raise ValidationError(f"Canal inconnu : « {channel} ».")
    return _clean_text(reason, field_label="Motif de l'orientation", required=True, max_length=REASON_LENGTH)


def _send(*, organisation, service: Service, by, today: dt.date, **fields) -> Referral:
    delays = referral_delays(organisation=organisation, partner=service.partner)
    expires_on = today + dt.timedelta(days=delays.expiry_days)
    now = timezone.now()
    referral = Referral(
        organisation=organisation,
        partner=service.partner,
        service=service,
        sent_at=now,
        sent_by=by,
        expires_on=expires_on,
        remind_on=expires_on - dt.timedelta(days=delays.reminder_days) if delays.reminder_days else None,
        status=ReferralStatus.SENT,
        **fields,
    )
    referral.full_clean()
    referral.save()
    _log(referral, from_status="", to_status=ReferralStatus.SENT, by=by, at=now)
    _record_interaction(referral, status=ReferralStatus.SENT, by=by, at=now, note=f"motif : {referral.reason}")
    transaction.on_commit(lambda: notify_new_referral(referral))
    return referral


@transaction.atomic
def refer_household(
    *,
    household: Household,
    service: Service,
    person_name: str,
    phone: str,
    email: str,
    reason: str,
    channel: str,
    by,
    today: dt.date,
    need: str = "",
) -> Referral:
    """Send ``household`` to ``service``'s partner, with its consent in force; ``ValidationError`` otherwise.

    ``person_name``, ``phone`` and ``email`` are what the partner receives to contact the household (usually
    its lease holder's name and phone); nothing else of the household is passed on.
    """
    organisation = household.organisation
    if not perms.can_refer(by, organisation):
        raise PermissionDenied("Vous ne pouvez pas orienter les ménages de cet organisme.")
    consent = active_referral_consent(household)
    if consent is None:
        raise ValidationError(
            "Le ménage n'a pas donné son accord pour que ses coordonnées soient transmises à un partenaire : "
            "l'orientation n'est pas envoyée. Recueillez d'abord son consentement (finalité « transmission de ses "
            "coordonnées à un partenaire ») sur sa fiche."
        )
    _check_service(service, organisation, today)
    person_name, phone, email = _check_contact(person_name=person_name, phone=phone, email=email)
    reason = _check_common(need=need, channel=channel, reason=reason)
    return _send(
        organisation=organisation,
        service=service,
        by=by,
        today=today,
        household=household,
        consent=consent,
        consent_given_on=consent.given_on,
        consent_channel=consent.channel,
        person_name=person_name,
        phone=phone,
        email=email,
        commune_id=Household.objects.filter(pk=household.pk)
        .values_list("dwelling__building__site__commune_id", flat=True)
        .first(),
        need=need,
        reason=reason,
        channel=channel,
    )


@transaction.atomic
def refer_person(
    *,
    organisation,
    service: Service,
    person_name: str,
    phone: str,
    email: str,
    commune,
    reason: str,
    channel: str,
    consent_given_on: dt.date | None,
    consent_channel: str,
    by,
    today: dt.date,
    need: str = "",
) -> Referral:
    """Send a person who is not a tenant (a neighbour met at the concierge, a relative) to ``service``'s partner.

    The person has no household record: their consent is recorded on the referral itself (date and channel).
    """
    if not perms.can_refer(by, organisation):
        raise PermissionDenied("Vous ne pouvez pas orienter pour cet organisme.")
    if consent_given_on is None:
        raise ValidationError(
            "La personne doit accepter que ses coordonnées soient transmises au partenaire : indiquez quand elle "
            "a donné son accord. Sans accord, l'orientation n'est pas envoyée."
        )
    if consent_given_on > today:
        raise ValidationError("Date de l'accord : elle ne peut pas être dans le futur.")
    if consent_channel not in ConsentChannel.values:
        raise ValidationError(f"Accord recueilli : canal inconnu « {consent_channel} ».")
    _check_service(service, organisation, today)
    person_name, phone, email = _check_contact(person_name=person_name, phone=phone, email=email)
    reason = _check_common(need=need, channel=channel, reason=reason)
    return _send(
        organisation=organisation,
        service=service,
        by=by,
        today=today,
        household=None,
        consent=None,
        consent_given_on=consent_given_on,
        consent_channel=consent_channel,
        person_name=person_name,
        phone=phone,
        email=email,
        commune=commune,
        need=need,
        reason=reason,
        channel=channel,
    )


# Changes of status --------------------------------------------------------------------------------------------


def actor_side(user, referral: Referral) -> str | None:
    """``"landlord"`` for the landlord's staff who orient residents, ``"partner"`` for the users of the partner
    the referral is addressed to, None for anyone else."""
    if user is None or not user.is_authenticated:
        return None
    if user.organisation_id == referral.organisation_id and perms.can_refer(user, user.organisation):
        return LANDLORD
    if perms.can_answer_referrals(user, user.organisation) and referral.partner.account_id == user.organisation_id:
        return PARTNER
    return None


def invalid_transition_message(from_status: str, to_status: str) -> str:
    """Why a referral in ``from_status`` cannot go to ``to_status``, in plain French."""
    current = ReferralStatus(from_status).label
    verb = _VERBS[to_status]
    if from_status in FINAL_STATUSES:
        return f"Cette orientation est déjà « {current} » : son état ne change plus, elle ne peut pas être {verb}."
    if from_status == ReferralStatus.SENT and to_status == ReferralStatus.DONE:
        return "Cette orientation attend encore la réponse du partenaire : elle doit être acceptée avant d'être déclarée réalisée."
    if from_status == ReferralStatus.ACCEPTED and to_status in (ReferralStatus.ACCEPTED, ReferralStatus.REFUSED):
        return (
            f"Cette orientation est déjà acceptée : elle ne peut plus être {verb}. Si elle n'aboutit pas, "
            "déclarez-la abandonnée, avec la raison."
        )
    if to_status == ReferralStatus.EXPIRED:
        return "Seule une orientation restée sans réponse expire."
    return f"Une orientation « {current} » ne peut pas être {verb}."


def _by_label(by) -> str:
    if by is None:
        return SYSTEM_LABEL
    name = by.get_full_name() or by.email
    return f"{name} ({by.organisation.name})"[:254]


def _log(referral: Referral, *, from_status: str, to_status: str, by, at, reason: str = "") -> ReferralTransition:
    return ReferralTransition.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to_status,
        at=at,
        by=by,
        by_label=_by_label(by),
        reason=reason[:500],
    )


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def interaction_theme(referral: Referral) -> str:
    """The theme of a referral in the history: its need's theme, else the category of its service's first theme."""
    if referral.need:
        return _short(str(NEED_THEME[Need(referral.need)].label), INTERACTION_THEME_LENGTH)
    code = referral.service.themes.values_list("code", flat=True).first()
    if code is None:
        return ""
    category = reference.theme_category(code)
    label = (
        reference.LANDLORD_CATEGORY_LABEL
        if category == reference.LANDLORD_PREFIX
        else reference.THEME_CATEGORIES.get(category, category)
    )
    return _short(label, INTERACTION_THEME_LENGTH)


def _record_interaction(referral: Referral, *, status: str, by, at, note: str = "") -> None:
    """One entry of the household's history for the referral and each change of it (none for a non-tenant).

    The channel is the referral's: the history keeps the whole thread of one referral under the contact that
    started it.
    """
    if referral.household_id is None:
        return
    head = f"Orientation n° {referral.pk} : {referral.service.name} ({referral.partner.name})"
    Interaction.objects.create(
        organisation_id=referral.organisation_id,
        household_id=referral.household_id,
        occurred_at=at,
        channel=referral.channel,
        source=REFERRAL_SOURCE,
        theme=interaction_theme(referral),
        outcome=OUTCOMES[status],
        note=(f"{head} — {note}" if note else head)[:500],
        recorded_by=by,
    )


def _transition(referral: Referral, *, to_status: str, by, reason: str = "", **changes) -> Referral:
    # Lock the row: two people answering at once must not both succeed (the second sees the new status).
    locked = Referral.objects.select_for_update().select_related("service", "partner").get(pk=referral.pk)
    if to_status not in TRANSITIONS.get(locked.status, ()):
        raise ValidationError(invalid_transition_message(locked.status, to_status))
    now = timezone.now()
    from_status = locked.status
    locked.status = to_status
    if from_status == ReferralStatus.SENT and to_status in (ReferralStatus.ACCEPTED, ReferralStatus.REFUSED):
        locked.answered_at = now
    if to_status in FINAL_STATUSES:
        locked.closed_at = now
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "answered_at", "closed_at", "updated_at", *changes])
    _log(locked, from_status=from_status, to_status=to_status, by=by, at=now, reason=reason)
    _record_interaction(locked, status=to_status, by=by, at=now, note=reason)
    for name in ("status", "answered_at", "closed_at", *changes):  # the caller's object shows the new state too
        setattr(referral, name, getattr(locked, name))
    return locked


def _actor(referral: Referral, by, *, action: str) -> str:
    side = actor_side(by, referral)
    if side is None:
        raise PermissionDenied(f"Vous ne pouvez pas {action} cette orientation.")
    return side


@transaction.atomic
def accept_referral(*, referral: Referral, by, note: str = "") -> Referral:
    """The partner takes the person on (or the landlord records that it did)."""
    _actor(referral, by, action="accepter")
    note = _clean_text(note, field_label="Remarque", required=False, max_length=500)
    return _transition(referral, to_status=ReferralStatus.ACCEPTED, by=by, reason=note)


@transaction.atomic
def refuse_referral(*, referral: Referral, by, reason: str, details: str = "") -> Referral:
    """The partner turns the referral down, saying why (``RefusalReason``; "other" needs details)."""
    _actor(referral, by, action="refuser")
    if reason not in RefusalReason.values:
        raise ValidationError("Raison du refus : choisissez-en une dans la liste.")
    details = _clean_text(details, field_label="Précisions", required=reason == RefusalReason.OTHER, max_length=400)
    label = str(RefusalReason(reason).label)
    return _transition(
        referral,
        to_status=ReferralStatus.REFUSED,
        by=by,
        reason=f"{label} — {details}" if details else label,
        refusal_reason=reason,
    )


@transaction.atomic
def complete_referral(*, referral: Referral, by, note: str = "") -> Referral:
    """The service was rendered: the referral is closed as done."""
    _actor(referral, by, action="clôturer")
    note = _clean_text(note, field_label="Remarque", required=False, max_length=500)
    return _transition(referral, to_status=ReferralStatus.DONE, by=by, reason=note)


@transaction.atomic
def abandon_referral(*, referral: Referral, by, reason: str) -> Referral:
    """The referral will not go through: the person changed their mind, moved, could not be reached after it
    was accepted… The landlord may abandon an unanswered referral; the partner refuses those instead."""
    side = _actor(referral, by, action="abandonner")
    reason = _clean_text(reason, field_label="Raison de l'abandon", required=True, max_length=500)
    current = Referral.objects.values_list("status", flat=True).get(pk=referral.pk)
    if side == PARTNER and current == ReferralStatus.SENT:
        raise ValidationError(
            "Une orientation en attente de votre réponse se refuse, avec sa raison : l'abandon concerne une "
            "orientation acceptée qui n'aboutit pas."
        )
    return _transition(referral, to_status=ReferralStatus.ABANDONED, by=by, reason=reason)


@transaction.atomic
def expire_referral(*, referral: Referral, today: dt.date) -> Referral:
    """No answer after the last day to answer: the referral expires (the daily command, never a person)."""
    if referral.expires_on >= today:
        raise ValidationError(
            f"Cette orientation attend une réponse jusqu'au {referral.expires_on:%d/%m/%Y} inclus : elle n'a pas expiré."
        )
    days = (referral.expires_on - timezone.localdate(referral.sent_at)).days
    return _transition(
        referral, to_status=ReferralStatus.EXPIRED, by=None, reason=f"sans réponse du partenaire en {days} jours"
    )


# Daily run: expiry and reminders ------------------------------------------------------------------------------


@dataclass
class DailyRun:
    """What ``proxima referrals expire`` did, or would do in a dry run."""

    expired: list[Referral] = field(default_factory=list)
    reminded: list[Referral] = field(default_factory=list)
    emails: int = 0


def _link(path: str) -> str:
    base = settings.PROXIMA_BASE_URL
    return f"{base}{path}" if base else ""


def partner_recipients(partner) -> list[str]:
    """The e-mail addresses of the active users of the partner's own Proxima account (none without one)."""
    if partner.account_id is None:
        return []
    return list(
        User.objects.filter(organisation_id=partner.account_id, is_active=True, role__in=[Role.PARTNER, Role.ADMIN])
        .order_by("email")
        .values_list("email", flat=True)
    )


def _mail(template: str, context: dict, recipients: list[str]) -> int:
    if not recipients:
        return 0
    subject = render_to_string(f"offer/referrals/emails/{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"offer/referrals/emails/{template}.txt", context), None, recipients)
    return 1


def notify_new_referral(referral: Referral) -> int:
    """Tell the partner's users that a referral waits for their answer (no name: they read it in Proxima)."""
    return _mail(
        "new",
        {
            "referral": referral,
            "landlord": referral.organisation.name,
            "link": _link(reverse("referrals:inbox_detail", args=[referral.pk])),
        },
        partner_recipients(referral.partner),
    )


def run_daily(*, today: dt.date, wet_run: bool) -> DailyRun:
    """Expire the referrals left unanswered past their last day, then remind partners of those about to.

    Safe to repeat: a referral expires once, and is reminded once (``reminded_on``). In a dry run nothing is
    written nor sent, and the result says what would be. Each referral expires in its own transaction; a
    reminder is marked once its e-mail has left, so a failed e-mail is tried again the next day.
    """
    run = DailyRun()
    overdue = Referral.objects.overdue(today).select_related("organisation", "partner", "service", "sent_by")
    for referral in overdue.order_by("pk"):
        if wet_run:
            expire_referral(referral=referral, today=today)
        run.expired.append(referral)
    due = (
        Referral.objects.due_for_reminder(today)
        .select_related("organisation", "partner", "service", "sent_by")
        .order_by("partner_id", "expires_on", "pk")
    )
    by_partner = defaultdict(list)
    for referral in due:
        by_partner[referral.partner].append(referral)
    for partner, referrals in by_partner.items():
        run.reminded.extend(referrals)
        if wet_run:
            run.emails += _remind(partner, referrals, today=today)
    if wet_run:
        run.emails += _announce_expired(run.expired)
    return run


def _remind(partner, referrals: list[Referral], *, today: dt.date) -> int:
    """E-mail the partner's users the referrals about to expire; without an account, their senders instead."""
    rows = [{"referral": r, "link": _link(reverse("referrals:inbox_detail", args=[r.pk]))} for r in referrals]
    recipients = partner_recipients(partner)
    sent = 0
    if recipients:
        sent += _mail("reminder", {"partner": partner, "rows": rows, "today": today}, recipients)
    else:
        # The partner cannot answer in Proxima: whoever sent each referral calls it and records its answer.
        by_sender = defaultdict(list)
        for r in referrals:
            if r.sent_by is not None and r.sent_by.is_active:
                by_sender[r.sent_by.email].append(
                    {"referral": r, "link": _link(reverse("referrals:detail", args=[r.pk]))}
                )
        for email, sender_rows in by_sender.items():
            sent += _mail("reminder_sender", {"partner": partner, "rows": sender_rows, "today": today}, [email])
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(reminded_on=today)
    return sent


def _announce_expired(referrals: list[Referral]) -> int:
    """Tell each sender which of their referrals expired, so that they orient the person elsewhere."""
    by_sender = defaultdict(list)
    for r in referrals:
        if r.sent_by is not None and r.sent_by.is_active:
            by_sender[r.sent_by.email].append({"referral": r, "link": _link(reverse("referrals:detail", args=[r.pk]))})
    return sum(_mail("expired", {"rows": rows}, [email]) for email, rows in by_sender.items())
