"""Access rules of the concierge's office hours and appointments, merged into tests/test_access.py's ROUTES.

Appointments name inhabitants: the staff who welcome them book, cancel and note who came; opening and changing
office hours belongs to admins and the proximity team.
"""

from tests.concierge.access_requests import MANAGE, VIEW
from tests.concierge.factories import OfficeAppointmentFactory, OfficeHoursFactory

ROUTES = {
    "concierge:office_hours_list": (VIEW | {"other_admin"}, "get", None),
    "concierge:office_hours_create": (MANAGE | {"other_admin"}, "get", None),
    "concierge:office_hours_detail": (VIEW, "get", lambda w: {"pk": w["office_hours"].pk}),
    "concierge:office_hours_update": (MANAGE, "get", lambda w: {"pk": w["office_hours"].pk}),
    "concierge:appointment_cancel": (VIEW, "post", lambda w: {"pk": w["office_appointment"].pk}),
    "concierge:appointment_attendance": (VIEW, "post", lambda w: {"pk": w["office_appointment"].pk}),
}


def build(world):
    """Public office hours next week, with an appointment of the world's household."""
    session = OfficeHoursFactory(organisation=world["household"].organisation)
    appointment = OfficeAppointmentFactory(office_hours=session, household=world["household"], name="Mme Marqueurnom")
    return {"office_hours": session, "office_appointment": appointment}
