import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from proxima.households.enums import PersonRole
from proxima.households.models import Consent, Household, Person


@transaction.atomic
def record_consent(*, household: Household, purpose: str, given_on: dt.date, channel: str, by) -> Consent:
    """Record a consent as the household gave it. A purpose has at most one consent in force."""
    if household.consents.active().filter(purpose=purpose).exists():
        raise ValidationError("Un consentement est déjà en vigueur pour cette finalité.")
    consent = Consent(household=household, purpose=purpose, given_on=given_on, channel=channel, recorded_by=by)
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def withdraw_consent(*, consent: Consent, on: dt.date) -> Consent:
    """The household withdraws its consent: it stays on record, with the date it ended (RGPD, art. 7.3)."""
    if consent.withdrawn_on is not None:
        raise ValidationError("Ce consentement est déjà retiré.")
    if on < consent.given_on:
        raise ValidationError("La date de retrait ne peut précéder la date du consentement.")
    consent.withdrawn_on = on
    consent.save(update_fields=["withdrawn_on"])
    return consent


def refresh_summaries(households) -> int:
    """Recount ``size`` and ``holder_birth_year`` of ``households`` (a queryset) from their persons.

    The needs analysis reads these two columns for every household of a landlord; keeping them
    on the household spares it a join with all the persons on each page. Imports call this once
    for the organisation after writing persons in bulk; single saves go through the signals.
    """
    persons = Person.objects.filter(household=OuterRef("pk")).order_by().values("household")
    return households.update(
        size=Coalesce(Subquery(persons.annotate(n=Count("pk")).values("n")), 0),
        holder_birth_year=Subquery(
            persons.filter(role=PersonRole.REFERENCE).annotate(year=Max("birth_year")).values("year")
        ),
    )
