"""Access rules of the agency's visit routes, merged into tests/test_access.py's ROUTES.

The visit log names the households met: it is for the staff who meet residents (``can_log_visits``: admins,
staff, field agents). The summary of a plan's logs is counts only: every landlord role reads it. Another
landlord's admin gets a 404 on every one of ours.
"""

import datetime as dt

from django.utils import timezone

from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.models import VisitContact, VisitLog
from tests.agency.factories import StopFactory, TourDayFactory, TourPlanFactory, VisitFactory

LOGGERS = {"admin", "staff", "field_agent", "other_admin"}
READERS = {"admin", "staff", "field_agent", "read_only", "other_admin"}


def _visit(w):
    return {"pk": w["visit_logged"].pk}


ROUTES = {
    "agency:visit_list": (LOGGERS, "get", None),
    "agency:visit_log": (LOGGERS - {"other_admin"}, "get", _visit),
    "agency:visit_log_edit": (LOGGERS - {"other_admin"}, "get", _visit),
    "agency:visit_summary": (READERS - {"other_admin"}, "get", lambda w: {"pk": w["visit_logged"].day.plan.pk}),
}


def build(world):
    """Yesterday's visit of a published plan, its log naming the world's household."""
    site = world["site"]
    plan = TourPlanFactory(
        organisation=site.organisation, published=True, start_date=timezone.localdate() - dt.timedelta(days=1)
    )
    visit = VisitFactory(day=TourDayFactory(plan=plan), stop=StopFactory(organisation=site.organisation))
    log = VisitLog.objects.create(visit=visit, anonymous_count=2, recorded_by=world["users"]["staff"])
    VisitContact.objects.create(
        log=log, household=world["household"], topics=[VisitTopic.RIGHTS], follow_up=FollowUp.REQUEST
    )
    return {"visit_logged": visit}
