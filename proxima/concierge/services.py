"""Writes of the concierge: requests and their transitions, loans, office hours and appointments, activities.

Each function is one transaction: every row it writes is written, or none. Each contact with a tenant's
household — a request received or closed, an item lent or returned, an appointment booked or held, an
activity attended — is also written to the household's interaction history (``households.Interaction``), in
the same transaction. Contacts with inhabitants who are not tenants are kept on the concierge's rows only.
"""

import datetime as dt
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from proxima.accounts import perms
from proxima.agency.appointments import normalise_code
from proxima.agency.models import new_confirmation_code
from proxima.concierge import rules
from proxima.concierge.enums import (
    INTERACTION_CHANNEL,
    AppointmentStatus,
    ItemKind,
    PlaceKind,
    ReceivedVia,
    RegistrationStatus,
    RequestAction,
    RequestKind,
)
from proxima.concierge.models import (
    Activity,
    ConciergeRequest,
    ConciergeSettings,
    Item,
    Loan,
    OfficeAppointment,
    OfficeHours,
    Registration,
    RequestLog,
)
from proxima.households.enums import InteractionChannel
from proxima.households.models import Household, Interaction

# Interaction.source of the contacts the concierge records.
CONCIERGE_SOURCE = "conciergerie"
OFFICE_HOURS_SOURCE = "permanence"
ACTIVITY_SOURCE = "activité"
THEME_LENGTH = Interaction._meta.get_field("theme").max_length

SLOT_TAKEN = "Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez un autre horaire."
SLOT_PAST = "Ce créneau est déjà passé. Choisissez un autre horaire."
NOT_A_SLOT = "Cet horaire ne correspond à aucun créneau de cette permanence."
NOT_BOOKABLE = "Cette permanence n'est pas ouverte aux rendez-vous en ligne."
ALREADY_BEGUN = "Ce rendez-vous a déjà commencé : il ne peut plus être annulé."
NOT_YET = "Ce rendez-vous n'a pas encore commencé : sa présence s'enregistre le jour même ou après."
ONLINE_CLOSED = "La conciergerie ne prend pas de demandes en ligne pour le moment. Appelez-la ou passez la voir."
# Words of the transitions, for the message when one is not open from the request's status.
ACTION_WORDS = {
    "start": "prise en charge",
    "hold": "mise en attente",
    "resume": "reprise",
    "complete": "close comme traitée",
    "cancel": "annulée",
    "reopen": "rouverte",
}


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _check_household(household: Household | None, organisation) -> None:
    if household is not None and household.organisation_id != organisation.pk:
        raise ValueError("Expected a household of the organisation.")


def _check_staff(user, organisation, what: str) -> None:
    """``user`` may hold ``what`` (a request, office hours): an active member who works at the concierge."""
    if user is not None and not perms.can_view_concierge(user, organisation):
        raise ValidationError(
            f"{user} ne peut pas se voir confier {what} : ce compte ne travaille pas à la conciergerie."
        )


def _unused_code() -> str:
    """A confirmation code used by no request and no appointment: the follow-up page finds one thing by its code."""
    while True:
        code = new_confirmation_code()
        if not (
            ConciergeRequest.objects.filter(code=code).exists() or OfficeAppointment.objects.filter(code=code).exists()
        ):
            return code


def _record_contact(
    *, household: Household | None, channel: str, source: str, theme: str, outcome: str, note: str, by, at
) -> Interaction | None:
    """A contact with a tenant's household, in its interaction history; nothing for an inhabitant who is not one."""
    if household is None:
        return None
    interaction = Interaction(
        organisation_id=household.organisation_id,
        household=household,
        occurred_at=at,
        channel=channel,
        source=source,
        theme=theme[:THEME_LENGTH],
        outcome=outcome,
        note=note[:500],
        recorded_by=by,
    )
    interaction.full_clean()
    interaction.save()
    return interaction


# Settings -----------------------------------------------------------------------------------------------------


def get_concierge_settings(organisation) -> ConciergeSettings:
    """The organisation's concierge settings, unsaved defaults when it has none yet."""
    return ConciergeSettings.objects.filter(organisation=organisation).first() or ConciergeSettings(
        organisation=organisation
    )


