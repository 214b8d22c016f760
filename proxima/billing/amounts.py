"""Monthly amounts billed to each household, and the annual statement of recoverable charges.

Pure module: nothing imported from Django, frozen dataclasses in and out.

Pro rata temporis convention
----------------------------
A household that enters or leaves its dwelling during the month pays for the days it occupied it:

    amount = monthly amount × days billed / days in the month

rounded to the cent, half up (``Decimal``, ``ROUND_HALF_UP``), once per line. The day of entry and
the day of exit both count as occupied. A full month is billed exactly the monthly amount, whatever
the month's length (28, 29, 30 or 31 days). Days billed are the days occupied that the rule allows:
an agreement's validity, a subscription's consent (``rules.check_household_billing``).

A rule "per dwelling" bills the dwelling's monthly amount once, shared between the households that
occupied it by days; a day claimed by two households (exit and entry on the same day) is billed to
the one leaving. A rule "per household" bills every household for its own days.
"""

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property

from proxima.billing.rules import (
    ChargeList,
    ConsentRecord,
    Mode,
    Period,
    Refusal,
    ServiceBilling,
    check_household_billing,
)

CENT = Decimal("0.01")


class Basis(StrEnum):
    """What a charge rule's monthly amount is set for (codes shared with ``billing.enums.ChargeBasis``)."""

    PER_HOUSEHOLD = "per_household"
    PER_DWELLING = "per_dwelling"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __post_init__(self):
        if not 1 <= self.month <= 12:
            raise ValueError("Expected 1 <= month <= 12.")

    @classmethod
    def parse(cls, text: str) -> "Month":
        """Read ``YYYY-MM``; anything else raises ``ValueError``."""
        try:
            year, month = (int(part) for part in text.strip().split("-"))
        except ValueError:
            raise ValueError(f"Expected a month as YYYY-MM, got {text!r}.") from None
        return cls(year, month)

    @cached_property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @cached_property
    def period(self) -> Period:
        return Period(dt.date(self.year, self.month, 1), dt.date(self.year, self.month, self.days))

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"


def prorate(monthly_amount: Decimal, days: int, days_in_month: int) -> Decimal:
    """``monthly_amount × days / days_in_month``, rounded to the cent half up."""
    if not 0 <= days <= days_in_month:
        raise ValueError("Expected 0 <= days <= days_in_month.")
    return (Decimal(monthly_amount) * days / days_in_month).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Occupancy:
    """A household's lease on a dwelling: from its entry to its exit (None while it stays)."""

    household_id: int
    dwelling_id: int
    site_id: int
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True)
class ChargeRule:
    """A monthly amount billed for a service over a validity period, on some sites (None: every site)."""

    id: int
    service_id: int
    billing: ServiceBilling
    amount: Decimal
    basis: Basis
    valid_from: dt.date
    valid_until: dt.date | None = None
    site_ids: frozenset[int] | None = None

    def __post_init__(self):
        if self.amount < 0:
            raise ValueError("Expected amount >= 0.")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("Expected valid_until >= valid_from.")


@dataclass(frozen=True)
class ChargeLine:
    """What one household owes under one rule for one month."""

    household_id: int
    rule_id: int
    service_id: int
    mode: Mode
    start: dt.date
    end: dt.date
    days: int
    days_in_month: int
    amount: Decimal


@dataclass(frozen=True)
class HouseholdRefusal:
    household_id: int
    rule_id: int
    refusal: Refusal


