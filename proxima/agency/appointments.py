"""Appointments at the bus: the slots of a visit, booking one, cancelling it.

A visit's opening hours are cut into slots of ``AgencySettings.slot_minutes``; a slot holds at most one booked
appointment. The slot length may change after bookings were made, so a slot is taken when it overlaps any booked
appointment of the visit, not only one starting at the same time. Bookings of a visit are serialised by a lock
on the visit's row; the constraint ``appointment_one_booking_per_slot`` backs the same-start case. Only the
visits of a published plan, at an active stop, can be booked, and never a slot that has begun. Each write is one
transaction; the audit trail records who booked or cancelled (``agency.Appointment`` is audited).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from proxima.agency.enums import AppointmentStatus
from proxima.agency.models import Appointment, Visit, new_confirmation_code
from proxima.agency.public_schedule import agency_settings, french_time, visit_starts_at

SLOT_TAKEN = "Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez un autre horaire."
SLOT_PAST = "Ce créneau est déjà passé. Choisissez un autre horaire."
NOT_A_SLOT = "Cet horaire ne correspond à aucun créneau de ce passage."
NOT_BOOKABLE = "Ce passage du bus n'est pas ouvert aux rendez-vous."
ALREADY_PAST = "Ce rendez-vous est déjà passé : il ne peut plus être annulé."
# Confirmation codes are unique; a new code is drawn when a freshly drawn one is already used (31^6 codes).
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Slot:
    """A slot of a visit: its times, whether it is free, and whether it has already begun."""

    starts_at: dt.time
    ends_at: dt.time
    is_free: bool = True
    is_past: bool = False

    @property
    def value(self) -> str:
        return self.starts_at.strftime("%H:%M")

    @property
    def label(self) -> str:
        """« 9 h 30 »: a slot is chosen by the time it starts."""
        return french_time(self.starts_at)

    @property
    def is_bookable(self) -> bool:
        return self.is_free and not self.is_past


def slot_times(start: dt.time, end: dt.time, minutes: int) -> list[tuple[dt.time, dt.time]]:
    """The slots of ``minutes`` that fit whole between ``start`` and ``end``, from ``start`` on.

    A remainder shorter than a slot at the end of the opening is not offered: the agent leaves on time.
    """
    if minutes < 1:
        raise ValueError("Expected minutes >= 1.")
    day = dt.date(2000, 1, 1)
    current, closing = dt.datetime.combine(day, start), dt.datetime.combine(day, end)
    step = dt.timedelta(minutes=minutes)
    slots = []
    while current + step <= closing:
        slots.append((current.time(), (current + step).time()))
        current += step
    return slots


def slot_minutes(visit: Visit) -> int:
    return agency_settings(visit.day.plan.organisation).slot_minutes


def bookable_visits():
    """Visits open to appointments: those of a published plan, at an active stop."""
    return Visit.objects.published().filter(stop__is_active=True)


def is_bookable(visit: Visit) -> bool:
    return visit.day.plan.published_at is not None and visit.stop.is_active


def managed_visits(organisation):
    """The organisation's visits whose appointments staff manage: those open to appointments, and those still
    holding booked appointments after their plan was unpublished or replaced, or their stop deactivated."""
    has_booked = Exists(Appointment.objects.booked().filter(visit=OuterRef("pk")))
    return Visit.objects.for_organisation(organisation).filter(
        Q(day__plan__published_at__isnull=False, stop__is_active=True) | Q(has_booked)
    )


def _overlaps(start: dt.time, end: dt.time, booked: list[tuple[dt.time, dt.time]]) -> bool:
    return any(b_start < end and b_end > start for b_start, b_end in booked)


def visit_slots(visit: Visit, *, now: dt.datetime | None = None) -> list[Slot]:
    """Every slot of the visit, marked taken when it overlaps a booked appointment, and past once it has begun."""
    now = now or timezone.now()
    booked = list(visit.appointments.booked().values_list("starts_at", "ends_at"))
    return [
        Slot(
            starts_at=start,
            ends_at=end,
            is_free=not _overlaps(start, end, booked),
            is_past=visit_starts_at(visit, start) <= now,
        )
        for start, end in slot_times(visit.start, visit.end, slot_minutes(visit))
    ]


def _slot_is_taken(visit: Visit, slot: tuple[dt.time, dt.time]) -> bool:
    """Whether a booked appointment of the visit overlaps ``slot`` (start, end)."""
    starts_at, ends_at = slot
    return visit.appointments.booked().filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exists()


def book_appointment(
    *,
    visit: Visit,
    starts_at: dt.time,
    name: str,
    topic: str,
    phone: str = "",
    household=None,
    by=None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book the slot of ``visit`` starting at ``starts_at`` for ``name``.

    ``by`` is the staff member booking for a resident (None when the resident books online); only staff may
    link a household, of the visit's organisation. Raises ``ValidationError`` with a message for the person
    booking when the visit is not open to appointments, the time is not one of its slots, the slot has begun,
    or it overlaps a booked appointment (booked with another slot length, or by someone who committed first).
    """
    now = now or timezone.now()
    with transaction.atomic():
        visit = (
            Visit.objects.select_related("day__plan__organisation", "stop")
            .select_for_update(of=("self",))
            .get(pk=visit.pk)
        )
        if not is_bookable(visit):
            raise ValidationError(NOT_BOOKABLE, code="not_bookable")
        slots = dict(slot_times(visit.start, visit.end, slot_minutes(visit)))
        if starts_at not in slots:
            raise ValidationError(NOT_A_SLOT, code="not_a_slot")
        if visit_starts_at(visit, starts_at) <= now:
            raise ValidationError(SLOT_PAST, code="past")
        if household is not None and household.organisation_id != visit.day.plan.organisation_id:
            raise ValueError("Expected a household of the visit's organisation.")
        slot = (starts_at, slots[starts_at])
        if _slot_is_taken(visit, slot):  # under the visit's lock: no other booking of this visit is under way
            raise ValidationError(SLOT_TAKEN, code="slot_taken")
        for _attempt in range(CODE_ATTEMPTS):
            appointment = Appointment(
                visit=visit,
                starts_at=starts_at,
                ends_at=slots[starts_at],
                name=name.strip(),
                phone=phone.strip(),
                topic=topic,
                household=household,
                booked_by=by,
                code=new_confirmation_code(),
            )
            try:
                with transaction.atomic():  # a savepoint: the transaction survives the failed insert
                    appointment.save()
            except IntegrityError:
                # Either the slot was taken meanwhile (the constraint, should the lock ever be bypassed), or the
                # drawn code is already used: draw again only in the second case.
                if _slot_is_taken(visit, slot):
                    raise ValidationError(SLOT_TAKEN, code="slot_taken") from None
                continue
            return appointment
        raise RuntimeError("Could not draw an unused confirmation code.")


def cancel_appointment(*, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """Cancel the appointment and free its slot. Cancelling a cancelled appointment changes nothing.

    An appointment that has begun cannot be cancelled any more (``ValidationError``): it happened or was missed,
    which the visit log records.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_related("visit__day__plan")
            .select_for_update(of=("self",))
            .get(pk=appointment.pk)
        )
        if appointment.status == AppointmentStatus.CANCELLED:
            return appointment
        if visit_starts_at(appointment.visit, appointment.starts_at) <= now:
            raise ValidationError(ALREADY_PAST, code="past")
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.save(update_fields=["status", "cancelled_at"])
        return appointment


def normalise_code(text: str) -> str:
    """The code as a resident may type it: spaces, dashes and lower case do not count."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def find_by_code(organisation, code: str) -> Appointment | None:
    """The organisation's appointment with this confirmation code, or None."""
    code = normalise_code(code)
    if not code:
        return None
    return (
        Appointment.objects.for_organisation(organisation)
        .select_related("visit__day__plan", "visit__stop__commune")
        .filter(code=code)
        .first()
    )
