"""Saving services' billing and running a month: the rules applied, all-or-nothing, safe to repeat."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.enums import BillingMode, ChargeBasis, RunStatus
from proxima.billing.models import BilledService, BillingRun, ChargeLine
from tests.billing.factories import (
    BilledServiceFactory,
    ChargeRuleFactory,
    CollectiveAgreementFactory,
    HouseholdExitFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db
NOVEMBER = Month(2026, 11)
TODAY = dt.date(2026, 11, 30)


def lines_by_reference(run):
    return {
        (line.household.reference, line.charge_code): line
        for line in ChargeLine.objects.filter(run=run).select_related("household")
    }


class TestSaveService:
    def test_a_cost_off_the_list_is_not_saved(self, landlord):
        """A recoverable charge whose cost is not on the list is refused with its rule and reference."""
        service = BilledService(
            organisation=landlord, name="Wi-Fi", mode=BillingMode.RECOVERABLE_CHARGE, cost_code="wifi"
        )
        with pytest.raises(ValidationError) as error:
            services.save_service(service=service, today=TODAY)
        assert "liste légale" in error.value.messages[0] and "82-955" in error.value.messages[0]
        assert not BilledService.objects.exists()

    def test_a_cost_on_the_list_is_saved(self, landlord):
        """Household waste tax (annex VIII) is saved as a recoverable charge."""
        service = BilledService(
            organisation=landlord,
            name="TEOM",
            mode=BillingMode.RECOVERABLE_CHARGE,
            cost_code="VIII-teom",
            cost_type="tax",
        )
        check = services.save_service(service=service, today=TODAY)
        assert check.ok and service.pk

    def test_an_ended_agreement_is_not_saved(self, landlord, sites):
        """A service cannot be put under an agreement that has ended."""
        agreement = CollectiveAgreementFactory(organisation=landlord, valid_until=dt.date(2026, 6, 30), sites=sites)
        service = BilledService(
            organisation=landlord, name="Wi-Fi", mode=BillingMode.COLLECTIVE_AGREEMENT, agreement=agreement
        )
        with pytest.raises(ValidationError, match="a pris fin le 30/06/2026"):
            services.save_service(service=service, today=TODAY)


class TestRunMonth:
    def test_amounts_with_pro_rata_and_every_mode(self, landlord, sites, households, staff):
        """Recoverable charge, agreement and subscription each bill the right households, pro rata."""
        a1, a2, b1 = households
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("12.50"))
        wifi = BilledServiceFactory(organisation=landlord, with_agreement=True, name="Wi-Fi")
        wifi.agreement.sites.set([sites[0]])
        ChargeRuleFactory(service=wifi, amount=Decimal("9.00"))
        teleassistance = SubscriptionFactory(household=b1, consent_given_on=dt.date(2026, 11, 16)).service
        ChargeRuleFactory(service=teleassistance, amount=Decimal("15.00"))

        run, timings = services.run_month(organisation=landlord, month=NOVEMBER, by=staff)

        lines = lines_by_reference(run)
        assert {key: line.amount for key, line in lines.items()} == {
            ("BAIL-A1", "TEOM"): Decimal("12.50"),
            ("BAIL-A2", "TEOM"): Decimal("8.75"),  # 21 days of 30
            ("BAIL-B1", "TEOM"): Decimal("12.50"),
            ("BAIL-A1", "WIFI"): Decimal("9.00"),
            ("BAIL-A2", "WIFI"): Decimal("6.30"),  # 21 days of 30
            ("BAIL-B1", "TELEASS"): Decimal("7.50"),  # consent from 16 November: 15 days of 30
        }
        assert lines[("BAIL-A2", "TEOM")].days == 21
        assert lines[("BAIL-A1", "TEOM")].cost_code == "VIII-teom"
        assert run.status == RunStatus.DONE and run.lines_count == 6 and run.total == Decimal("56.55")
        assert run.households_total == 3 and run.refusals["total"] == 0
        assert timings.compute >= 0 and timings.write >= 0

    def test_an_exit_is_billed_pro_rata(self, landlord, households):
        """A household leaving on 20 November pays 20 days of 30."""
        HouseholdExitFactory(household=households[0], left_on=dt.date(2026, 11, 20))
        HouseholdExitFactory(household=households[2], left_on=dt.date(2026, 10, 31))
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("30.00"))
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        amounts = {key[0]: line.amount for key, line in lines_by_reference(run).items()}
        assert amounts == {"BAIL-A1": Decimal("20.00"), "BAIL-A2": Decimal("21.00")}

    def test_refusals_are_counted_with_their_rule(self, landlord, sites, households):
        """A rule naming a site outside the agreement refuses that site's household, and says why."""
        wifi = BilledServiceFactory(organisation=landlord, with_agreement=True)
        wifi.agreement.sites.set([sites[0]])
        ChargeRuleFactory(service=wifi, sites=list(sites))
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        assert run.lines_count == 2
        assert run.refusals["total"] == 1
        assert run.refusals["by_rule"][0]["rule"] == "agreement_covers_site"
        assert "86-1290" in run.refusals["by_rule"][0]["reference"]
        assert run.refusals["first"][0]["household"] == "BAIL-B1"

    def test_re_running_replaces_the_lines(self, landlord, households):
        """Running the month again replaces its lines, never adds to them."""
        rule = ChargeRuleFactory(service__organisation=landlord, amount=Decimal("10.00"))
        services.run_month(organisation=landlord, month=NOVEMBER)
        rule.amount = Decimal("20.00")
        rule.save()
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        assert BillingRun.objects.count() == 1
        assert ChargeLine.objects.count() == 3
        assert run.total == Decimal("54.00")  # 20 + 20 + 14 (21 days of 30 of 20 €)
        assert sorted(ChargeLine.objects.values_list("amount", flat=True)) == [
            Decimal("14.00"),
            Decimal("20.00"),
            Decimal("20.00"),
        ]

    def test_a_closed_month_is_refused(self, landlord, households, staff):
        """Once closed, a month cannot be billed again and its lines stay as they were."""
        ChargeRuleFactory(service__organisation=landlord)
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        services.close_run(run=run, by=staff)
        with pytest.raises(ValidationError, match="clôturé"):
            services.run_month(organisation=landlord, month=NOVEMBER)
        assert ChargeLine.objects.count() == 3

    def test_only_a_computed_month_can_be_closed(self, landlord, staff):
        """A queued run cannot be closed."""
        run = services.prepare_run(organisation=landlord, month=NOVEMBER)
        with pytest.raises(ValidationError, match="calculée"):
            services.close_run(run=run, by=staff)

    def test_a_failure_changes_no_line(self, landlord, households, monkeypatch):
        """If writing fails, the previous lines stay and the run says it failed."""
        ChargeRuleFactory(service__organisation=landlord)
        services.run_month(organisation=landlord, month=NOVEMBER)

        def broken(*args, **kwargs):
            raise RuntimeError("disque plein")

        monkeypatch.setattr(services, "write_charge_lines", broken)
        with pytest.raises(RuntimeError):
            services.run_month(organisation=landlord, month=NOVEMBER)
        run = BillingRun.objects.get()
        assert run.status == RunStatus.FAILED and "disque plein" in run.error
        assert ChargeLine.objects.count() == 3

    def test_a_row_refused_by_the_database_writes_no_line(self, landlord, households, monkeypatch):
        """A line the database refuses halfway through the write (COPY or executemany) leaves the month as it was."""
        ChargeRuleFactory(service__organisation=landlord)
        services.run_month(organisation=landlord, month=NOVEMBER)
        rows = services.charge_line_rows

        def with_a_bad_row(*args):
            good = rows(*args)
            return [*good, (*good[0][:6], -1, *good[0][7:])]  # days < 0: chargeline_days_check

        monkeypatch.setattr(services, "charge_line_rows", with_a_bad_row)
        with pytest.raises(IntegrityError):
            services.run_month(organisation=landlord, month=NOVEMBER)
        assert BillingRun.objects.get().status == RunStatus.FAILED
        assert ChargeLine.objects.count() == 3

    def test_per_dwelling_bills_a_dwelling_once(self, landlord, households):
        """Per dwelling, a leaver and a newcomer on the same day share the month's amount."""
        from tests.households.factories import HouseholdFactory

        leaver = households[0]
        HouseholdExitFactory(household=leaver, left_on=dt.date(2026, 11, 15))
        HouseholdFactory(dwelling=leaver.dwelling, reference="BAIL-A3", move_in_date=dt.date(2026, 11, 15))
        ChargeRuleFactory(service__organisation=landlord, basis=ChargeBasis.PER_DWELLING, amount=Decimal("30.00"))
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        amounts = {key[0]: line.amount for key, line in lines_by_reference(run).items()}
        assert amounts["BAIL-A1"] + amounts["BAIL-A3"] == Decimal("30.00")


