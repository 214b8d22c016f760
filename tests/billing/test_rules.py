"""The legal framework's rules, without a database: every rule, every refusal, the shipped list."""

import datetime as dt
import json

import pytest

from proxima.billing.rules import (
    DEFAULT_CHARGE_LIST,
    RULES,
    TO_VERIFY,
    Agreement,
    ConsentRecord,
    Mode,
    Period,
    ServiceBilling,
    check_household_billing,
    check_service_billing,
    load_charge_list,
)

TODAY = dt.date(2026, 11, 30)
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
CHARGES = load_charge_list()
WIFI = Agreement(
    id=1,
    reference="ACL-2026-01",
    signed_on=dt.date(2026, 3, 1),
    valid_from=dt.date(2026, 4, 1),
    valid_until=dt.date(2029, 3, 31),
    site_ids=frozenset({10}),
)


def rules_of(check):
    return [refusal.rule for refusal in check.refusals]


class TestChargeList:
    def test_every_heading_of_the_annex_is_shipped(self):
        """The eight headings of the annex to décret n° 82-955 are in the list, in order."""
        assert list(CHARGES.headings) == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
        assert CHARGES.headings["I"] == "Ascenseurs et monte-charge"
        assert CHARGES.headings["VIII"] == "Impositions et redevances"

    def test_the_list_says_where_it_comes_from(self):
        """The list carries its Légifrance source and the date it was checked."""
        assert CHARGES.source_url.startswith("https://www.legifrance.gouv.fr/")
        assert CHARGES.checked_on == dt.date(2026, 11, 30)
        assert all(entry.reference.startswith("Décret n° 82-955") for entry in CHARGES.entries)

    def test_uncertain_entries_say_why(self):
        """Each entry marked to verify says what is uncertain."""
        uncertain = [entry for entry in CHARGES.entries if entry.to_verify]
        assert {entry.code for entry in uncertain} == {"gardien-75", "VII-3-telephone"}
        assert all(entry.note for entry in uncertain)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda d: d["entries"][0].update(heading="IX"), "Expected a heading"),
            (lambda d: d["entries"].append(dict(d["entries"][0])), "Expected unique entry codes"),
        ],
    )
    def test_a_malformed_list_is_refused(self, tmp_path, change, message):
        """An unknown heading or a duplicated code is refused when the list is loaded."""
        data = json.loads(DEFAULT_CHARGE_LIST.read_text(encoding="utf-8"))
        change(data)
        path = tmp_path / "list.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_charge_list(path)

    def test_every_rule_has_a_reference_and_a_source(self):
        """Each rule names its legal reference and a Légifrance address."""
        for rule in RULES.values():
            assert rule.reference
            assert rule.source_url.startswith("https://www.legifrance.gouv.fr/")


