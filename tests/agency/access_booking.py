"""Access rules of the agency app's booking and letters routes, merged into tests/test_access.py's ROUTES.

Residents book and cancel on public pages (a code, no account). Appointments and letters name residents:
the staff who welcome them at the bus (``can_manage_appointments``: admins, the proximity team, field
agents); read-only users and partners get a 403, another landlord's admin a 404 on our visits and plans.
"""

from tests.agency.factories import AppointmentFactory, StopFactory
from tests.agency.factories_public import published_visit

MANAGERS = {"admin", "staff", "field_agent"}


def _org(w):
    return {"org": w["site"].organisation.slug}


ROUTES = {
    "agency_public:book": ("public", "get", lambda w: {**_org(w), "visit_pk": w["booking_visit"].pk}),
    "agency_public:booked": ("public", "get", _org),
    "agency_public:cancel": ("public", "get", _org),
    "agency:appointment_days": (MANAGERS | {"other_admin"}, "get", None),
    "agency:appointments_day": (
        MANAGERS | {"other_admin"},
        "get",
        lambda w: {"day": w["booking_visit"].day.date.isoformat()},
    ),
    "agency:visit_appointments": (MANAGERS, "get", lambda w: {"pk": w["booking_visit"].pk}),
    "agency:appointment_cancel": (MANAGERS, "post", lambda w: {"pk": w["booking_appointment"].pk}),
    "agency:plan_letters": (MANAGERS, "get", lambda w: {"plan_pk": w["booking_visit"].day.plan_id}),
    "agency:stop_letters": (
        MANAGERS,
        "get",
        lambda w: {"plan_pk": w["booking_visit"].day.plan_id, "stop_pk": w["booking_visit"].stop_id},
    ),
}
# Without a booking made in this session, the confirmation page sends the visitor to the schedule.
PUBLIC_STATUS = {"agency_public:booked": 302}


def build(world):
    """A published visit in two weeks at a square by the world's site, with one appointment of the household."""
    site = world["site"]
    stop = StopFactory(organisation=site.organisation, latitude=site.latitude, longitude=site.longitude)
    visit = published_visit(site.organisation, days=14, stop=stop)
    appointment = AppointmentFactory(visit=visit, name="Mme Marqueurnom", household=world["household"])
    return {"booking_visit": visit, "booking_appointment": appointment}
