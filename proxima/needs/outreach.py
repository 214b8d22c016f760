"""Outreach rules ("aller vers"): which households to call or visit first, and why.

Pure module: plain facts in, flags out, nothing imported from Django. The adapter
(:mod:`proxima.needs.outreach_services`) builds the facts from the database.

Each rule gives a reason, a code of ``proxima.needs.enums.OutreachReason``:

``elderly_alone``
    The household has exactly one person, aged ``elderly_age`` (75) or more.
``no_recent_contact``
    No contact recorded for ``no_contact_months`` months or more: the last contact, or the move-in
    date when there has been none, is on or before the same day ``no_contact_months`` months ago.
    A household that moved in more recently has not yet gone that long without a contact.
``young_in_arrears``
    The lease holder (the reference person) is under ``young_age`` (30) and owes rent.
``no_car_far``
    The household has no car (an unknown answer does not count) and either its site is more than
    ``far_km`` km as the crow flies from the nearest France services site, or its survey response
    signals the mobility need. There is no reference data on shops or doctors: the survey's
    mobility need stands in for them when the household answered.
``survey_isolation``, ``survey_hardship``
    Its response to the reference survey signals one of :data:`ISOLATION_NEEDS` or :data:`HARDSHIP_NEEDS`.
``non_respondent``
    It was invited to answer the reference survey and has not answered.

Ages come from birth years only (no birth date is kept): a person's age is the age they reach
during the current year, ``today.year - birth_year``. A person born in 1951 counts as 75 for the
whole of 2026.
"""

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

ELDERLY_ALONE = "elderly_alone"
NO_RECENT_CONTACT = "no_recent_contact"
YOUNG_IN_ARREARS = "young_in_arrears"
NO_CAR_FAR = "no_car_far"
SURVEY_ISOLATION = "survey_isolation"
SURVEY_HARDSHIP = "survey_hardship"
NON_RESPONDENT = "non_respondent"

# Points per reason; a household's priority score is the sum over its reasons. Elderly people living
# alone come first, then hardship (a survey signal, or a young tenant already in arrears: the debt grows
# every month), then isolation and mobility. Lack of contact and non-response alone only say that the
# landlord does not know: they weigh least, but add up with the others so that, for the same reasons,
# a household nobody has talked to comes before one reached last week.
REASON_WEIGHTS = {
    ELDERLY_ALONE: 40,
    SURVEY_HARDSHIP: 35,
    YOUNG_IN_ARREARS: 30,
    SURVEY_ISOLATION: 25,
    NO_CAR_FAR: 20,
    NO_RECENT_CONTACT: 10,
    NON_RESPONDENT: 5,
}
# Reasons are always listed in this order, heaviest first (the rules below test them in this order).
REASONS = tuple(REASON_WEIGHTS)

# Need codes (proxima.needs.enums.Need) that make a survey response signal isolation or hardship.
ISOLATION_NEEDS = frozenset({"isolation", "home_help", "social_activities"})
HARDSHIP_NEEDS = frozenset({"charges_burden", "energy_poverty", "budget_help", "benefits_access"})
MOBILITY_NEED = "mobility"


@dataclass(frozen=True)
class HouseholdFacts:
    """What the rules know about one household.

    Attributes
    ----------
    household_id, site_id
        Identifiers of the household and of the site it lives on.
    persons_count
        Number of persons recorded in the household (0 when none is).
    eldest_birth_year
        Birth year of its eldest person, None if no person has one.
    holder_birth_year
        Birth year of the lease holder (the reference person), None if unknown.
    arrears_amount
        Rent owed, in euros (0 when none).
    has_car
        True or False as the household said, None when unknown.
    services_km
        Great-circle distance in km from its site to the nearest France services site, None if unknown.
    moved_in_on
        Move-in date: the start of the period without contact when there has been none.
    last_contact_on
        Date of the last recorded contact, None if there has been none.
    survey_needs
        Need codes its response to the reference survey signals.
    invited, answered
        Whether it was invited to answer the reference survey, and whether it answered it.
    """

    household_id: int
    site_id: int
    persons_count: int
    eldest_birth_year: int | None
    holder_birth_year: int | None
    arrears_amount: Decimal | float
    has_car: bool | None
    services_km: float | None
    moved_in_on: dt.date | None
    last_contact_on: dt.date | None
    survey_needs: frozenset[str] = frozenset()
    invited: bool = False
    answered: bool = False

    @property
    def lives_alone(self) -> bool:
        return self.persons_count == 1


@dataclass(frozen=True)
class OutreachParams:
    """Thresholds of the rules, checked on creation.

    Parameters
    ----------
    today
        The day the list is drawn up (ages and months without contact are counted from it).
    no_contact_months
        Months without a recorded contact after which a household is flagged (>= 1).
    far_km
        Distance in km to the nearest France services site beyond which a site is far (> 0).
    elderly_age
        Age from which a person living alone is flagged (75).
    young_age
        Age under which a lease holder in arrears is flagged (30); less than ``elderly_age``.
    """

    today: dt.date
    no_contact_months: int = 12
    far_km: float = 10.0
    elderly_age: int = 75
    young_age: int = 30

    def __post_init__(self):
        if not isinstance(self.today, dt.date):
            raise ValueError("Expected today to be a date.")
        if not isinstance(self.no_contact_months, int) or self.no_contact_months < 1:
            raise ValueError("Expected no_contact_months to be an integer >= 1.")
        if not math.isfinite(self.far_km) or self.far_km <= 0:
            raise ValueError("Expected far_km > 0.")
        if not isinstance(self.elderly_age, int) or not 1 <= self.elderly_age <= 120:
            raise ValueError("Expected elderly_age between 1 and 120.")
        if not isinstance(self.young_age, int) or self.young_age < 1:
            raise ValueError("Expected young_age to be an integer >= 1.")
        if self.young_age >= self.elderly_age:
            raise ValueError("Expected young_age < elderly_age.")

    @property
    def contact_cutoff(self) -> dt.date:
        """A last contact on or before this day is ``no_contact_months`` months old or more."""
        return months_before(self.today, self.no_contact_months)


