"""The outreach rules (pure module): each rule at its boundaries, the scoring and order, the parameters."""

import dataclasses
import datetime as dt
import json
import math
import pathlib
import subprocess
import sys
from decimal import Decimal

import pytest

from proxima.needs import outreach
from proxima.needs.enums import Need, OutreachReason
from proxima.needs.outreach import HouseholdFacts, OutreachParams, flag_households, household_reasons, months_before
from proxima.territory import geo

DATA = pathlib.Path(__file__).parent / "data"
TODAY = dt.date(2026, 6, 15)
PARAMS = OutreachParams(today=TODAY, no_contact_months=12, far_km=10.0)


def facts(**changes) -> HouseholdFacts:
    """A household no rule flags: two adults in their forties with a car, near services, contacted recently."""
    base = HouseholdFacts(
        household_id=1,
        site_id=1,
        persons_count=2,
        eldest_birth_year=1980,
        holder_birth_year=1980,
        arrears_amount=Decimal("0"),
        has_car=True,
        services_km=1.0,
        moved_in_on=dt.date(2020, 1, 1),
        last_contact_on=dt.date(2026, 6, 1),
    )
    return dataclasses.replace(base, **changes)


def reasons(**changes):
    return household_reasons(facts(**changes), PARAMS)


def test_reason_codes_are_the_enum_values():
    """The pure module's codes and the need sets match the enums the database stores."""
    assert set(outreach.REASONS) == set(OutreachReason.values)
    assert outreach.ISOLATION_NEEDS | outreach.HARDSHIP_NEEDS | {outreach.MOBILITY_NEED} <= set(Need.values)


def test_a_household_without_reason_is_not_flagged():
    """The base household of these tests is on no list."""
    assert reasons() == ()
    assert flag_households([facts()], PARAMS) == []


class TestElderlyAlone:
    def test_exactly_75_this_year_living_alone_is_flagged(self):
        """Born in 1951: 75 during 2026, whatever the birthday (only the year is kept)."""
        assert reasons(persons_count=1, eldest_birth_year=1951) == ("elderly_alone",)

    def test_74_is_not(self):
        """Born in 1952: 74 in 2026."""
        assert reasons(persons_count=1, eldest_birth_year=1952) == ()

    def test_elderly_not_alone_is_not(self):
        """Two persons aged 80: not living alone."""
        assert reasons(persons_count=2, eldest_birth_year=1946) == ()

    def test_unknown_birth_year_is_not(self):
        """Living alone without a birth year: the age cannot be told."""
        assert reasons(persons_count=1, eldest_birth_year=None) == ()

    def test_no_person_recorded_is_not_alone(self):
        """A household with no person recorded is not known to live alone."""
        assert reasons(persons_count=0, eldest_birth_year=None) == ()


class TestNoRecentContact:
    def test_exactly_n_months_is_flagged(self):
        """Last contact on 15 June 2025, twelve months to the day: flagged."""
        assert reasons(last_contact_on=dt.date(2025, 6, 15)) == ("no_recent_contact",)

    def test_a_day_less_is_not(self):
        """Last contact on 16 June 2025: not yet twelve months."""
        assert reasons(last_contact_on=dt.date(2025, 6, 16)) == ()

    def test_never_contacted_counts_from_move_in(self):
        """Without any contact, the period starts at the move-in date."""
        assert reasons(last_contact_on=None, moved_in_on=dt.date(2025, 6, 15)) == ("no_recent_contact",)
        assert reasons(last_contact_on=None, moved_in_on=dt.date(2025, 6, 16)) == ()

    def test_never_contacted_without_move_in_date(self):
        """No contact and no move-in date: flagged."""
        assert reasons(last_contact_on=None, moved_in_on=None) == ("no_recent_contact",)

    def test_setting_changes_the_threshold(self):
        """With 6 months, a contact on 15 December 2025 is due."""
        params = dataclasses.replace(PARAMS, no_contact_months=6)
        assert household_reasons(facts(last_contact_on=dt.date(2025, 12, 15)), params) == ("no_recent_contact",)
        assert household_reasons(facts(last_contact_on=dt.date(2025, 12, 16)), params) == ()

    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
            (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),
            (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
            (dt.date(2026, 6, 15), 24, dt.date(2024, 6, 15)),
            (dt.date(2026, 12, 31), 12, dt.date(2025, 12, 31)),
        ],
    )
    def test_months_before(self, day, months, expected):
        """Calendar months back, clamped to the end of a shorter month."""
        assert months_before(day, months) == expected


