"""The billing pages of a household and of an agreement: consents and their withdrawal, exits, an agreement's
terms. Each form is all-or-nothing with a French message; every page naming households is audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.models import ChargeLine, CollectiveAgreement, HouseholdExit, Subscription
from tests.accounts.factories import UserFactory
from tests.billing.factories import (
    BilledServiceFactory,
    ChargeRuleFactory,
    CollectiveAgreementFactory,
    HouseholdExitFactory,
    SubscriptionFactory,
)
from tests.households.factories import HouseholdFactory
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def alarm(landlord):
    return BilledServiceFactory(organisation=landlord, subscription=True, name="Téléassistance")


class TestSubscribers:
    def consent(self, logged, service, **changes):
        data = {"reference": "BAIL-A1", "consent_given_on": "2026-11-02", "consent_channel": "paper", **changes}
        return logged.post(reverse("billing:subscription_list", args=[service.pk]), data, follow=True)

    def test_a_consent_is_recorded_by_lease(self, logged, staff, alarm, households):
        """Staff record a household's consent by its lease: the day, the channel and who recorded it are kept."""
        response = self.consent(logged, alarm)
        subscription = Subscription.objects.get()
        assert (subscription.household, subscription.consent_given_on, subscription.consent_channel) == (
            households[0],
            dt.date(2026, 11, 2),
            "paper",
        )
        assert subscription.recorded_by == staff
        assert "Consentement du ménage BAIL-A1 enregistré." in page_of(response)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"reference": "BAIL-ZZ"}, "Aucun ménage de l&#x27;organisme n&#x27;a le bail « BAIL-ZZ »."),
            ({"consent_given_on": "02/13/2026"}, "Saisissez une date valide."),
            ({"consent_given_on": ""}, "Ce champ est obligatoire."),
            ({"consent_channel": "pigeon"}, "Sélectionnez un choix valide."),
        ],
    )
    def test_bad_input_is_named(self, logged, alarm, households, changes, message):
        """Each mistake is named at its field and nothing is recorded."""
        response = self.consent(logged, alarm, **changes)
        assert message in page_of(response)
        assert not Subscription.objects.exists()

    def test_a_consent_in_the_future_is_refused(self, logged, alarm, households):
        """A consent cannot be dated after today."""
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        response = self.consent(logged, alarm, consent_given_on=tomorrow.isoformat())
        assert "Le consentement ne peut être un jour à venir" in page_of(response)
        assert not Subscription.objects.exists()

    def test_a_household_of_another_landlord_is_unknown(self, logged, alarm, other_landlord):
        """Another landlord's lease reference is not found among ours."""
        HouseholdFactory(dwelling__building__site__organisation=other_landlord, reference="BAIL-B9")
        response = self.consent(logged, alarm, reference="BAIL-B9")
        assert "n&#x27;a le bail « BAIL-B9 »" in page_of(response)
        assert not Subscription.objects.exists()

    def test_a_second_consent_is_refused(self, logged, alarm, households):
        """A household already subscribed is told so; one subscription stays."""
        SubscriptionFactory(service=alarm, household=households[0])
        response = self.consent(logged, alarm)
        assert "Le ménage BAIL-A1 est déjà abonné à « Téléassistance »." in page_of(response)
        assert Subscription.objects.count() == 1

    def test_only_a_subscription_takes_consents(self, logged, landlord, households):
        """A recoverable charge shows no consent form, and a posted consent is refused."""
        charge = BilledServiceFactory(organisation=landlord)
        assert "Enregistrer un consentement" not in page_of(
            logged.get(reverse("billing:subscription_list", args=[charge.pk]))
        )
        response = self.consent(logged, charge)
        assert "pas un abonnement facultatif" in page_of(response)
        assert not Subscription.objects.exists()

    def test_the_list_is_audited_and_its_queries_pinned(
        self, logged, landlord, alarm, sites, staff, django_assert_num_queries
    ):
        """The subscribers page costs the same queries whatever their number, and logs the households shown."""
        for _ in range(4):
            SubscriptionFactory(service=alarm, household__dwelling__building__site=sites[0], recorded_by=staff)
        SubscriptionFactory(service=alarm, household__dwelling__building__site=sites[1], ended_on=dt.date(2026, 5, 1))
        # session, user, service, count, subscriptions with households, sites and recorders, the audit event
        with django_assert_num_queries(6):
            response = logged.get(reverse("billing:subscription_list", args=[alarm.pk]))
        assert response.status_code == 200
        event = AuditEvent.objects.get(action=AuditAction.LIST)
        assert len(event.details["ids"]) == 5

    def test_the_export_is_audited(self, logged, alarm, households):
        """The subscribers' CSV has the lease, the consent's day and channel; the export is logged."""
        SubscriptionFactory(service=alarm, household=households[2], consent_given_on=dt.date(2026, 3, 4))
        rows = streamed(logged.get(reverse("billing:subscription_list", args=[alarm.pk]), {"format": "csv"}))
        assert rows.splitlines()[1] == "BAIL-B1;RES-B;04/03/2026;papier signé;"
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, details__count=1).exists()


