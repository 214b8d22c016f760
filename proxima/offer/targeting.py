"""The rule of a bundle: which households a target group holds ("young tenants in arrears", "elderly people
living alone in Issoudun").

Pure module: plain facts in, household ids out, nothing imported from Django. The adapter
(:mod:`proxima.offer.bundle_services`) builds the facts from the database.

A rule is a conjunction of criteria; a criterion left as None (or an empty set) selects everyone:

``holder_age_min``, ``holder_age_max``
    The lease holder's age, from their birth year as everywhere in Proxima (``today.year - birth_year``,
    see :func:`proxima.needs.outreach.age_in`). A household whose holder's birth year is unknown is not
    selected by a rule on age: nobody can say it belongs to the group.
``arrears_min_amount``, ``arrears_min_months``
    Rent owed of at least this amount (euros), for at least this many months.
``lives_alone``
    True: one person in the household; False: two or more. A household with no person recorded is
    selected by neither.
``has_car``
    True or False as the household said; an unknown answer is selected by neither.
``site_ids``, ``commune_codes``
    The household lives on one of these sites, or in one of these communes (both: in either).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# The smallest amount a rule can ask for: "owes anything at all".
ANY_ARREARS = Decimal("0.01")


@dataclass(frozen=True)
class HouseholdProfile:
    """What a bundle's rule reads about one household (no name, no person: counts and a birth year)."""

    household_id: int
    site_id: int
    commune_code: str
    persons_count: int
    holder_birth_year: int | None
    arrears_amount: Decimal | float
    arrears_months: int
    has_car: bool | None


@dataclass(frozen=True)
class TargetRule:
    """The criteria of a target group, checked on creation (see the module docstring)."""

    holder_age_min: int | None = None
    holder_age_max: int | None = None
    arrears_min_amount: Decimal | float | None = None
    arrears_min_months: int | None = None
    lives_alone: bool | None = None
    has_car: bool | None = None
    site_ids: frozenset[int] = frozenset()
    commune_codes: frozenset[str] = frozenset()

    def __post_init__(self):
        for name in ("holder_age_min", "holder_age_max"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 130):
                raise ValueError(f"Expected {name} between 0 and 130.")
        if (
            self.holder_age_min is not None
            and self.holder_age_max is not None
            and self.holder_age_min > self.holder_age_max
        ):
            raise ValueError("Expected holder_age_min <= holder_age_max.")
        if self.arrears_min_amount is not None and self.arrears_min_amount <= 0:
            raise ValueError("Expected arrears_min_amount > 0.")
        if self.arrears_min_months is not None and (
            not isinstance(self.arrears_min_months, int) or self.arrears_min_months < 1
        ):
            raise ValueError("Expected arrears_min_months to be an integer >= 1.")
        object.__setattr__(self, "site_ids", frozenset(self.site_ids))
        object.__setattr__(self, "commune_codes", frozenset(self.commune_codes))

    @property
    def is_empty(self) -> bool:
        """A rule without criteria selects every household."""
        return self == TargetRule()


def matches(profile: HouseholdProfile, rule: TargetRule, today: dt.date) -> bool:
    """Whether the household belongs to the target group on ``today``."""
    if rule.holder_age_min is not None or rule.holder_age_max is not None:
        if profile.holder_birth_year is None:
            return False
        age = today.year - profile.holder_birth_year
        if rule.holder_age_min is not None and age < rule.holder_age_min:
            return False
        if rule.holder_age_max is not None and age > rule.holder_age_max:
            return False
    if rule.arrears_min_amount is not None and not profile.arrears_amount >= rule.arrears_min_amount:
        return False
    if rule.arrears_min_months is not None and profile.arrears_months < rule.arrears_min_months:
        return False
    if rule.lives_alone is not None and (
        profile.persons_count == 0 or (profile.persons_count == 1) != rule.lives_alone
    ):
        return False
    if rule.has_car is not None and profile.has_car is not rule.has_car:
        return False
    if rule.site_ids or rule.commune_codes:
        return profile.site_id in rule.site_ids or profile.commune_code in rule.commune_codes
    return True


def select_households(profiles: Iterable[HouseholdProfile], rule: TargetRule, today: dt.date) -> list[int]:
    """The ids of the households the rule selects, in increasing order.

    Parameters
    ----------
    profiles
        One entry per household.
    rule
        The target group's criteria.
    today
        The day ages are computed for.

    Returns
    -------
    list of int
        Household ids, sorted, so the result never depends on the input order.
    """
    return sorted(p.household_id for p in profiles if matches(p, rule, today))


def describe_rule(rule: TargetRule, *, site_names: Iterable[str] = (), commune_names: Iterable[str] = ()) -> list[str]:
    """The rule's criteria in plain French, one per item (empty list: every household)."""
    parts = []
    low, high = rule.holder_age_min, rule.holder_age_max
    if low is not None and high is not None:
        parts.append(f"titulaire du bail âgé de {low} à {high} ans")
    elif low is not None:
        parts.append(f"titulaire du bail âgé de {low} ans ou plus")
    elif high is not None:
        parts.append(f"titulaire du bail âgé de {high} ans ou moins")
    if rule.arrears_min_amount is not None:
        amount = Decimal(str(rule.arrears_min_amount))
        if amount <= ANY_ARREARS:
            parts.append("en impayé de loyer")
        else:
            parts.append(f"impayés d'au moins {amount:.2f} €".replace(".", ","))
    if rule.arrears_min_months is not None:
        parts.append(f"impayés depuis au moins {rule.arrears_min_months} mois")
    if rule.lives_alone is True:
        parts.append("vit seul")
    elif rule.lives_alone is False:
        parts.append("ne vit pas seul")
    if rule.has_car is True:
        parts.append("dispose d'une voiture")
    elif rule.has_car is False:
        parts.append("sans voiture")
    places = [*sorted(site_names), *sorted(commune_names)]
    if places:
        parts.append("habite " + ", ".join(places))
    return parts