class TestYoungInArrears:
    def test_under_30_in_arrears_is_flagged(self):
        """Lease holder born in 1997: 29 in 2026, owing 1 euro."""
        assert reasons(holder_birth_year=1997, arrears_amount=Decimal("1.00")) == ("young_in_arrears",)

    def test_30_is_not(self):
        """Born in 1996: 30 in 2026, no longer under 30."""
        assert reasons(holder_birth_year=1996, arrears_amount=Decimal("800")) == ()

    def test_without_arrears_is_not(self):
        """A young tenant who owes nothing."""
        assert reasons(holder_birth_year=2000, arrears_amount=Decimal("0")) == ()

    def test_unknown_holder_is_not(self):
        """No lease holder's birth year: not flagged, even with a young person in the household."""
        assert reasons(holder_birth_year=None, eldest_birth_year=2001, arrears_amount=Decimal("500")) == ()


class TestNoCarFar:
    def test_no_car_beyond_the_distance_is_flagged(self):
        """No car, 10.1 km from France services with a 10 km threshold."""
        assert reasons(has_car=False, services_km=10.1) == ("no_car_far",)

    def test_exactly_at_the_distance_is_not_far(self):
        """'Beyond 10 km': a site at exactly 10 km is not far."""
        assert reasons(has_car=False, services_km=10.0) == ()

    def test_unknown_car_is_not_no_car(self):
        """has_car unknown (None) is not 'no car', however far."""
        assert reasons(has_car=None, services_km=50.0) == ()

    def test_with_a_car_is_not(self):
        """A household with a car, far away."""
        assert reasons(has_car=True, services_km=50.0) == ()

    def test_survey_mobility_need_stands_for_shops_and_doctor(self):
        """No car, near France services, but the survey signals difficulty getting about."""
        assert reasons(has_car=False, services_km=2.0, survey_needs=frozenset({"mobility"})) == ("no_car_far",)

    def test_unknown_distance_and_no_survey_is_not(self):
        """No car, distance unknown (no France services site), no survey answer."""
        assert reasons(has_car=False, services_km=None) == ()


class TestSurvey:
    @pytest.mark.parametrize("need", sorted(outreach.ISOLATION_NEEDS))
    def test_isolation_needs(self, need):
        """isolation, home_help and social_activities signal isolation."""
        assert reasons(survey_needs=frozenset({need})) == ("survey_isolation",)

    @pytest.mark.parametrize("need", sorted(outreach.HARDSHIP_NEEDS))
    def test_hardship_needs(self, need):
        """charges_burden, energy_poverty, budget_help and benefits_access signal hardship."""
        assert reasons(survey_needs=frozenset({need})) == ("survey_hardship",)

    def test_other_needs_flag_nothing(self):
        """Paperwork or digital help alone do not put a household on the list."""
        assert reasons(survey_needs=frozenset({"paperwork_help", "digital_help"})) == ()

    def test_non_respondent(self):
        """Invited and not answered: flagged; answered, or never invited: not."""
        assert reasons(invited=True, answered=False) == ("non_respondent",)
        assert reasons(invited=True, answered=True) == ()
        assert reasons(invited=False, answered=False) == ()


class TestOrder:
    def test_hand_checked_example(self):
        """Six households of tests/needs/data/outreach_small.json: reasons, scores and order as worked out by hand."""
        data = json.loads((DATA / "outreach_small.json").read_text())
        params = OutreachParams(
            today=dt.date.fromisoformat(data["today"]),
            no_contact_months=data["no_contact_months"],
            far_km=data["far_km"],
        )
        items = []
        for row in data["households"]:
            row = dict(row)
            for key in ("moved_in_on", "last_contact_on"):
                row[key] = dt.date.fromisoformat(row[key]) if row[key] else None
            row["arrears_amount"] = Decimal(row["arrears_amount"])
            row["survey_needs"] = frozenset(row["survey_needs"])
            items.append(HouseholdFacts(**row))
        got = [
            {"household_id": f.household_id, "reasons": list(f.reasons), "score": f.score}
            for f in flag_households(items, params)
        ]
        assert got == data["expected"]
        assert flag_households(reversed(items), params) == flag_households(items, params)

    def test_score_is_the_sum_of_the_weights(self):
        """Elderly alone (40) and never contacted (10): 50."""
        [flag] = flag_households(
            [facts(persons_count=1, eldest_birth_year=1940, last_contact_on=None, moved_in_on=None)], PARAMS
        )
        assert flag.reasons == ("elderly_alone", "no_recent_contact")
        assert flag.score == 50

    def test_elderly_alone_and_hardship_come_first(self):
        """One reason each: elderly alone, then survey hardship, then the others."""
        items = [
            facts(household_id=1, invited=True),
            facts(household_id=2, last_contact_on=None, moved_in_on=None),
            facts(household_id=3, has_car=False, services_km=30.0),
            facts(household_id=4, survey_needs=frozenset({"isolation"})),
            facts(household_id=5, holder_birth_year=2000, arrears_amount=Decimal("10")),
            facts(household_id=6, survey_needs=frozenset({"budget_help"})),
            facts(household_id=7, persons_count=1, eldest_birth_year=1930),
        ]
        assert [f.household_id for f in flag_households(items, PARAMS)] == [7, 6, 5, 4, 3, 2, 1]

    def test_ties_oldest_contact_first_then_id(self):
        """Same score: never contacted first, then the oldest contact, then the smallest id."""
        alone = {"persons_count": 1, "eldest_birth_year": 1940}
        items = [
            facts(household_id=4, last_contact_on=dt.date(2026, 5, 1), **alone),
            facts(household_id=3, last_contact_on=dt.date(2026, 1, 1), **alone),
            facts(household_id=2, last_contact_on=dt.date(2026, 1, 1), **alone),
            facts(household_id=9, last_contact_on=None, moved_in_on=dt.date(2026, 1, 1), **alone),
        ]
        assert [f.household_id for f in flag_households(items, PARAMS)] == [9, 2, 3, 4]


