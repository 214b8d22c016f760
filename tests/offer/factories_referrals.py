import datetime as dt

import factory
from django.utils import timezone

from proxima.households.enums import ConsentChannel, ConsentPurpose, InteractionChannel
from proxima.offer.enums import ReferralStatus
from proxima.offer.models import Referral, ReferralSettings
from proxima.territory.models import Commune
from tests.accounts.factories import OrganisationFactory
from tests.households.factories import ConsentFactory
from tests.offer.factories import ServiceFactory


class ReferralConsentFactory(ConsentFactory):
    """A household's consent to pass its contact details to a partner."""

    purpose = ConsentPurpose.REFERRAL


def _consent(household):
    """The household's consent in force to referrals, recorded now if it has none."""
    if household is None:
        return None
    found = household.consents.active().filter(purpose=ConsentPurpose.REFERRAL).first()
    return found or ReferralConsentFactory(household=household)


def _organisation(referral):
    return referral.household.organisation if referral.household is not None else OrganisationFactory()


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral as sent today, of ``household`` (with its consent) or, without one, of a person not a tenant."""

    class Meta:
        model = Referral

    household = None
    organisation = factory.LazyAttribute(_organisation)
    service = factory.SubFactory(ServiceFactory, organisation=factory.SelfAttribute("..organisation"))
    partner = factory.SelfAttribute("service.partner")
    consent = factory.LazyAttribute(lambda o: _consent(o.household))
    consent_given_on = factory.LazyAttribute(lambda o: o.consent.given_on if o.consent else dt.date(2026, 1, 15))
    consent_channel = factory.LazyAttribute(lambda o: o.consent.channel if o.consent else ConsentChannel.IN_PERSON)
    person_name = factory.Faker("name", locale="fr_FR")
    phone = "0639981234"
    commune = factory.LazyFunction(lambda: Commune.objects.get(code="36044"))
    reason = "Souhaite apprendre à faire ses démarches en ligne."
    channel = InteractionChannel.PHONE
    status = ReferralStatus.SENT
    sent_at = factory.LazyFunction(timezone.now)
    expires_on = factory.LazyAttribute(lambda o: timezone.localdate(o.sent_at) + dt.timedelta(days=15))
    remind_on = factory.LazyAttribute(lambda o: o.expires_on - dt.timedelta(days=3))

    class Params:
        accepted = factory.Trait(status=ReferralStatus.ACCEPTED, answered_at=factory.LazyFunction(timezone.now))


class ReferralSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralSettings

    organisation = factory.SubFactory(OrganisationFactory)
    expiry_days = 10
    reminder_days = 2
