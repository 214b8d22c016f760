"""Access rules of the elderly outreach programme, merged into tests/test_access.py's ROUTES.

Programmes and enrolments name the people followed: the landlord's staff who act on households
(``can_view_programme``; field agents for their sites' people), and the programme's settings, enrolments
and plans are for admins and the proximity team (``can_manage_programme``). The partner's volunteer gets
only the calendar and the contact page of the person assigned to them, and a partner organisation's users
only the alerts escalated to it. Read-only users see none of it. Another landlord's admin gets a 404 on
every one of ours.
"""

import datetime as dt

from django.utils import timezone

from proxima.outreach.enums import AlertLevel, ContactKind
from proxima.outreach.models import Alert
from tests.outreach.factories import ContactFactory, ContactPlanFactory, EnrolmentFactory, ProgrammeFactory

PROGRAMME = {"admin", "staff", "field_agent", "other_admin"}
MANAGE = {"admin", "staff", "other_admin"}
CALLERS = {"admin", "staff", "field_agent", "partner", "other_admin"}


def _enrolment(w):
    return {"pk": w["enrolment"].pk}


ROUTES = {
    "outreach:programme_list": (PROGRAMME, "get", None),
    "outreach:programme_create": (MANAGE, "get", None),
    "outreach:programme_detail": (PROGRAMME - {"other_admin"}, "get", lambda w: {"pk": w["programme"].pk}),
    "outreach:programme_update": (MANAGE - {"other_admin"}, "get", lambda w: {"pk": w["programme"].pk}),
    "outreach:programme_enrol_list": (MANAGE - {"other_admin"}, "get", lambda w: {"pk": w["programme"].pk}),
    "outreach:programme_enrol": (MANAGE - {"other_admin"}, "get", lambda w: {"pk": w["programme"].pk}),
    "outreach:enrolment_detail": (PROGRAMME - {"other_admin"}, "get", _enrolment),
    "outreach:enrolment_consent": (PROGRAMME - {"other_admin"}, "post", _enrolment),
    "outreach:enrolment_plan": (MANAGE - {"other_admin"}, "post", _enrolment),
    "outreach:plan_stop": (
        MANAGE - {"other_admin"},
        "post",
        lambda w: {"pk": w["enrolment"].pk, "plan_pk": w["volunteer_plan"].pk},
    ),
    "outreach:enrolment_end": (MANAGE - {"other_admin"}, "post", _enrolment),
    "outreach:contact_record": (CALLERS - {"other_admin"}, "get", _enrolment),
    "outreach:my_contacts": (CALLERS, "get", None),
    "outreach:alert_list": (CALLERS, "get", None),
    "outreach:alert_detail": (CALLERS - {"other_admin"}, "get", lambda w: {"pk": w["partner_alert"].pk}),
    "outreach:alert_transition": ({"admin", "staff", "partner"}, "post", lambda w: {"pk": w["partner_alert"].pk}),
}


def build(world):
    """The world's household enrolled (it gave its outreach consent), its calls assigned to the partner's user,
    three missed calls and the alerts they raised, the last one escalated to the partner."""
    users = world["users"]
    household = world["household"]
    programme = ProgrammeFactory(
        organisation=household.organisation, referent=users["staff"], partner=users["partner"].organisation
    )
    enrolment = EnrolmentFactory(
        programme=programme, household=household, person=household.persons.get(), enrolled_on=dt.date(2026, 1, 5)
    )
    plan = ContactPlanFactory(enrolment=enrolment, kind=ContactKind.CALL, assignee=users["partner"])
    first = ContactFactory(enrolment=enrolment, failed=True, occurred_at=timezone.now() - dt.timedelta(days=3))
    for level in (AlertLevel.REFERENT, AlertLevel.PARTNER):
        alert = Alert.objects.create(
            organisation=household.organisation,
            enrolment=enrolment,
            level=level,
            first_failure=first,
            failures_in_row=3,
            raised_on=timezone.localdate(),
            referent=users["staff"],
            partner=programme.partner if level == AlertLevel.PARTNER else None,
        )
    return {"programme": programme, "enrolment": enrolment, "volunteer_plan": plan, "partner_alert": alert}