class TestParams:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"today": "2026-06-15"}, "Expected today to be a date."),
            ({"today": None}, "Expected today to be a date."),
            ({"no_contact_months": 0}, "Expected no_contact_months to be an integer >= 1."),
            ({"no_contact_months": -3}, "Expected no_contact_months to be an integer >= 1."),
            ({"no_contact_months": 1.5}, "Expected no_contact_months to be an integer >= 1."),
            ({"far_km": 0}, "Expected far_km > 0."),
            ({"far_km": -1.0}, "Expected far_km > 0."),
            ({"far_km": math.nan}, "Expected far_km > 0."),
            ({"far_km": math.inf}, "Expected far_km > 0."),
            ({"elderly_age": 0}, "Expected elderly_age between 1 and 120."),
            ({"elderly_age": 121}, "Expected elderly_age between 1 and 120."),
            ({"young_age": 0}, "Expected young_age to be an integer >= 1."),
            ({"young_age": 75}, "Expected young_age < elderly_age."),
            ({"young_age": 80, "elderly_age": 70}, "Expected young_age < elderly_age."),
        ],
    )
    def test_invalid(self, changes, message):
        """Each invalid threshold is refused with a message naming it."""
        with pytest.raises(ValueError, match=f"^{message}$".replace(".", r"\.").replace("+", r"\+")):
            dataclasses.replace(PARAMS, **changes)

    def test_defaults(self):
        """75 and 30 years, 12 months, 10 km."""
        params = OutreachParams(today=TODAY)
        assert (params.elderly_age, params.young_age, params.no_contact_months, params.far_km) == (75, 30, 12, 10.0)


class TestNearestDistances:
    def test_matches_the_haversine_of_territory_geo(self):
        """Châteauroux to the nearest of three points, as geo.nearest computes it."""
        destinations = [(46.58, 0.34), (47.08, 2.40), (46.16, 1.87)]
        origins = {"chateauroux": (46.81, 1.69), "bourges": (47.08, 2.39)}
        got = outreach.nearest_distances_km(origins, destinations)
        for key, (lat, lon) in origins.items():
            _, expected = geo.nearest(lat, lon, [(i, *p) for i, p in enumerate(destinations)])
            assert got[key] == pytest.approx(expected, abs=1e-6)
        assert got["bourges"] < 1.0

    def test_chunks_do_not_change_the_result(self):
        """Computing one origin at a time gives the same distances."""
        origins = {i: (45 + i / 10, 1 + i / 7) for i in range(20)}
        destinations = [(46.0, 1.5), (44.0, 3.0)]
        assert outreach.nearest_distances_km(origins, destinations, chunk=1) == pytest.approx(
            outreach.nearest_distances_km(origins, destinations)
        )

    def test_no_destination(self):
        """Without any France services site, no distance is known."""
        assert outreach.nearest_distances_km({1: (46.0, 1.0)}, []) == {}


def test_imports_no_django():
    """The rules can run and be tested without Django."""
    code = "import sys, proxima.needs.outreach; sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_all_reasons_at_once_are_in_weight_order():
    """A household matching every rule lists the seven reasons heaviest first, for 165 points."""
    every = facts(
        persons_count=1,
        eldest_birth_year=1940,
        holder_birth_year=2000,
        arrears_amount=Decimal("10"),
        has_car=False,
        services_km=25.0,
        last_contact_on=None,
        moved_in_on=None,
        survey_needs=frozenset({"isolation", "budget_help"}),
        invited=True,
    )
    [flag] = flag_households([every], PARAMS)
    assert flag.reasons == outreach.REASONS
    assert flag.score == 165