@transaction.atomic
def update_concierge_settings(*, organisation, **values) -> ConciergeSettings:
    settings = get_concierge_settings(organisation)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    return settings


# Requests ---------------------------------------------------------------------------------------------------------


def _log(request: ConciergeRequest, action: str, from_status: str, by, at, note: str = "") -> RequestLog:
    return RequestLog.objects.create(
        request=request, action=action, from_status=from_status, to_status=request.status, by=by, at=at, note=note
    )


def _request_note(request: ConciergeRequest) -> str:
    return f"Demande {request.code} : {request.get_kind_display()}"


def _record_request_contact(request: ConciergeRequest, *, outcome: str, channel: str, by, at) -> None:
    _record_contact(
        household=request.household,
        channel=channel,
        source=CONCIERGE_SOURCE,
        theme=str(RequestKind(request.kind).label),
        outcome=outcome,
        note=_request_note(request),
        by=by,
        at=at,
    )


@transaction.atomic
def create_request(
    *,
    organisation,
    kind: str,
    received_via: str,
    name: str,
    phone: str = "",
    email: str = "",
    household: Household | None = None,
    description: str = "",
    due_on: dt.date | None = None,
    assigned_to=None,
    by=None,
    at: dt.datetime | None = None,
) -> ConciergeRequest:
    """Record a request received at the counter, on the phone or online (``by`` None: the inhabitant online).

    Without a due date, the request is due after the usual delay of its kind (``rules.default_due_on``).
    A tenant's request goes into their household's history.
    """
    at = _now(at)
    _check_household(household, organisation)
    _check_staff(assigned_to, organisation, "une demande")
    if kind not in RequestKind.values:
        raise ValidationError(f"Type de demande inconnu : « {kind} ».")
    request = ConciergeRequest(
        organisation=organisation,
        code=_unused_code(),
        kind=kind,
        received_via=received_via,
        received_at=at,
        household=household,
        name=" ".join(name.split()),
        phone=phone.strip(),
        email=email.strip(),
        description=description.strip(),
        due_on=due_on or rules.default_due_on(kind, timezone.localdate(at)),
        assigned_to=assigned_to,
        created_by=by,
    )
    request.full_clean()
    request.save()
    _log(request, RequestAction.CREATE, "", by, at, note=f"Attribuée à {assigned_to}" if assigned_to else "")
    _record_request_contact(
        request, outcome="demande reçue", channel=INTERACTION_CHANNEL[ReceivedVia(received_via)], by=by, at=at
    )
    return request


def _locked(request: ConciergeRequest) -> ConciergeRequest:
    return (
        ConciergeRequest.objects.select_related("household", "assigned_to")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )


def _transition(
    request: ConciergeRequest, action: str, *, by, at, note: str = "", **changes
) -> tuple[ConciergeRequest, str]:
    """Move the request through ``action`` if it is open from its current status; log who, when, from and to."""
    request = _locked(request)
    target = rules.next_status(action, request.status)
    if target is None:
        raise ValidationError(
            f"La demande {request.code} est « {request.get_status_display()} » : "
            f"elle ne peut pas être {ACTION_WORDS[action]}."
        )
    before = request.status
    request.status = target
    request.closed_at = at if target in rules.CLOSED_STATUSES else None
    for name, value in changes.items():
        setattr(request, name, value)
    request.full_clean()
    request.save()
    _log(request, action, before, by, at, note=note)
    return request, before


@transaction.atomic
def start_request(*, request: ConciergeRequest, by, at: dt.datetime | None = None) -> ConciergeRequest:
    """Someone takes the new request in hand; it is theirs unless it was already given to a colleague."""
    changes = {"assigned_to": by} if request.assigned_to_id is None and by is not None else {}
    request, _ = _transition(request, "start", by=by, at=_now(at), **changes)
    return request


@transaction.atomic
def hold_request(*, request: ConciergeRequest, by, reason: str, at: dt.datetime | None = None) -> ConciergeRequest:
    """The request waits for something (a part, a volunteer, the inhabitant's papers): say what."""
    if not reason.strip():
        raise ValidationError("Dites ce qu'on attend pour reprendre la demande.")
    request, _ = _transition(request, "hold", by=by, at=_now(at), note=reason.strip())
    return request