class TestServiceBilling:
    @pytest.mark.parametrize("mode", [Mode.FREE, Mode.PAID_TO_PARTNER])
    def test_unbilled_modes_are_always_allowed(self, mode):
        """A free service, or one paid to the partner, can always be set."""
        check = check_service_billing(ServiceBilling(mode), charge_list=CHARGES, today=TODAY)
        assert check.ok and not check.warnings

    def test_a_cost_on_the_list_is_a_recoverable_charge(self):
        """Common-area cleaning (annex IV, 3) may be billed as a recoverable charge."""
        check = check_service_billing(
            ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="IV-3"), charge_list=CHARGES, today=TODAY
        )
        assert check.ok and not check.warnings

    @pytest.mark.parametrize("code", ["wifi", ""])
    def test_a_cost_off_the_list_cannot_be_a_recoverable_charge(self, code):
        """A cost that is not on the list (or none) is refused, citing the decree and article L. 442-3."""
        check = check_service_billing(
            ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code=code), charge_list=CHARGES, today=TODAY
        )
        assert rules_of(check) == ["charge_on_list"]
        refusal = check.refusals[0]
        assert "liste légale" in refusal.message
        assert "L. 442-3" in refusal.reference and "82-955" in refusal.reference
        assert refusal.source_url == CHARGES.source_url

    def test_an_entry_to_verify_is_refused_until_confirmed(self):
        """The caretaker's 75 % is a configurable rule: refused until staff confirm they checked it."""
        billing = ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="gardien-75")
        check = check_service_billing(billing, charge_list=CHARGES, today=TODAY)
        assert rules_of(check) == ["charge_to_verify"]
        assert TO_VERIFY in check.refusals[0].message

    def test_a_confirmed_entry_to_verify_is_allowed_with_a_warning(self):
        """Once confirmed, the entry may be billed, and still says it is to verify."""
        billing = ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="gardien-75", to_verify_confirmed=True)
        check = check_service_billing(billing, charge_list=CHARGES, today=TODAY)
        assert check.ok
        assert [w.rule for w in check.warnings] == ["charge_to_verify"]
        assert TO_VERIFY in check.warnings[0].message

    def test_an_agreement_mode_needs_an_agreement(self):
        """A collective agreement mode without an agreement is refused, citing article 42 of loi n° 86-1290."""
        check = check_service_billing(ServiceBilling(Mode.COLLECTIVE_AGREEMENT), charge_list=CHARGES, today=TODAY)
        assert rules_of(check) == ["agreement_required"]
        assert "86-1290" in check.refusals[0].reference
        assert TO_VERIFY in check.refusals[0].message

    def test_an_ended_agreement_is_refused(self):
        """An agreement that ended before today cannot be chosen."""
        ended = Agreement(
            2, "ACL-2020", dt.date(2020, 1, 1), dt.date(2020, 1, 1), dt.date(2025, 12, 31), frozenset({10})
        )
        check = check_service_billing(
            ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=ended), charge_list=CHARGES, today=TODAY
        )
        assert rules_of(check) == ["agreement_in_force"]
        assert "31/12/2025" in check.refusals[0].message

    def test_an_agreement_without_sites_is_refused(self):
        """An agreement that covers no site can bill no one."""
        empty = Agreement(3, "ACL-vide", dt.date(2026, 1, 1), dt.date(2026, 1, 1), None, frozenset())
        check = check_service_billing(
            ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=empty), charge_list=CHARGES, today=TODAY
        )
        assert rules_of(check) == ["agreement_covers_site"]

    def test_a_valid_agreement_is_allowed_with_its_legal_basis_to_verify(self):
        """A valid agreement may be used; the warning recalls the article to verify."""
        check = check_service_billing(
            ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=WIFI), charge_list=CHARGES, today=TODAY
        )
        assert check.ok
        assert "ACL-2026-01" in check.warnings[0].message

    def test_a_subscription_recalls_the_consent_rule(self):
        """A subscription may be set; the warning says each household must consent."""
        check = check_service_billing(ServiceBilling(Mode.SUBSCRIPTION), charge_list=CHARGES, today=TODAY)
        assert check.ok
        assert [w.rule for w in check.warnings] == ["subscription_consent"]