class TestWithdrawal:
    def end(self, logged, subscription, **data):
        return logged.post(reverse("billing:subscription_end", args=[subscription.pk]), data, follow=True)

    def test_a_withdrawal_stops_billing_the_day_before(self, logged, landlord, alarm, households):
        """Withdrawn on 16 November, a 30 € subscription bills 1 to 15 November: 15 €."""
        subscription = SubscriptionFactory(service=alarm, household=households[0])
        ChargeRuleFactory(service=alarm, amount=Decimal("30.00"))
        response = self.end(logged, subscription, ended_on="2026-11-16")
        assert "résilié le 16/11/2026" in page_of(response)
        run, _ = services.run_month(organisation=landlord, month=Month(2026, 11))
        assert ChargeLine.objects.get(run=run).amount == Decimal("15.00")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"ended_on": "2026-01-09"}, "ne peut précéder le consentement, donné le 10/01/2026"),
            ({"ended_on": ""}, "Résilié le : Ce champ est obligatoire."),
            ({"ended_on": "demain"}, "Résilié le : Saisissez une date valide."),
        ],
    )
    def test_bad_input_is_named(self, logged, alarm, households, data, message):
        """A bad withdrawal day is named and the subscription stays as it was."""
        subscription = SubscriptionFactory(service=alarm, household=households[0])
        response = self.end(logged, subscription, **data)
        assert message in page_of(response)
        subscription.refresh_from_db()
        assert subscription.ended_on is None

    def test_a_withdrawn_subscription_cannot_be_withdrawn_again(self, logged, alarm, households):
        """A subscription already ended keeps its day; the message says which."""
        subscription = SubscriptionFactory(service=alarm, household=households[0], ended_on=dt.date(2026, 6, 1))
        response = self.end(logged, subscription, ended_on="2026-11-16")
        assert "déjà résilié, le 01/06/2026" in page_of(response)
        subscription.refresh_from_db()
        assert subscription.ended_on == dt.date(2026, 6, 1)

    def test_back_to_the_household_page(self, logged, alarm, households):
        """A withdrawal asked from the household's page returns there."""
        subscription = SubscriptionFactory(service=alarm, household=households[0])
        response = logged.post(
            reverse("billing:subscription_end", args=[subscription.pk]), {"ended_on": "2026-11-16", "retour": "menage"}
        )
        assert response.url == reverse("billing:household", args=[households[0].pk])