@transaction.atomic
def resume_request(*, request: ConciergeRequest, by, at: dt.datetime | None = None) -> ConciergeRequest:
    request, _ = _transition(request, "resume", by=by, at=_now(at))
    return request


@transaction.atomic
def complete_request(
    *,
    request: ConciergeRequest,
    outcome: str,
    by,
    channel: str = InteractionChannel.CONCIERGE,
    at: dt.datetime | None = None,
) -> ConciergeRequest:
    """Close the request as handled, saying what was done; a tenant's household keeps the contact in its history."""
    at = _now(at)
    if not outcome.strip():
        raise ValidationError("Dites ce qui a été fait avant de clore la demande.")
    request, _ = _transition(request, "complete", by=by, at=at, outcome=outcome.strip())
    _record_request_contact(request, outcome="demande traitée", channel=channel, by=by, at=at)
    return request


@transaction.atomic
def cancel_request(
    *,
    request: ConciergeRequest,
    by,
    reason: str = "",
    channel: str = InteractionChannel.CONCIERGE,
    at: dt.datetime | None = None,
) -> ConciergeRequest:
    """Cancel the request: by staff (``by``) or by the inhabitant online (``by`` None, with their code)."""
    at = _now(at)
    request, _ = _transition(request, "cancel", by=by, at=at, note=reason.strip())
    _record_request_contact(request, outcome="demande annulée", channel=channel, by=by, at=at)
    return request


@transaction.atomic
def reopen_request(*, request: ConciergeRequest, by, reason: str, at: dt.datetime | None = None) -> ConciergeRequest:
    """Take a closed request up again (the repair did not hold, the cancellation was a mistake): say why."""
    if not reason.strip():
        raise ValidationError("Dites pourquoi la demande est rouverte.")
    request, _ = _transition(request, "reopen", by=by, at=_now(at), note=reason.strip(), outcome="")
    return request


TRANSITION_SERVICES = {
    "start": start_request,
    "hold": hold_request,
    "resume": resume_request,
    "complete": complete_request,
    "cancel": cancel_request,
    "reopen": reopen_request,
}


@transaction.atomic
def assign_request(*, request: ConciergeRequest, assignee, by, at: dt.datetime | None = None) -> ConciergeRequest:
    """Give the request to a colleague (``assignee`` None: to nobody); the log keeps who gave it to whom."""
    request = _locked(request)
    _check_staff(assignee, request.organisation, "une demande")
    if request.assigned_to_id == (assignee.pk if assignee else None):
        return request
    request.assigned_to = assignee
    request.save(update_fields=["assigned_to"])
    _log(
        request,
        RequestAction.ASSIGN,
        request.status,
        by,
        _now(at),
        note=f"Attribuée à {assignee}" if assignee else "Plus attribuée à personne",
    )
    return request


@transaction.atomic
def update_request(*, request: ConciergeRequest, by, **values) -> ConciergeRequest:
    """Correct a request: its kind, what is asked, its due date, who asks and how to reach them.

    Linking a tenant's household afterwards (a request made online) adds the request to its history.
    """
    request = _locked(request)
    allowed = {"kind", "description", "due_on", "household", "name", "phone", "email"}
    if unknown := set(values) - allowed:
        raise ValueError(f"Unexpected fields: {sorted(unknown)}.")
    household = values.get("household", request.household)
    _check_household(household, request.organisation)
    newly_linked = household is not None and request.household_id is None
    for name, value in values.items():
        setattr(request, name, value.strip() if isinstance(value, str) else value)
    request.full_clean()
    request.save()
    if newly_linked:
        _record_request_contact(
            request,
            outcome="demande reçue",
            channel=INTERACTION_CHANNEL[ReceivedVia(request.received_via)],
            by=by,
            at=request.received_at,
        )
    return request


@transaction.atomic
def submit_online_request(
    *, organisation, kind: str, description: str, name: str, phone: str = "", email: str = ""
) -> ConciergeRequest:
    """An inhabitant's request from the public form: no account, no household looked up (staff link it later)."""
    if not get_concierge_settings(organisation).accepts_online_requests:
        raise ValidationError(ONLINE_CLOSED)
    return create_request(
        organisation=organisation,
        kind=kind,
        received_via=ReceivedVia.ONLINE,
        name=name,
        phone=phone,
        email=email,
        description=description,
    )


