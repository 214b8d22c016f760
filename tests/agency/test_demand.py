"""Whom a stop reaches and what a household weighs: tiny cases checked by hand."""

import pytest

from proxima.agency.demand import DemandWeights, HouseholdDemand, StopPlace, household_weight, stop_households

# 0.009° of latitude is about 1,000 m; 0.0045° about 500 m.
TOWN = (46.80, 1.70)


class TestHouseholdWeight:
    def test_base_plus_each_situation(self):
        """An elderly person alone, without a car: base 1 + 3 + 2."""
        h = HouseholdDemand(1, *TOWN, elderly_alone=True, no_car=True)
        assert household_weight(h, DemandWeights()) == 6

    def test_staff_weights(self):
        """Weights set by staff replace the defaults; a weight of 0 ignores the situation."""
        h = HouseholdDemand(1, *TOWN, in_arrears=True, survey_need=True, far_from_services=True)
        weights = DemandWeights(base=0.5, arrears=0, survey_needs=4, far_from_services=1.5)
        assert household_weight(h, weights) == 6

    @pytest.mark.parametrize("name", ["base", "elderly_alone", "no_car", "far_from_services", "arrears"])
    def test_negative_weight_refused(self, name):
        """A negative weight would make reaching a household a loss."""
        with pytest.raises(ValueError, match=f"weight {name} >= 0"):
            DemandWeights(**{name: -1})


class TestStopHouseholds:
    def test_within_radius_only(self):
        """Households 500 m away are reached within 800 m; those 1 km away are not."""
        near = [HouseholdDemand(i, TOWN[0] + 0.0045, TOWN[1]) for i in (1, 2)]
        far = [HouseholdDemand(3, TOWN[0] + 0.009, TOWN[1])]
        reached = stop_households([StopPlace("square", *TOWN)], near + far, radius_m=800)
        assert reached == {"square": (1, 2)}

    def test_household_reached_by_several_stops(self):
        """A household between two stops is listed under both: coverage counts it once, later."""
        households = [HouseholdDemand(1, TOWN[0] + 0.0045, TOWN[1])]
        stops = [StopPlace("a", *TOWN), StopPlace("b", TOWN[0] + 0.009, TOWN[1])]
        assert stop_households(stops, households, radius_m=600) == {"a": (1,), "b": (1,)}

    def test_no_households(self):
        """A stop with nobody around reaches nobody."""
        assert stop_households([StopPlace(7, *TOWN)], [], radius_m=800) == {7: ()}

    def test_radius_must_be_positive(self):
        with pytest.raises(ValueError, match="radius_m > 0"):
            stop_households([], [], radius_m=0)
