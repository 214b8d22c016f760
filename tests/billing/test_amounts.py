"""Monthly amounts and the annual statement, without a database: pro rata checked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from proxima.billing.amounts import (
    Basis,
    ChargeRule,
    Month,
    Occupancy,
    StatementEntry,
    annual_statement,
    compute_month,
    prorate,
)
from proxima.billing.rules import Agreement, ConsentRecord, Mode, ServiceBilling, load_charge_list

CHARGES = load_charge_list()
NOVEMBER = Month(2026, 11)  # 30 days
TEOM = ServiceBilling(Mode.RECOVERABLE_CHARGE, cost_code="VIII-teom")


def rule(amount="30.00", *, billing=TEOM, basis=Basis.PER_HOUSEHOLD, rule_id=1, service_id=1, **kwargs):
    kwargs.setdefault("valid_from", dt.date(2020, 1, 1))
    return ChargeRule(rule_id, service_id, billing, Decimal(amount), basis, **kwargs)


def bill(month, occupancies, rules, subscribers=None):
    return compute_month(month, occupancies, rules, subscribers=subscribers or {}, charge_list=CHARGES)


def one_line(month, start, end, amount):
    result = bill(month, [Occupancy(1, 1, 10, start, end)], [rule(amount)])
    assert len(result.lines) == 1
    return result.lines[0]


class TestProrate:
    @pytest.mark.parametrize(
        ("amount", "days", "days_in_month", "expected"),
        [
            ("30.00", 30, 30, "30.00"),  # full month: exactly the monthly amount
            ("12.50", 21, 30, "8.75"),  # 12.50 × 21 / 30
            ("10.00", 1, 31, "0.32"),  # 0.3225… rounds down
            ("0.05", 15, 30, "0.03"),  # 0.025: half up, not half even
            ("10.00", 0, 30, "0.00"),
        ],
    )
    def test_amounts_checked_by_hand(self, amount, days, days_in_month, expected):
        """Monthly amount × days / days in the month, to the cent, half up."""
        assert prorate(Decimal(amount), days, days_in_month) == Decimal(expected)

    @pytest.mark.parametrize("days", [-1, 31])
    def test_days_outside_the_month_are_refused(self, days):
        """More days than the month has is a programming error."""
        with pytest.raises(ValueError, match="days_in_month"):
            prorate(Decimal("10"), days, 30)


class TestMonth:
    def test_parse(self):
        """``2026-11`` is November 2026, of 30 days."""
        month = Month.parse("2026-11")
        assert (month.year, month.month, month.days, str(month)) == (2026, 11, 30, "2026-11")

    @pytest.mark.parametrize("text", ["2026-13", "novembre", "2026/11", ""])
    def test_bad_months_are_refused(self, text):
        """Anything but YYYY-MM with a real month is refused."""
        with pytest.raises(ValueError):
            Month.parse(text)


class TestProRata:
    def test_entry_on_the_10th_of_a_30_day_month(self):
        """Entry on 10 November: 21 days of 30, 12.50 € → 8.75 €."""
        line = one_line(NOVEMBER, dt.date(2026, 11, 10), None, "12.50")
        assert (line.start, line.end, line.days, line.days_in_month) == (
            dt.date(2026, 11, 10),
            dt.date(2026, 11, 30),
            21,
            30,
        )
        assert line.amount == Decimal("8.75")

    def test_exit_on_the_last_day_is_a_full_month(self):
        """Exit on 30 November: the whole month, exactly the monthly amount."""
        line = one_line(NOVEMBER, dt.date(2019, 5, 1), dt.date(2026, 11, 30), "12.50")
        assert line.days == 30
        assert line.amount == Decimal("12.50")

    def test_february(self):
        """Entry on 15 February 2026: 14 days of 28, 10.00 € → 5.00 €."""
        line = one_line(Month(2026, 2), dt.date(2026, 2, 15), None, "10.00")
        assert (line.days, line.days_in_month, line.amount) == (14, 28, Decimal("5.00"))

    def test_february_of_a_leap_year(self):
        """Entry on 15 February 2028: 15 days of 29, 10.00 € → 5.17 € (5.1724…)."""
        line = one_line(Month(2028, 2), dt.date(2028, 2, 15), None, "10.00")
        assert (line.days, line.days_in_month, line.amount) == (15, 29, Decimal("5.17"))

    def test_entry_and_exit_in_the_same_month(self):
        """Entry on 5 and exit on 20 November: 16 days of 30, 12.00 € → 6.40 €."""
        line = one_line(NOVEMBER, dt.date(2026, 11, 5), dt.date(2026, 11, 20), "12.00")
        assert (line.days, line.amount) == (16, Decimal("6.40"))

    def test_a_31_day_month_exit_mid_month(self):
        """Exit on 10 December: 10 days of 31, 15.50 € → 5.00 €."""
        line = one_line(Month(2026, 12), dt.date(2020, 1, 1), dt.date(2026, 12, 10), "15.50")
        assert (line.days, line.days_in_month, line.amount) == (10, 31, Decimal("5.00"))

    @pytest.mark.parametrize(
        ("start", "end"),
        [(dt.date(2026, 12, 1), None), (dt.date(2020, 1, 1), dt.date(2026, 10, 31))],
    )
    def test_leases_outside_the_month_bill_nothing(self, start, end):
        """A household entering after the month, or gone before it, gets no line."""
        assert bill(NOVEMBER, [Occupancy(1, 1, 10, start, end)], [rule()]).lines == ()


class TestRules:
    def test_a_rule_starting_mid_month_bills_from_its_start(self):
        """A rule valid from 16 November bills 15 days of 30."""
        result = bill(NOVEMBER, [Occupancy(1, 1, 10, dt.date(2020, 1, 1))], [rule(valid_from=dt.date(2026, 11, 16))])
        assert (result.lines[0].days, result.lines[0].amount) == (15, Decimal("15.00"))

    def test_a_rule_outside_its_validity_bills_nothing(self):
        """A rule that ended in October bills nothing in November."""
        ended = rule(valid_until=dt.date(2026, 10, 31))
        assert bill(NOVEMBER, [Occupancy(1, 1, 10, dt.date(2020, 1, 1))], [ended]).lines == ()

    def test_a_rule_on_some_sites_bills_only_their_households(self):
        """A rule for site 10 bills the household of site 10, not the one of site 11."""
        occupancies = [Occupancy(1, 1, 10, dt.date(2020, 1, 1)), Occupancy(2, 2, 11, dt.date(2020, 1, 1))]
        result = bill(NOVEMBER, occupancies, [rule(site_ids=frozenset({10}))])
        assert [line.household_id for line in result.lines] == [1]

    def test_per_dwelling_a_shared_day_goes_to_the_household_leaving(self):
        """Exit and entry on 15 November: 15 days to the leaver, 15 to the newcomer, 30.00 € in all."""
        occupancies = [
            Occupancy(1, 1, 10, dt.date(2020, 1, 1), dt.date(2026, 11, 15)),
            Occupancy(2, 1, 10, dt.date(2026, 11, 15)),
        ]
        result = bill(NOVEMBER, occupancies, [rule(basis=Basis.PER_DWELLING)])
        assert [(line.household_id, line.days, line.amount) for line in result.lines] == [
            (1, 15, Decimal("15.00")),
            (2, 15, Decimal("15.00")),
        ]
        assert result.total == Decimal("30.00")

    def test_per_household_each_household_pays_its_own_days(self):
        """Per household, the shared day is billed to both: 15 and 16 days."""
        occupancies = [
            Occupancy(1, 1, 10, dt.date(2020, 1, 1), dt.date(2026, 11, 15)),
            Occupancy(2, 1, 10, dt.date(2026, 11, 15)),
        ]
        result = bill(NOVEMBER, occupancies, [rule()])
        assert [(line.household_id, line.days) for line in result.lines] == [(1, 15), (2, 16)]

    def test_per_dwelling_a_stay_inside_the_previous_one_bills_nothing(self):
        """A lease entirely within days already billed to another household on the dwelling adds nothing."""
        occupancies = [
            Occupancy(1, 1, 10, dt.date(2020, 1, 1), dt.date(2026, 11, 20)),
            Occupancy(2, 1, 10, dt.date(2026, 11, 10), dt.date(2026, 11, 12)),
        ]
        result = bill(NOVEMBER, occupancies, [rule(basis=Basis.PER_DWELLING)])
        assert [line.household_id for line in result.lines] == [1]

    def test_subscriptions_bill_only_consenting_subscribers(self):
        """Only households with a consent to the service are billed, for the days it runs."""
        service = ServiceBilling(Mode.SUBSCRIPTION)
        occupancies = [Occupancy(1, 1, 10, dt.date(2020, 1, 1)), Occupancy(2, 2, 10, dt.date(2020, 1, 1))]
        subscribers = {7: {1: ConsentRecord(dt.date(2026, 11, 21), "paper")}}
        result = bill(NOVEMBER, occupancies, [rule("9.00", billing=service, service_id=7)], subscribers)
        assert [(line.household_id, line.days, line.amount) for line in result.lines] == [(1, 10, Decimal("3.00"))]
        assert result.refusals == ()

    def test_a_withdrawn_subscription_is_refused_with_its_rule(self):
        """A subscriber whose consent was withdrawn before the month is refused, not billed."""
        service = ServiceBilling(Mode.SUBSCRIPTION)
        subscribers = {7: {1: ConsentRecord(dt.date(2025, 1, 1), "paper", withdrawn_on=dt.date(2026, 10, 1))}}
        result = bill(
            NOVEMBER, [Occupancy(1, 1, 10, dt.date(2020, 1, 1))], [rule(billing=service, service_id=7)], subscribers
        )
        assert result.lines == ()
        assert [(r.household_id, r.refusal.rule) for r in result.refusals] == [(1, "subscription_consent")]

    def test_an_agreement_rule_on_an_uncovered_site_is_refused(self):
        """A rule naming a site the agreement does not cover refuses that site's households."""
        agreement = Agreement(1, "ACL", dt.date(2026, 1, 1), dt.date(2026, 1, 1), None, frozenset({10}))
        billing = ServiceBilling(Mode.COLLECTIVE_AGREEMENT, agreement=agreement)
        occupancies = [Occupancy(1, 1, 10, dt.date(2020, 1, 1)), Occupancy(2, 2, 11, dt.date(2020, 1, 1))]
        result = bill(NOVEMBER, occupancies, [rule("5.00", billing=billing)])
        assert [line.household_id for line in result.lines] == [1]
        assert [(r.household_id, r.refusal.rule) for r in result.refusals] == [(2, "agreement_covers_site")]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"amount": "-1"}, "amount >= 0"),
            ({"valid_until": dt.date(2019, 1, 1)}, "valid_until >= valid_from"),
        ],
    )
    def test_invalid_rules_are_refused(self, kwargs, message):
        """A negative amount or an inverted validity is a programming error."""
        amount = kwargs.pop("amount", "1")
        with pytest.raises(ValueError, match=message):
            rule(amount, **kwargs)