@transaction.atomic
def cancel_online_request(*, request: ConciergeRequest) -> ConciergeRequest:
    """The inhabitant cancels their request with its code. Cancelling a closed request changes nothing."""
    if request.status in rules.CLOSED_STATUSES:
        return request
    return cancel_request(
        request=request, by=None, reason="Annulée en ligne par l'habitant.", channel=InteractionChannel.WEB
    )


def find_by_code(organisation, code: str) -> ConciergeRequest | OfficeAppointment | None:
    """The organisation's request or office-hours appointment with this code, or None."""
    code = normalise_code(code)
    if not code:
        return None
    request = ConciergeRequest.objects.for_organisation(organisation).filter(code=code).first()
    if request is not None:
        return request
    return (
        OfficeAppointment.objects.for_organisation(organisation)
        .select_related("office_hours__stop")
        .filter(code=code)
        .first()
    )


# Loans ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def create_item(*, organisation, **values) -> Item:
    item = Item(organisation=organisation, **values)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def update_item(*, item: Item, **values) -> Item:
    for name, value in values.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    return item


def _loan_theme(item: Item) -> str:
    return str(RequestKind.TOY_LIBRARY.label) if item.kind == ItemKind.TOY else "prêt d'objet"


def _already_lent(loan: Loan) -> ValidationError:
    return ValidationError(
        f"« {loan.item} » est déjà prêté depuis le {loan.lent_on:%d/%m/%Y} "
        f"(retour prévu le {loan.due_on:%d/%m/%Y}) : enregistrez d'abord son retour."
    )


@transaction.atomic
def lend_item(
    *,
    item: Item,
    name: str,
    phone: str = "",
    email: str = "",
    household: Household | None = None,
    lent_on: dt.date,
    due_on: dt.date | None = None,
    by,
) -> Loan:
    """Lend ``item`` until ``due_on`` (default: its usual loan length, on a working day).

    An item is lent to one person at a time: if it is out, or if a colleague lends it at the same moment
    (constraint ``loan_one_open_per_item``), a ``ValidationError`` says so.
    """
    item = Item.objects.select_for_update().get(pk=item.pk)
    _check_household(household, item.organisation)
    if not item.is_active:
        raise ValidationError(f"« {item} » n'est plus prêtable.")
    current = Loan.objects.select_related("item").filter(item=item, returned_on__isnull=True).first()
    if current is not None:
        raise _already_lent(current)
    if lent_on > timezone.localdate():
        raise ValidationError("La date du prêt ne peut pas être dans le futur.")
    loan = Loan(
        organisation_id=item.organisation_id,
        item=item,
        household=household,
        name=" ".join(name.split()),
        phone=phone.strip(),
        email=email.strip(),
        lent_on=lent_on,
        due_on=due_on or rules.loan_due_on(lent_on, item.loan_days),
        lent_by=by,
    )
    loan.full_clean()
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError:
        current = Loan.objects.select_related("item").filter(item=item, returned_on__isnull=True).first()
        if current is None:
            raise
        raise _already_lent(current) from None
    _record_contact(
        household=household,
        channel=InteractionChannel.CONCIERGE,
        source=CONCIERGE_SOURCE,
        theme=_loan_theme(item),
        outcome="objet prêté",
        note=f"{item.name} ({item.reference}), à rendre le {loan.due_on:%d/%m/%Y}",
        by=by,
        at=timezone.now() if lent_on == timezone.localdate() else _noon(lent_on),
    )
    return loan


