"""A household's size and lease holder's birth year follow its persons (the needs analysis reads them)."""

import pytest
from django.db.models import Count

from proxima.households.enums import PersonRole
from proxima.households.models import Household
from proxima.households.services import refresh_summaries
from tests.households.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_saving_and_deleting_persons_keeps_the_summary():
    """Adding a person counts them; the lease holder's birth year is kept; removing one recounts."""
    household = HouseholdFactory()
    PersonFactory(household=household, role=PersonRole.REFERENCE, birth_year=1948)
    child = PersonFactory(household=household, role=PersonRole.CHILD, birth_year=2010)
    household.refresh_from_db()
    assert (household.size, household.holder_birth_year) == (2, 1948)
    child.delete()
    household.refresh_from_db()
    assert (household.size, household.holder_birth_year) == (1, 1948)


def test_refresh_after_bulk_writes():
    """Bulk writes bypass the signals: refresh_summaries recounts from the persons."""
    household = HouseholdFactory()
    PersonFactory(household=household, role=PersonRole.CHILD, birth_year=2012)
    Household.objects.filter(pk=household.pk).update(size=9, holder_birth_year=1900)
    assert refresh_summaries(Household.objects.filter(pk=household.pk)) == 1
    household.refresh_from_db()
    assert (household.size, household.holder_birth_year) == (1, None)  # no lease holder listed


def test_demo_import_leaves_every_summary_right(settings, tmp_path):
    """The households import writes persons in bulk, then recounts every household."""
    import datetime as dt

    from proxima.demo.services import build_demo

    settings.VAR_DIR = tmp_path / "var"
    build_demo(dwellings=150, sites=5, today=dt.date(2026, 11, 1), agency=False)
    households = Household.objects.annotate(n=Count("persons"))
    assert households.exists()
    assert all(h.size == h.n for h in households)