class TestAnnualStatement:
    def test_breakdown_by_heading_and_cost(self):
        """Charges of the year are added up under their heading, in the annex's order."""
        entries = [
            StatementEntry(Month(2026, 1), "VIII-teom", Decimal("10.00")),
            StatementEntry(Month(2026, 2), "VIII-teom", Decimal("10.00")),
            StatementEntry(Month(2026, 2), "I-1", Decimal("4.50")),
            StatementEntry(Month(2026, 2), "VIII-balayage", Decimal("1.25")),
            StatementEntry(Month(2025, 12), "I-1", Decimal("99.00")),  # other year: left out
        ]
        statement = annual_statement(2026, entries, charge_list=CHARGES)
        assert [(h.heading, h.amount) for h in statement.headings] == [
            ("I", Decimal("4.50")),
            ("VIII", Decimal("21.25")),
        ]
        assert [code for code, _, _ in statement.headings[1].by_cost] == ["VIII-balayage", "VIII-teom"]
        assert statement.total == Decimal("25.75")
        assert statement.months == ((Month(2026, 1), Decimal("10.00")), (Month(2026, 2), Decimal("15.75")))

    def test_a_code_no_longer_on_the_list_is_kept(self):
        """A charge billed under a code since removed is shown apart, not dropped."""
        statement = annual_statement(
            2026, [StatementEntry(Month(2026, 3), "ancien", Decimal("2"))], charge_list=CHARGES
        )
        assert [(h.heading, h.label, h.amount) for h in statement.headings] == [
            ("?", "Poste hors liste", Decimal("2"))
        ]