def _noon(day: dt.date) -> dt.datetime:
    """A contact recorded afterwards: the day is known, not the hour."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@transaction.atomic
def return_item(*, loan: Loan, returned_on: dt.date, by, note: str = "") -> Loan:
    """The item comes back (``note``: its state); it can be lent again."""
    loan = Loan.objects.select_related("item", "household").select_for_update(of=("self",)).get(pk=loan.pk)
    if loan.returned_on is not None:
        raise ValidationError(f"« {loan.item} » est déjà rendu (le {loan.returned_on:%d/%m/%Y}).")
    if returned_on < loan.lent_on:
        raise ValidationError("La date de retour ne peut pas précéder la date du prêt.")
    if returned_on > timezone.localdate():
        raise ValidationError("La date de retour ne peut pas être dans le futur.")
    loan.returned_on, loan.return_note, loan.returned_to = returned_on, note.strip(), by
    loan.full_clean()
    loan.save()
    _record_contact(
        household=loan.household,
        channel=InteractionChannel.CONCIERGE,
        source=CONCIERGE_SOURCE,
        theme=_loan_theme(loan.item),
        outcome="objet rendu",
        note=f"{loan.item.name} ({loan.item.reference})" + (f" : {loan.return_note}" if loan.return_note else ""),
        by=by,
        at=timezone.now() if returned_on == timezone.localdate() else _noon(returned_on),
    )
    return loan


# Office hours and appointments -------------------------------------------------------------------------------


def _check_office_hours(office_hours: OfficeHours) -> None:
    organisation = office_hours.organisation
    if office_hours.stop_id is not None and office_hours.stop.organisation_id != organisation.pk:
        raise ValueError("Expected a stop of the organisation.")
    _check_staff(office_hours.held_by, organisation, "une permanence")
    if office_hours.place_kind != PlaceKind.MOBILE_AGENCY:
        office_hours.stop = None


@transaction.atomic
def create_office_hours(*, organisation, repeat_weeks: int = 1, **values) -> list[OfficeHours]:
    """Open office hours on a date, and the same day of the following weeks when ``repeat_weeks`` > 1."""
    if not 1 <= repeat_weeks <= 26:
        raise ValidationError("Répétez la permanence sur 1 à 26 semaines.")
    created = []
    for week in range(repeat_weeks):
        session = OfficeHours(organisation=organisation, **values)
        session.date = values["date"] + dt.timedelta(weeks=week)
        _check_office_hours(session)
        session.full_clean()
        session.save()
        created.append(session)
    return created


@transaction.atomic
def update_office_hours(*, office_hours: OfficeHours, **values) -> OfficeHours:
    """Change a session; its date and hours stay as they are once appointments are booked in it."""
    office_hours = OfficeHours.objects.select_for_update().get(pk=office_hours.pk)
    timing = {"date", "start", "end", "slot_minutes"}
    changed = {name for name, value in values.items() if getattr(office_hours, name) != value}
    if changed & timing and office_hours.appointments.booked().exists():
        raise ValidationError(
            "Des rendez-vous sont pris à cette permanence : sa date, ses horaires et la durée des rendez-vous "
            "ne changent plus. Annulez d'abord les rendez-vous en prévenant les habitants."
        )
    for name, value in values.items():
        setattr(office_hours, name, value)
    _check_office_hours(office_hours)
    office_hours.full_clean()
    office_hours.save()
    return office_hours


def local_now(now: dt.datetime | None = None) -> dt.datetime:
    """The local time, naive, as ``rules.office_slots`` reads it."""
    return timezone.localtime(now or timezone.now()).replace(tzinfo=None)


def office_slots(office_hours: OfficeHours, *, now: dt.datetime | None = None) -> list[rules.Slot]:
    """Every slot of the session, marked taken or begun."""
    taken = office_hours.appointments.booked().values_list("starts_at", flat=True)
    return rules.office_slots(
        office_hours.date,
        office_hours.start,
        office_hours.end,
        office_hours.slot_minutes,
        taken=set(taken),
        now=local_now(now),
    )


def _slot_taken(office_hours: OfficeHours, starts_at: dt.time) -> bool:
    return office_hours.appointments.booked().filter(starts_at=starts_at).exists()


def slot_start(office_hours: OfficeHours, at: dt.time) -> dt.datetime:
    """The aware date and time at which a slot of the session starts (Europe/Paris)."""
    return timezone.make_aware(dt.datetime.combine(office_hours.date, at))


@transaction.atomic
def book_office_appointment(
    *,
    office_hours: OfficeHours,
    starts_at: dt.time,
    name: str,
    phone: str = "",
    topic: str = "",
    household: Household | None = None,
    by=None,
    received_via: str = ReceivedVia.PHONE,
    now: dt.datetime | None = None,
) -> OfficeAppointment:
    """Book the slot starting at ``starts_at`` for ``name``: by the inhabitant online (``by`` None), or by staff.

    Online, only public sessions are open. ``ValidationError`` when the time is not a slot, the slot has begun,
    or it is taken — also when another booking of it commits first (constraint
    ``officeappointment_one_booking_per_slot``). A tenant's household keeps the booking in its history.
    """
    now = now or timezone.now()
    office_hours = OfficeHours.objects.select_related("organisation").select_for_update().get(pk=office_hours.pk)
    _check_household(household, office_hours.organisation)
    if by is None and not office_hours.is_public:
        raise ValidationError(NOT_BOOKABLE, code="not_bookable")
    slots = {slot.starts_at: slot for slot in office_slots(office_hours, now=now)}
    if starts_at not in slots:
        raise ValidationError(NOT_A_SLOT, code="not_a_slot")
    if slots[starts_at].is_past:
        raise ValidationError(SLOT_PAST, code="past")
    if not slots[starts_at].is_free:
        raise ValidationError(SLOT_TAKEN, code="slot_taken")
    appointment = OfficeAppointment(
        office_hours=office_hours,
        starts_at=starts_at,
        ends_at=slots[starts_at].ends_at,
        household=household,
        name=" ".join(name.split()),
        phone=phone.strip(),
        topic=topic.strip(),
        code=_unused_code(),
        booked_by=by,
    )
    appointment.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the transaction survives the failed insert
            appointment.save()
    except IntegrityError:
        if _slot_taken(office_hours, starts_at):
            raise ValidationError(SLOT_TAKEN, code="slot_taken") from None
        raise
    _record_contact(
        household=household,
        channel=INTERACTION_CHANNEL[ReceivedVia(received_via)],
        source=OFFICE_HOURS_SOURCE,
        theme=office_hours.title,
        outcome="rendez-vous pris",
        note=f"Rendez-vous du {office_hours.date:%d/%m/%Y} à {starts_at:%H:%M}",
        by=by,
        at=now,
    )
    return appointment


@transaction.atomic
def cancel_office_appointment(*, appointment: OfficeAppointment, now: dt.datetime | None = None) -> OfficeAppointment:
    """Cancel and free the slot; once begun, an appointment is held or missed, not cancelled."""
    now = now or timezone.now()
    appointment = (
        OfficeAppointment.objects.select_related("office_hours").select_for_update(of=("self",)).get(pk=appointment.pk)
    )
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    if slot_start(appointment.office_hours, appointment.starts_at) <= now:
        raise ValidationError(ALREADY_BEGUN, code="past")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancelled_at"])
    return appointment


@transaction.atomic
def record_appointment_attendance(
    *, appointment: OfficeAppointment, attended: bool, by, now: dt.datetime | None = None
) -> OfficeAppointment:
    """Whether the person came. A tenant who came has the meeting in their history; a missed one is no contact."""
    now = now or timezone.now()
    appointment = (
        OfficeAppointment.objects.select_related("office_hours", "household", "interaction")
        .select_for_update(of=("self",))
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError("Ce rendez-vous est annulé.")
    if slot_start(appointment.office_hours, appointment.starts_at) > now:
        raise ValidationError(NOT_YET)
    appointment.attended = attended
    interaction = appointment.interaction
    if attended and interaction is None:
        appointment.interaction = _record_contact(
            household=appointment.household,
            channel=InteractionChannel.OFFICE,
            source=OFFICE_HOURS_SOURCE,
            theme=appointment.office_hours.title,
            outcome="rendez-vous honoré",
            note=appointment.topic or f"Permanence du {appointment.office_hours.date:%d/%m/%Y}",
            by=by,
            at=slot_start(appointment.office_hours, appointment.starts_at),
        )
    elif not attended and interaction is not None:
        appointment.interaction = None
    appointment.save(update_fields=["attended", "interaction"])
    if not attended and interaction is not None:
        interaction.delete()
    return appointment


# Activities -----------------------------------------------------------------------------------------------------


def _allocate(activity: Activity) -> list[Registration]:
    """Apply ``rules.allocate_places`` to the activity's registrations; return those newly given a place."""
    registrations = list(activity.registrations.active().order_by("registered_at", "pk"))
    allocation = rules.allocate_places(
        activity.capacity,
        [rules.Seat(r.pk, r.places, r.status == RegistrationStatus.CONFIRMED) for r in registrations],
    )
    confirmed = set(allocation.confirmed)
    promoted = [r for r in registrations if r.pk in confirmed and r.status == RegistrationStatus.WAITING]
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.save(update_fields=["status"])
    return promoted


