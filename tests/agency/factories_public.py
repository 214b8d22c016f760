"""A published schedule for the public pages, booking and letters tests, with dates relative to today."""

import datetime as dt

from django.utils import timezone

from tests.agency.factories import AgencySettingsFactory, StopFactory, TourDayFactory, TourPlanFactory, VisitFactory


def days_from_today(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def published_visit(organisation, *, days: int = 7, stop=None, plan=None, start=dt.time(9, 30), end=dt.time(11, 30)):
    """A visit ``days`` from today in a published plan of ``organisation`` (a new plan and stop by default)."""
    date = days_from_today(days)
    plan = plan or TourPlanFactory(organisation=organisation, published=True, start_date=date)
    day = plan.days.filter(date=date).first() or TourDayFactory(plan=plan, date=date, week=0)
    stop = stop or StopFactory(organisation=organisation)
    return VisitFactory(day=day, stop=stop, start=start, end=end)


def agency_settings(organisation, **kwargs):
    return AgencySettingsFactory(organisation=organisation, contact_phone="02 54 00 00 00", **kwargs)
