import datetime as dt
from decimal import Decimal

import pytest

from proxima.offer.targeting import HouseholdProfile, TargetRule, describe_rule, matches, select_households

TODAY = dt.date(2026, 6, 15)


def profile(household_id=1, **facts):
    values = {
        "site_id": 10,
        "commune_code": "36044",
        "persons_count": 2,
        "holder_birth_year": 1980,
        "arrears_amount": Decimal("0"),
        "arrears_months": 0,
        "has_car": True,
    }
    values.update(facts)
    return HouseholdProfile(household_id=household_id, **values)


# Five households small enough to check by hand (ages in 2026).
HOUSEHOLDS = [
    profile(1, holder_birth_year=2000, arrears_amount=Decimal("640"), arrears_months=2, persons_count=1),  # 26
    profile(2, holder_birth_year=1997, arrears_amount=Decimal("120"), arrears_months=1),  # 29
    profile(3, holder_birth_year=1996, arrears_amount=Decimal("900"), arrears_months=3),  # 30
    profile(4, holder_birth_year=2001, persons_count=1, has_car=False, site_id=11, commune_code="36088"),  # 25
    profile(5, holder_birth_year=None, arrears_amount=Decimal("300"), arrears_months=1, has_car=None),
]


class TestSelectHouseholds:
    def test_young_tenants_in_arrears(self):
        """Under 30 with any arrears: the two young households that owe rent, not the 30-year-old."""
        rule = TargetRule(holder_age_max=29, arrears_min_amount=Decimal("0.01"))
        assert select_households(HOUSEHOLDS, rule, TODAY) == [1, 2]

    def test_age_is_reached_during_the_year(self):
        """Born in 1996, a holder counts as 30 for the whole of 2026, as 29 in 2025."""
        rule = TargetRule(holder_age_max=29)
        assert not matches(HOUSEHOLDS[2], rule, TODAY)
        assert matches(HOUSEHOLDS[2], rule, dt.date(2025, 12, 31))

    def test_unknown_birth_year_is_not_selected_on_age(self):
        """Nobody can say a holder of unknown age is young: a rule on age leaves them out."""
        assert not matches(HOUSEHOLDS[4], TargetRule(holder_age_min=18), TODAY)
        assert matches(HOUSEHOLDS[4], TargetRule(arrears_min_months=1), TODAY)

    def test_arrears_months(self):
        """At least two months of arrears: households 1 and 3."""
        assert select_households(HOUSEHOLDS, TargetRule(arrears_min_months=2), TODAY) == [1, 3]

    def test_lives_alone(self):
        """Living alone is one person; a household with nobody recorded is neither alone nor not."""
        assert select_households(HOUSEHOLDS, TargetRule(lives_alone=True), TODAY) == [1, 4]
        assert select_households(HOUSEHOLDS, TargetRule(lives_alone=False), TODAY) == [2, 3, 5]
        assert not matches(profile(persons_count=0), TargetRule(lives_alone=False), TODAY)

    def test_has_car_unknown_selected_by_neither(self):
        """Household 5 did not say whether it has a car: it is in neither group."""
        assert select_households(HOUSEHOLDS, TargetRule(has_car=False), TODAY) == [4]
        assert select_households(HOUSEHOLDS, TargetRule(has_car=True), TODAY) == [1, 2, 3]

    def test_site_or_commune(self):
        """Places add up: a household on one of the sites or in one of the communes."""
        assert select_households(HOUSEHOLDS, TargetRule(site_ids={11}), TODAY) == [4]
        assert select_households(HOUSEHOLDS, TargetRule(commune_codes={"36044"}), TODAY) == [1, 2, 3, 5]
        both = TargetRule(site_ids={11}, commune_codes={"36044"})
        assert select_households(HOUSEHOLDS, both, TODAY) == [1, 2, 3, 4, 5]

    def test_empty_rule_selects_everyone(self):
        """A rule without criteria is the whole population, in id order whatever the input order."""
        assert TargetRule().is_empty
        assert select_households(reversed(HOUSEHOLDS), TargetRule(), TODAY) == [1, 2, 3, 4, 5]


class TestTargetRule:
    @pytest.mark.parametrize(
        ("criteria", "message"),
        [
            ({"holder_age_min": 40, "holder_age_max": 30}, "holder_age_min <= holder_age_max"),
            ({"holder_age_max": -1}, "holder_age_max between"),
            ({"arrears_min_amount": 0}, "arrears_min_amount > 0"),
            ({"arrears_min_months": 0}, "arrears_min_months"),
        ],
    )
    def test_invalid(self, criteria, message):
        """Impossible criteria are refused when the rule is built."""
        with pytest.raises(ValueError, match=message):
            TargetRule(**criteria)


class TestDescribeRule:
    def test_plain_french(self):
        """Each criterion reads as a short phrase."""
        rule = TargetRule(holder_age_max=29, arrears_min_amount=Decimal("0.01"), has_car=False)
        assert describe_rule(rule) == [
            "titulaire du bail âgé de 29 ans ou moins",
            "en impayé de loyer",
            "sans voiture",
        ]
        assert describe_rule(TargetRule(arrears_min_amount=Decimal("1500"))) == ["impayés d'au moins 1500,00 €"]

    def test_places(self):
        """Places are named, sites first."""
        rule = TargetRule(holder_age_min=75, lives_alone=True, site_ids={1}, commune_codes={"36088"})
        assert describe_rule(rule, site_names=["Les Tilleuls"], commune_names=["Issoudun"]) == [
            "titulaire du bail âgé de 75 ans ou plus",
            "vit seul",
            "habite Les Tilleuls, Issoudun",
        ]

    def test_empty(self):
        """No criterion: nothing to say."""
        assert describe_rule(TargetRule()) == []
