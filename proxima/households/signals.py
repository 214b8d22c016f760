"""Keep a household's size and lease holder's birth year in step with its persons, one save at a time.

Bulk writes (imports) bypass signals and call :func:`proxima.households.services.refresh_summaries`.
"""

from django.db.models.signals import post_delete, post_save

from proxima.households.models import Household, Person
from proxima.households.services import refresh_summaries


def _refresh(sender, instance, raw=False, **kwargs):
    if raw:
        return
    refresh_summaries(Household.objects.filter(pk=instance.household_id))


def connect():
    post_save.connect(_refresh, sender=Person, dispatch_uid="household-summary-save")
    post_delete.connect(_refresh, sender=Person, dispatch_uid="household-summary-delete")