@dataclass(frozen=True)
class MonthBilling:
    month: Month
    lines: tuple[ChargeLine, ...]
    refusals: tuple[HouseholdRefusal, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _dwelling_shares(month: Month, occupancies: list[Occupancy]) -> dict[int, Period]:
    """Each household's days of a dwelling, a shared day going to the household leaving."""
    shares: dict[int, Period] = {}
    last_billed: dt.date | None = None
    for occupancy in sorted(occupancies, key=lambda o: (o.start, o.household_id)):
        days = month.period.intersect(occupancy.start, occupancy.end)
        if days is None:
            continue
        if last_billed is not None and days.start <= last_billed:
            if days.end <= last_billed:
                continue
            days = Period(last_billed + dt.timedelta(days=1), days.end)
        shares[occupancy.household_id] = days
        last_billed = days.end
    return shares


def compute_month(
    month: Month,
    occupancies: Iterable[Occupancy],
    rules: Iterable[ChargeRule],
    *,
    subscribers: Mapping[int, Mapping[int, ConsentRecord]],
    charge_list: ChargeList,
) -> MonthBilling:
    """Bill every household for ``month``.

    Parameters
    ----------
    month
        The month billed.
    occupancies
        Every lease that may overlap the month (others are ignored).
    rules
        The charge rules; a rule outside its validity for the whole month bills nothing.
    subscribers
        For each subscription service id, the consent of each subscribed household (by household id).
    charge_list
        The legal list of recoverable charges.

    Returns
    -------
    MonthBilling
        One line per household and rule billed (in household then rule order) and, for each household the
        rules would bill but the framework refuses, the refusal.
    """
    period = month.period
    occupied: dict[int, Period] = {}
    present: list[Occupancy] = []
    by_dwelling: dict[int, list[Occupancy]] = defaultdict(list)
    for occupancy in occupancies:
        days = period.intersect(occupancy.start, occupancy.end)
        if days is not None:
            occupied[occupancy.household_id] = days
            present.append(occupancy)
            by_dwelling[occupancy.dwelling_id].append(occupancy)
    shared: dict[int, Period] = {}
    for dwelling_occupancies in by_dwelling.values():
        shared.update(_dwelling_shares(month, dwelling_occupancies))

    lines: list[ChargeLine] = []
    refusals: list[HouseholdRefusal] = []
    for rule in sorted(rules, key=lambda r: r.id):
        in_force = period.intersect(rule.valid_from, rule.valid_until)
        if in_force is None:
            continue
        consents = subscribers.get(rule.service_id, {})
        spans = shared if rule.basis == Basis.PER_DWELLING else occupied
        # Whether a cost is on the list does not depend on the household: checked once for the rule.
        rule_check = None
        if rule.billing.mode == Mode.RECOVERABLE_CHARGE:
            rule_check = check_household_billing(
                rule.billing, period=in_force, site_id=0, consent=None, charge_list=charge_list
            )
        for occupancy in present:
            household_id = occupancy.household_id
            if rule.site_ids is not None and occupancy.site_id not in rule.site_ids:
                continue
            if rule.billing.mode == Mode.SUBSCRIPTION and household_id not in consents:
                continue  # only subscribed households are billed for a subscription
            days = spans.get(household_id)
            days = days.intersect(in_force.start, in_force.end) if days is not None else None
            if days is None:
                continue
            if rule_check is not None:
                check, billed = rule_check, days
            else:
                check = check_household_billing(
                    rule.billing,
                    period=days,
                    site_id=occupancy.site_id,
                    consent=consents.get(household_id),
                    charge_list=charge_list,
                )
                billed = check.billed
            if not check.ok:
                refusals.extend(HouseholdRefusal(household_id, rule.id, r) for r in check.refusals)
                continue
            count = billed.days
            lines.append(
                ChargeLine(
                    household_id=household_id,
                    rule_id=rule.id,
                    service_id=rule.service_id,
                    mode=rule.billing.mode,
                    start=billed.start,
                    end=billed.end,
                    days=count,
                    days_in_month=month.days,
                    amount=prorate(rule.amount, count, month.days),
                )
            )
    lines.sort(key=lambda line: (line.household_id, line.rule_id))
    return MonthBilling(month=month, lines=tuple(lines), refusals=tuple(refusals))


@dataclass(frozen=True)
class StatementEntry:
    """A recoverable charge billed to a household: the month, the list entry and the amount."""

    month: Month
    cost_code: str
    amount: Decimal


@dataclass(frozen=True)
class StatementHeading:
    heading: str
    label: str
    amount: Decimal
    by_cost: tuple[tuple[str, str, Decimal], ...]  # (code, label, amount)


@dataclass(frozen=True)
class AnnualStatement:
    """The décompte annuel of recoverable charges billed to one household, by heading of the legal list."""

    year: int
    headings: tuple[StatementHeading, ...]
    total: Decimal
    months: tuple[tuple[Month, Decimal], ...]


def annual_statement(year: int, entries: Iterable[StatementEntry], *, charge_list: ChargeList) -> AnnualStatement:
    """Add up one household's recoverable charges of ``year`` by heading (I to VIII) and list entry.

    Entries of other years are ignored; an entry whose code is no longer on the list is put under
    the heading « ? » with its code, so nothing billed disappears from the statement.
    """
    by_cost: dict[str, Decimal] = defaultdict(Decimal)
    by_month: dict[Month, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.month.year != year:
            continue
        by_cost[entry.cost_code] += entry.amount
        by_month[entry.month] += entry.amount
    grouped: dict[str, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for code, amount in sorted(by_cost.items()):
        known = charge_list.get(code)
        grouped[known.heading if known else "?"].append((code, known.label if known else code, amount))
    order = [*charge_list.headings, "?"]
    headings = tuple(
        StatementHeading(
            heading=heading,
            label=charge_list.headings.get(heading, "Poste hors liste"),
            amount=sum((amount for _, _, amount in grouped[heading]), Decimal("0.00")),
            by_cost=tuple(grouped[heading]),
        )
        for heading in order
        if heading in grouped
    )
    total = sum((h.amount for h in headings), Decimal("0.00"))
    months = tuple(sorted(by_month.items(), key=lambda item: (item[0].year, item[0].month)))
    return AnnualStatement(year=year, headings=headings, total=total, months=months)
