"""How long appointments keep the name and phone number given when booking (RGPD: retention, then erasure).

A name and a phone number serve to welcome a resident at the bus and to call them back about what was said
there. :data:`APPOINTMENT_RETENTION_DAYS` days after the visit they are erased; the appointment stays (its date,
time, topic, state and, when staff linked one, the household), so the visit's figures do not change. The daily
command ``proxima appointments forget`` does it; the booking form tells residents.
"""

import datetime as dt

from django.db import transaction

from proxima.agency.models import Appointment

#: Days after the visit during which an appointment keeps its name and phone number.
APPOINTMENT_RETENTION_DAYS = 30
#: What an erased appointment is called instead (the name cannot be empty).
ERASED_NAME = "(effacé)"


def expired_appointments(*, today: dt.date):
    """Appointments of visits more than :data:`APPOINTMENT_RETENTION_DAYS` days before ``today`` still holding a
    name or a phone number, booked or cancelled."""
    limit = today - dt.timedelta(days=APPOINTMENT_RETENTION_DAYS)
    return (
        Appointment.objects.filter(visit__day__date__lt=limit)
        .exclude(name=ERASED_NAME, phone="")
        .select_related("visit__day__plan__organisation", "visit__stop")
        .order_by("visit__day__date", "starts_at", "pk")
    )


def forget_appointments(*, today: dt.date, wet_run: bool) -> list[Appointment]:
    """Erase the name and phone number of the :func:`expired_appointments` (only list them unless ``wet_run``);
    return them. All or nothing; running it again erases nothing more."""
    found = list(expired_appointments(today=today))
    if wet_run:
        with transaction.atomic():
            for appointment in found:  # one by one: appointments are audited on save
                appointment.name, appointment.phone = ERASED_NAME, ""
                appointment.save(update_fields=["name", "phone"])
    return found