class TestHouseholdBilling:
    def check(self, billing, *, period=NOVEMBER, site_id=10, consent=None):
        return check_household_billing(billing, period=period, site_id=site_id, consent=consent, charge_list=CHARGES)

    @pytest.mark.parametrize("mode", [Mode.FREE, Mode.PAID_TO_PARTNER])
    def test_unbilled_modes_bill_no_household(self, mode):
        """A household is never billed by the landlord for a free service or one paid to the partner."""
        assert rules_of(self.check(ServiceBilling(mode))) == ["not_billed_by_landlord"]

    def test_a_recoverable_charge_bills_the_whole_period(self):
        """A charge on the list bills every day the household occupied its dwelling."""
        check = self.check(ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="VIII-teom"))
        assert check.ok and check.billed == NOVEMBER

    def test_a_charge_no_longer_on_the_list_is_refused(self):
        """A service whose cost left the list bills no household."""
        check = self.check(ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="retiré"))
        assert rules_of(check) == ["charge_on_list"]

    def test_an_unconfirmed_entry_to_verify_bills_no_household(self):
        """A to-verify entry not confirmed on the service is refused for the household too."""
        check = self.check(ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="VII-3-telephone"))
        assert rules_of(check) == ["charge_to_verify"]

    def test_an_agreement_covering_the_site_bills_the_period(self):
        """A household of a covered site is billed for the whole month the agreement runs."""
        check = self.check(ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=WIFI))
        assert check.ok and check.billed == NOVEMBER

    def test_an_agreement_not_covering_the_site_is_refused(self):
        """A household of a site the agreement does not cover is refused, naming the agreement."""
        check = self.check(ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=WIFI), site_id=99)
        assert rules_of(check) == ["agreement_covers_site"]
        assert "ACL-2026-01" in check.refusals[0].message

    def test_an_agreement_not_in_force_on_the_period_is_refused(self):
        """An agreement starting after the period bills nothing for it."""
        check = self.check(
            ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=WIFI),
            period=Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        )
        assert rules_of(check) == ["agreement_in_force"]
        assert "01/04/2026" in check.refusals[0].message

    def test_an_agreement_starting_mid_month_bills_from_its_start(self):
        """An agreement in force from 1 April bills April fully but not March."""
        march_april = Period(dt.date(2026, 3, 15), dt.date(2026, 4, 30))
        check = self.check(ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=WIFI), period=march_april)
        assert check.billed == Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))

    def test_a_missing_agreement_is_refused(self):
        """An agreement mode without an agreement bills no household."""
        assert rules_of(self.check(ServiceBilling(Mode.COLLECTIVE_AGREEMENT))) == ["agreement_required"]

    def test_a_subscription_without_consent_is_refused(self):
        """No recorded consent, no subscription billed."""
        check = self.check(ServiceBilling(Mode.SUBSCRIPTION))
        assert rules_of(check) == ["subscription_consent"]
        assert "Aucun consentement" in check.refusals[0].message

    def test_a_consent_given_mid_month_bills_from_that_day(self):
        """Consent given on 10 November bills 10 to 30 November."""
        consent = ConsentRecord(given_on=dt.date(2026, 11, 10), channel="paper")
        check = self.check(ServiceBilling(Mode.SUBSCRIPTION), consent=consent)
        assert check.billed == Period(dt.date(2026, 11, 10), dt.date(2026, 11, 30))

    def test_a_withdrawn_consent_stops_billing_the_day_before(self):
        """Consent withdrawn on 16 November bills 1 to 15 November."""
        consent = ConsentRecord(dt.date(2026, 1, 5), "phone", withdrawn_on=dt.date(2026, 11, 16))
        check = self.check(ServiceBilling(Mode.SUBSCRIPTION), consent=consent)
        assert check.billed == Period(dt.date(2026, 11, 1), dt.date(2026, 11, 15))

    @pytest.mark.parametrize(
        "consent",
        [
            ConsentRecord(dt.date(2026, 12, 1), "web"),
            ConsentRecord(dt.date(2026, 1, 5), "phone", withdrawn_on=dt.date(2026, 11, 1)),
        ],
    )
    def test_a_consent_not_valid_on_the_period_is_refused(self, consent):
        """A consent given after the month, or withdrawn on its first day, bills nothing and says why."""
        check = self.check(ServiceBilling(Mode.SUBSCRIPTION), consent=consent)
        assert rules_of(check) == ["subscription_consent"]
        assert "pas valable du 01/11/2026 au 30/11/2026" in check.refusals[0].message


class TestPeriod:
    def test_an_inverted_period_is_refused(self):
        """A period ending before it starts is a programming error."""
        with pytest.raises(ValueError, match="end >= start"):
            Period(dt.date(2026, 11, 2), dt.date(2026, 11, 1))