class TestHouseholdPage:
    def test_the_page_shows_exit_and_subscriptions_and_is_audited(self, logged, staff, alarm, households):
        """The household's billing shows its exit and its subscriptions; the read is logged."""
        household = households[0]
        HouseholdExitFactory(household=household, left_on=dt.date(2026, 11, 20))
        SubscriptionFactory(service=alarm, household=household, consent_channel="phone")
        page = page_of(logged.get(reverse("billing:household", args=[household.pk])))
        assert "20/11/2026 (dernier jour d'occupation)" in page
        assert "Téléassistance" in page and "téléphone" in page
        assert AuditEvent.objects.filter(action=AuditAction.READ, target_id=str(household.pk), actor=staff).exists()

    def test_an_exit_is_billed_pro_rata(self, logged, landlord, households):
        """An exit recorded on 20 November bills 20 days of 30 of the month."""
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("30.00"))
        household = households[0]
        response = logged.post(reverse("billing:exit_record", args=[household.pk]), {"left_on": "2026-11-20"})
        assert response.url == reverse("billing:household", args=[household.pk])
        run, _ = services.run_month(organisation=landlord, month=Month(2026, 11))
        assert ChargeLine.objects.get(run=run, household=household).amount == Decimal("20.00")

    def test_an_exit_can_be_moved_then_cleared(self, logged, households):
        """A new date replaces the exit; an empty date clears one recorded by mistake."""
        household = households[0]
        HouseholdExitFactory(household=household, left_on=dt.date(2026, 11, 20))
        logged.post(reverse("billing:exit_record", args=[household.pk]), {"left_on": "2026-12-31"})
        assert HouseholdExit.objects.get().left_on == dt.date(2026, 12, 31)
        response = logged.post(reverse("billing:exit_record", args=[household.pk]), {"left_on": ""}, follow=True)
        assert "Date de sortie effacée" in page_of(response)
        assert not HouseholdExit.objects.exists()

    @pytest.mark.parametrize(
        ("left_on", "message"),
        [
            ("2026-11-09", "ne peut précéder la date d&#x27;entrée, le 10/11/2026"),
            ("", "indiquez le dernier jour d&#x27;occupation"),
            ("31/02/2026", "Date de sortie : Saisissez une date valide."),
        ],
    )
    def test_bad_exit_is_named(self, logged, households, left_on, message):
        """A bad exit day is named and nothing is recorded."""
        household = households[1]  # entered on 10 November 2026
        response = logged.post(reverse("billing:exit_record", args=[household.pk]), {"left_on": left_on}, follow=True)
        assert message in page_of(response)
        assert not HouseholdExit.objects.exists()

    def test_subscribe_from_the_household(self, logged, alarm, households):
        """A consent to one of the organisation's subscriptions is recorded from the household's page."""
        household = households[0]
        response = logged.post(
            reverse("billing:household_subscribe", args=[household.pk]),
            {"service": alarm.pk, "consent_given_on": "2026-11-03", "consent_channel": "in_person"},
            follow=True,
        )
        assert "Consentement à « Téléassistance » enregistré." in page_of(response)
        assert Subscription.objects.get().household == household

    def test_another_landlords_subscription_cannot_be_chosen(self, logged, households, other_landlord):
        """Only the organisation's own subscriptions are offered; another's is refused by name of field."""
        foreign = BilledServiceFactory(organisation=other_landlord, subscription=True)
        response = logged.post(
            reverse("billing:household_subscribe", args=[households[0].pk]),
            {"service": foreign.pk, "consent_given_on": "2026-11-03", "consent_channel": "paper"},
            follow=True,
        )
        assert "Abonnement : Sélectionnez un choix valide" in page_of(response)
        assert not Subscription.objects.exists()

    def test_the_household_record_links_to_its_billing(self, client, landlord, households):
        """The household's record links to its billing for the proximity team, not for a field agent."""
        household = households[0]
        url = reverse("households:detail", args=[household.pk])
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        assert reverse("billing:household", args=[household.pk]) in page_of(client.get(url))
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        household.dwelling.building.site.agents.add(agent)
        client.force_login(agent)
        assert reverse("billing:household", args=[household.pk]) not in page_of(client.get(url))