class TestSubscriptions:
    def test_subscribe_records_the_consent(self, landlord, households, staff):
        """A subscription keeps the day and channel of the consent and who recorded it."""
        service = BilledServiceFactory(organisation=landlord, subscription=True)
        subscription = services.subscribe(
            service=service, household=households[0], given_on=dt.date(2026, 11, 2), channel="paper", by=staff
        )
        assert (subscription.consent_given_on, subscription.consent_channel, subscription.recorded_by) == (
            dt.date(2026, 11, 2),
            "paper",
            staff,
        )
        with pytest.raises(ValidationError, match="déjà abonné"):
            services.subscribe(service=service, household=households[0], given_on=TODAY, channel="web", by=staff)

    def test_only_a_subscription_service_takes_consents(self, landlord, households, staff):
        """A recoverable charge needs no consent: recording one is refused."""
        service = BilledServiceFactory(organisation=landlord)
        with pytest.raises(ValidationError, match="pas un abonnement"):
            services.subscribe(service=service, household=households[0], given_on=TODAY, channel="web", by=staff)

    def test_ending_stops_billing(self, landlord, households):
        """Consent withdrawn on 16 November: billed 1 to 15 November."""
        subscription = SubscriptionFactory(household=households[0])
        ChargeRuleFactory(service=subscription.service, amount=Decimal("30.00"))
        services.end_subscription(subscription=subscription, on=dt.date(2026, 11, 16))
        run, _ = services.run_month(organisation=landlord, month=NOVEMBER)
        line = ChargeLine.objects.get(run=run)
        assert (line.days, line.amount) == (15, Decimal("15.00"))

    def test_an_exit_before_entry_is_refused(self, households):
        """A household cannot leave before it entered."""
        with pytest.raises(ValidationError, match="précéder la date d'entrée"):
            services.record_exit(household=households[1], left_on=dt.date(2026, 11, 1))


class TestCommand:
    def test_run_prints_the_month(self, landlord, households, capsys):
        """``proxima billing run`` bills the month and prints its figures."""
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("10.00"))
        call_command("billing", "run", "--organisation", "hlm-a", "--month", "2026-11")
        out = capsys.readouterr().out
        assert "hlm-a 2026-11 : 3 ménages, 3 lignes, 27.00 €" in out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--organisation", "hlm-a", "--month", "novembre"], "--month"),
            (["--organisation", "inconnu", "--month", "2026-11"], "aucun organisme"),
        ],
    )
    def test_bad_arguments_say_which(self, landlord, args, message):
        """A bad month or an unknown organisation is named in the error."""
        with pytest.raises(CommandError, match=message):
            call_command("billing", "run", *args)

    def test_a_closed_month_is_refused(self, landlord, households, staff):
        """The command refuses a closed month."""
        run = services.prepare_run(organisation=landlord, month=NOVEMBER)
        run.status = RunStatus.CLOSED
        run.save()
        with pytest.raises(CommandError, match="clôturé"):
            call_command("billing", "run", "--organisation", "hlm-a", "--month", "2026-11")