@transaction.atomic
def create_activity(*, organisation, by, **values) -> Activity:
    activity = Activity(organisation=organisation, created_by=by, **values)
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def update_activity(*, activity: Activity, **values) -> tuple[Activity, list[Registration]]:
    """Change an activity; more places go to the waiting list, oldest first. Returns those now confirmed."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    for name, value in values.items():
        setattr(activity, name, value)
    activity.full_clean()
    activity.save()
    return activity, _allocate(activity)


@transaction.atomic
def register(
    *,
    activity: Activity,
    name: str,
    phone: str = "",
    email: str = "",
    household: Household | None = None,
    places: int = 1,
    by,
    at: dt.datetime | None = None,
) -> Registration:
    """Register a household or an inhabitant: confirmed if the places fit, on the waiting list otherwise."""
    at = _now(at)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _check_household(household, activity.organisation)
    if activity.ends_at <= at:
        raise ValidationError("Cette activité est terminée : on ne peut plus s'y inscrire.")
    if household is not None and activity.registrations.active().filter(household=household).exists():
        raise ValidationError(f"Le ménage {household.reference} est déjà inscrit à cette activité.")
    registration = Registration(
        activity=activity,
        household=household,
        name=" ".join(name.split()),
        phone=phone.strip(),
        email=email.strip(),
        places=places,
        status=RegistrationStatus.WAITING,
        registered_at=at,
        registered_by=by,
    )
    registration.full_clean()
    registration.save()
    _allocate(activity)
    registration.refresh_from_db(fields=["status"])
    return registration


@transaction.atomic
def cancel_registration(
    *, registration: Registration, by, at: dt.datetime | None = None
) -> tuple[Registration, list[Registration]]:
    """Unregister; the freed places go to the waiting list. Returns the registrations now confirmed, to tell them."""
    at = _now(at)
    activity = Activity.objects.select_for_update().get(pk=registration.activity_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration, []
    if activity.starts_at <= at:
        raise ValidationError("L'activité a commencé : notez plutôt l'absence dans la feuille de présence.")
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = at
    registration.save(update_fields=["status", "cancelled_at"])
    return registration, _allocate(activity)


@transaction.atomic
def record_attendance(
    *, activity: Activity, present: Collection[int], by, now: dt.datetime | None = None
) -> tuple[int, int]:
    """Tick who came among the confirmed registrations (``present``: their ids); the others were absent.

    Each household present has the activity in its history, once, whenever the sheet is corrected; unticking
    a household removes that entry. Returns (present, absent).
    """
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.starts_at > now:
        raise ValidationError("L'activité n'a pas encore commencé : la présence se note le jour même ou après.")
    registrations = list(
        activity.registrations.filter(status=RegistrationStatus.CONFIRMED).select_related("household", "interaction")
    )
    if unknown := set(present) - {r.pk for r in registrations}:
        raise ValidationError(f"Inscription inconnue ou non confirmée : {', '.join(map(str, sorted(unknown)))}.")
    present, counts = set(present), [0, 0]
    for registration in registrations:
        attended = registration.pk in present
        counts[0 if attended else 1] += 1
        changed, stale = registration.attended != attended, None
        if attended and registration.interaction is None and registration.household_id is not None:
            registration.interaction = _record_contact(
                household=registration.household,
                channel=InteractionChannel.CONCIERGE,
                source=ACTIVITY_SOURCE,
                theme=str(activity.get_kind_display()),
                outcome="présent à l'activité",
                note=activity.title,
                by=by,
                at=activity.starts_at,
            )
            changed = True
        elif not attended and registration.interaction is not None:
            stale, registration.interaction, changed = registration.interaction, None, True
        if changed:
            registration.attended = attended
            registration.save(update_fields=["attended", "interaction"])
        if stale is not None:
            stale.delete()
    return counts[0], counts[1]
