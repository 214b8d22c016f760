"""Bundles: the households a bundle's rule selects, from the database.

The rule itself is in :mod:`proxima.offer.targeting`; this module builds its input in one query, whatever
the number of households, from the counts the households app keeps on each household (persons, the lease
holder's birth year).
"""

import datetime as dt

from django.db.models import Q

from proxima.households.models import Household
from proxima.offer.models import Bundle
from proxima.offer.targeting import HouseholdProfile, TargetRule, select_households


def bundle_rule(bundle: Bundle) -> TargetRule:
    """The bundle's criteria as a rule (reads its sites and communes: prefetch them in lists)."""
    return TargetRule(
        holder_age_min=bundle.holder_age_min,
        holder_age_max=bundle.holder_age_max,
        arrears_min_amount=bundle.arrears_min_amount,
        arrears_min_months=bundle.arrears_min_months,
        lives_alone=bundle.lives_alone,
        has_car=bundle.has_car,
        site_ids=frozenset(site.pk for site in bundle.sites.all()),
        commune_codes=frozenset(commune.pk for commune in bundle.communes.all()),
    )


def load_profiles(*, user, rule: TargetRule | None = None) -> list[HouseholdProfile]:
    """The profiles of the households ``user`` works with (a field agent: their sites' only), in one query.

    With a rule on places, only the households of those places are read (the rule decides the rest).
    """
    households = Household.objects.visible_to(user)
    if rule is not None and (rule.site_ids or rule.commune_codes):
        households = households.filter(
            Q(dwelling__building__site_id__in=rule.site_ids)
            | Q(dwelling__building__site__commune_id__in=rule.commune_codes)
        )
    rows = households.order_by().values_list(
        "pk",
        "dwelling__building__site_id",
        "dwelling__building__site__commune_id",
        "size",
        "holder_birth_year",
        "arrears_amount",
        "arrears_months",
        "has_car",
    )
    return [
        HouseholdProfile(
            household_id=pk,
            site_id=site_id,
            commune_code=commune_code,
            persons_count=size,
            holder_birth_year=birth_year,
            arrears_amount=arrears,
            arrears_months=months,
            has_car=has_car,
        )
        for pk, site_id, commune_code, size, birth_year, arrears, months, has_car in rows
    ]


def bundle_household_ids(*, bundle: Bundle, user, today: dt.date) -> list[int]:
    """The ids of the households of the bundle's target group that ``user`` works with, in increasing order."""
    rule = bundle_rule(bundle)
    return select_households(load_profiles(user=user, rule=rule), rule, today)