@dataclass(frozen=True)
class Flag:
    """A household on the outreach list: its reasons (heaviest first) and its priority score."""

    facts: HouseholdFacts
    reasons: tuple[str, ...]
    score: int

    @property
    def household_id(self) -> int:
        return self.facts.household_id


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, or the last day of that month if it is shorter.

    >>> months_before(dt.date(2026, 3, 31), 1)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_in(year: int, birth_year: int) -> int:
    """The age reached during ``year`` by someone born in ``birth_year`` (no birth date is kept)."""
    return year - birth_year


def household_reasons(facts: HouseholdFacts, params: OutreachParams) -> tuple[str, ...]:
    """The reasons ``facts`` give to contact the household, heaviest first (empty if none).

    Parameters
    ----------
    facts
        The household's facts.
    params
        The thresholds.

    Returns
    -------
    tuple of str
        Codes of ``OutreachReason``, in the order of :data:`REASONS`.
    """
    return _reasons(facts, params, params.contact_cutoff)


def _reasons(facts: HouseholdFacts, params: OutreachParams, cutoff: dt.date) -> tuple[str, ...]:
    year = params.today.year
    needs = facts.survey_needs
    found = []  # appended in the order of REASONS
    if (
        facts.persons_count == 1
        and facts.eldest_birth_year is not None
        and age_in(year, facts.eldest_birth_year) >= params.elderly_age
    ):
        found.append(ELDERLY_ALONE)
    if needs and not needs.isdisjoint(HARDSHIP_NEEDS):
        found.append(SURVEY_HARDSHIP)
    if (
        facts.holder_birth_year is not None
        and age_in(year, facts.holder_birth_year) < params.young_age
        and facts.arrears_amount > 0
    ):
        found.append(YOUNG_IN_ARREARS)
    if needs and not needs.isdisjoint(ISOLATION_NEEDS):
        found.append(SURVEY_ISOLATION)
    if facts.has_car is False and (
        (facts.services_km is not None and facts.services_km > params.far_km) or MOBILITY_NEED in needs
    ):
        found.append(NO_CAR_FAR)
    since = facts.last_contact_on if facts.last_contact_on is not None else facts.moved_in_on
    if since is None or since <= cutoff:
        found.append(NO_RECENT_CONTACT)
    if facts.invited and not facts.answered:
        found.append(NON_RESPONDENT)
    return tuple(found)


def flag_households(facts: Iterable[HouseholdFacts], params: OutreachParams) -> list[Flag]:
    """Flag the households to contact, most urgent first.

    The score of a household is the sum of :data:`REASON_WEIGHTS` over its reasons. Households with
    the same score are ordered by their last contact, the oldest first (never contacted before
    anyone else), then by household id, so the order never depends on the input order.

    Parameters
    ----------
    facts
        One entry per household.
    params
        The thresholds.

    Returns
    -------
    list of Flag
        The households with at least one reason, sorted by decreasing score.
    """
    cutoff = params.contact_cutoff
    flags = []
    for item in facts:
        reasons = _reasons(item, params, cutoff)
        if reasons:
            flags.append(Flag(facts=item, reasons=reasons, score=sum(REASON_WEIGHTS[r] for r in reasons)))
    flags.sort(key=lambda f: (-f.score, f.facts.last_contact_on or dt.date.min, f.facts.household_id))
    return flags


def nearest_distances_km(
    origins: Mapping[object, tuple[float, float]], destinations: Sequence[tuple[float, float]], *, chunk: int = 256
) -> dict[object, float]:
    """Great-circle distance in km from each origin to its nearest destination (haversine, vectorised).

    Parameters
    ----------
    origins
        ``{key: (latitude, longitude)}`` in decimal degrees, e.g. the sites of a landlord.
    destinations
        ``(latitude, longitude)`` pairs, e.g. the France services sites.
    chunk
        Origins computed at once (bounds the memory: ``chunk * len(destinations)`` floats).

    Returns
    -------
    dict
        ``{key: km}``; empty when there is no destination.
    """
    if not origins or not destinations:
        return {}
    keys = list(origins)
    earth_radius_km = 6371.0  # as proxima.territory.geo.EARTH_RADIUS_KM
    dest = np.radians(np.asarray(destinations, dtype=float))
    lat2, lon2 = dest[:, 0][None, :], dest[:, 1][None, :]
    result = {}
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        orig = np.radians(np.asarray([origins[k] for k in part], dtype=float))
        lat1, lon1 = orig[:, 0][:, None], orig[:, 1][:, None]
        a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        km = 2 * earth_radius_km * np.arcsin(np.sqrt(np.minimum(a.min(axis=1), 1.0)))
        result.update(zip(part, km.tolist(), strict=True))
    return result