class TestAgreementUpdate:
    def data(self, agreement, covered, **changes):
        data = {
            "reference": agreement.reference,
            "title": agreement.title,
            "signed_on": "2026-03-01",
            "valid_from": "2026-04-01",
            "valid_until": "",
            "sites": [site.pk for site in covered],
        }
        return {**data, **changes}

    def test_reference_validity_and_scope_change_together(self, logged, landlord, sites):
        """The reference, dates and sites are saved at once."""
        agreement = CollectiveAgreementFactory(organisation=landlord, sites=[sites[0]])
        data = self.data(agreement, sites, reference="ACL-2027", valid_until="2027-03-31")
        response = logged.post(reverse("billing:agreement_update", args=[agreement.pk]), data)
        assert response.url == reverse("billing:service_list")
        agreement.refresh_from_db()
        assert (agreement.reference, agreement.valid_until) == ("ACL-2027", dt.date(2027, 3, 31))
        assert set(agreement.sites.all()) == set(sites)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"reference": "ACL-TAKEN"}, "Un accord porte déjà cette référence."),
            ({"valid_until": "2026-03-31"}, "La fin de l&#x27;accord doit suivre son entrée en vigueur."),
            ({"sites": []}, "Ce champ est obligatoire."),
            ({"signed_on": "2099-01-01"}, "Un accord ne peut être signé un jour à venir."),
            ({"valid_from": "01/04/2026x"}, "Saisissez une date valide."),
        ],
    )
    def test_bad_input_changes_nothing(self, logged, landlord, sites, changes, message):
        """A mistake is named at its field and neither the agreement nor its sites change."""
        CollectiveAgreementFactory(organisation=landlord, reference="ACL-TAKEN")
        agreement = CollectiveAgreementFactory(organisation=landlord, sites=[sites[0]], title="Wi-Fi")
        data = self.data(agreement, sites, title="Changé", **changes)
        response = logged.post(reverse("billing:agreement_update", args=[agreement.pk]), data)
        assert response.status_code == 200 and message in page_of(response)
        agreement.refresh_from_db()
        assert agreement.title == "Wi-Fi" and list(agreement.sites.all()) == [sites[0]]

    def test_ending_warns_about_its_services(self, logged, landlord, sites):
        """Ending an agreement its services rest on warns, naming each service and the rule."""
        service = BilledServiceFactory(organisation=landlord, with_agreement=True, name="Wi-Fi")
        agreement = service.agreement
        agreement.sites.set(sites)
        data = self.data(agreement, sites, valid_until="2026-06-30")
        response = logged.post(reverse("billing:agreement_update", args=[agreement.pk]), data, follow=True)
        page = page_of(response)
        assert "« Wi-Fi » : L&#x27;accord collectif doit être en vigueur" in page and "86-1290" in page
        assert CollectiveAgreement.objects.get().valid_until == dt.date(2026, 6, 30)

    def test_the_page_names_its_services(self, logged, landlord):
        """The agreement's page lists the services billed on it."""
        service = BilledServiceFactory(organisation=landlord, with_agreement=True, name="Wi-Fi collectif")
        page = page_of(logged.get(reverse("billing:agreement_update", args=[service.agreement.pk])))
        assert "Wi-Fi collectif" in page and 'value="2026-04-01"' in page

    def test_a_site_of_another_landlord_is_refused(self, logged, landlord, sites, other_landlord):
        """A site of another landlord is no choice."""
        agreement = CollectiveAgreementFactory(organisation=landlord, sites=[sites[0]])
        foreign = SiteFactory(organisation=other_landlord)
        response = logged.post(
            reverse("billing:agreement_update", args=[agreement.pk]), self.data(agreement, [foreign])
        )
        assert "Sélectionnez un choix valide" in page_of(response)
        assert list(agreement.sites.all()) == [sites[0]]
