"""The tour planner (proxima/agency/planning.py) on tiny instances whose optimum is obvious, and its command."""

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from proxima.agency.planning import (
    FORCED_UNPLACED,
    LOWER_VALUE,
    TOO_FAR,
    WINDOW_IMPOSSIBLE,
    Day,
    Depot,
    GreatCircleTravelTimes,
    Instance,
    InstanceError,
    Location,
    MatrixTravelTimes,
    PlanParams,
    Stop,
    plan_tours,
    read_instance,
    read_top_instance,
    write_instance,
)

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "plan-tour-example.json"
FAST = PlanParams(time_limit=1, seed=0)
agency_installed = pytest.mark.skipif(
    "proxima.agency" not in settings.INSTALLED_APPS, reason="proxima.agency is not in INSTALLED_APPS yet"
)


def uniform(size, t=10, far=None):
    """Matrix of ``size`` places, ``t`` seconds between any two, ``far`` seconds to and from the last place."""
    matrix = [[0 if i == j else t for j in range(size)] for i in range(size)]
    if far is not None:
        for i in range(size - 1):
            matrix[i][size - 1] = matrix[size - 1][i] = far
    return MatrixTravelTimes(matrix)


def stop(name, index, value, duration=0, windows=()):
    return Stop(name, Location(index=index), value, duration, windows)


DEPOT = Depot(Location(index=0))


def served(plan):
    return [[v.stop_id for v in route.visits] for route in plan.routes]


def reasons(plan):
    return {lo.stop_id: lo.reason for lo in plan.left_out}


def test_one_day_holds_the_two_most_valuable_of_three_stops():
    instance = read_instance(DATA / "one-day-three-stops.json")
    plan = plan_tours(instance.depot, instance.stops, instance.days, instance.travel_times, FAST)
    assert sorted(served(plan)[0]) == ["a", "c"]
    assert plan.total_value == 13
    assert reasons(plan) == {"b": LOWER_VALUE}
    route = plan.routes[0]
    assert [v.arrival for v in route.visits] == [10, 20]
    assert route.return_time == 30


def test_two_days_split_the_stops():
    stops = [stop(s, i, v) for s, i, v in [("a", 1, 1), ("b", 2, 2), ("c", 3, 3), ("d", 4, 4)]]
    days = [Day("tue", 0, 30), Day("thu", 0, 30)]
    plan = plan_tours(DEPOT, stops, days, uniform(5), FAST)
    assert plan.total_value == 10
    assert [len(r) for r in served(plan)] == [2, 2]
    assert sorted(sum(served(plan), [])) == ["a", "b", "c", "d"]
    assert plan.left_out == ()


def test_time_windows_force_the_order_and_the_waiting():
    stops = [stop("late", 1, 5, 0, [(50, 60)]), stop("early", 2, 5, 0, [(0, 15)])]
    plan = plan_tours(DEPOT, stops, [Day("mon", 0, 100)], uniform(3), FAST)
    (route,) = plan.routes
    assert [(v.stop_id, v.arrival, v.start) for v in route.visits] == [("early", 10, 10), ("late", 20, 50)]
    assert route.return_time == 60
    assert plan.total_value == 10


def test_a_stop_farther_than_a_day_allows_is_left_out_as_too_far():
    stops = [stop("near", 1, 1), stop("far", 2, 100)]
    plan = plan_tours(DEPOT, stops, [Day("mon", 0, 30)], uniform(3, far=20), FAST)
    assert served(plan) == [["near"]]
    assert reasons(plan) == {"far": TOO_FAR}


def test_a_window_that_fits_no_day_is_left_out_as_window_impossible():
    stops = [stop("evening", 1, 9, 0, [(40, 50)]), stop("any", 2, 1)]
    plan = plan_tours(DEPOT, stops, [Day("mon", 0, 45), Day("tue", 0, 45)], uniform(3), FAST)
    assert reasons(plan) == {"evening": WINDOW_IMPOSSIBLE}
    assert plan.total_value == 1


def test_start_and_end_depots_may_differ():
    # 0 start, 3 end: the end is 10 s from everything, the route must finish there.
    depot = Depot(Location(index=0), Location(index=3))
    plan = plan_tours(depot, [stop("a", 1, 1), stop("b", 2, 2)], [Day("mon", 0, 30)], uniform(4), FAST)
    assert plan.total_value == 3
    assert plan.routes[0].return_time == 30


def test_nothing_to_plan():
    plan = plan_tours(DEPOT, [], [Day("mon", 0, 30)], uniform(1), FAST)
    assert plan.total_value == 0
    assert served(plan) == [[]]


def test_same_seed_gives_the_same_plan():
    instance = read_instance(EXAMPLE)
    args = (instance.depot, instance.stops, instance.days, instance.travel_times)
    first = plan_tours(*args, PlanParams(time_limit=2, seed=3))
    second = plan_tours(*args, PlanParams(time_limit=2, seed=3))
    assert first == second
    assert first.to_dict() == second.to_dict()


def test_great_circle_travel_times():
    paris, lyon = Location(48.8566, 2.3522), Location(45.7640, 4.8357)
    (row0, row1) = GreatCircleTravelTimes(detour_factor=1.0, speed_kmh=60).durations([paris, lyon])
    assert row0[0] == 0
    assert row0[1] == row1[0]
    assert 390 * 60 - 60 < row0[1] < 393 * 60 + 60  # about 391.5 km at 60 km/h


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PlanParams(time_limit=0), "Expected time_limit > 0."),
        (lambda: PlanParams(time_limit=-1), "Expected time_limit > 0."),
        (lambda: PlanParams(time_limit="10"), "Expected time_limit to be a number of seconds."),
        (lambda: PlanParams(seed=-1), "Expected seed to be an integer >= 0."),
        (lambda: PlanParams(seed=1.5), "Expected seed to be an integer >= 0."),
        (lambda: Day("mon", 100, 50), "Expected integers 0 <= start <= end for day mon."),
        (lambda: Day("", 0, 50), "Expected a non-empty string as day id."),
        (lambda: stop("a", 1, -1), "Expected value >= 0 for stop a."),
        (lambda: stop("a", 1, 1, 1.5), "Expected duration to be an integer >= 0 (seconds) for stop a."),
        (lambda: stop("a", 1, 1, 0, [(50, 40)]), "Expected time windows (start, end) with 0 <= start <= end"),
        (lambda: Location(lat=45.0), "Expected both lat and lon, or neither."),
        (lambda: Location(), "Expected coordinates (lat, lon) or a matrix index."),
        (lambda: Location(lat=95, lon=0), "Expected -90 <= lat <= 90 and -180 <= lon <= 180."),
        (lambda: GreatCircleTravelTimes(detour_factor=0.5), "Expected detour_factor >= 1."),
        (lambda: GreatCircleTravelTimes(speed_kmh=0), "Expected speed_kmh > 0."),
        (lambda: MatrixTravelTimes([[0, 1], [1]]), "Expected a square travel-time matrix."),
        (lambda: MatrixTravelTimes([[0, -1], [1, 0]]), "Expected travel times to be integers >= 0"),
        (lambda: plan_tours(DEPOT, [stop("a", 1, 1)], [], uniform(2)), "Expected at least one day."),
        (
            lambda: plan_tours(DEPOT, [stop("a", 1, 1), stop("a", 1, 2)], [Day("d", 0, 9)], uniform(2)),
            "Expected unique stop ids.",
        ),
        (
            lambda: plan_tours(DEPOT, [stop("a", 5, 1)], [Day("d", 0, 9)], uniform(2)),
            "Expected a matrix index below 2",
        ),
    ],
)
def test_invalid_inputs_are_refused_with_a_message(make, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        make()


def test_top_instance_p3_4_p_reaches_near_the_best_known():
    depot, stops, days, travel_times = read_top_instance(DATA / "p3.4.p.txt")
    assert (len(stops), len(days)) == (31, 4)
    assert depot.end_location == Location(index=32)
    plan = plan_tours(depot, stops, days, travel_times, PlanParams(time_limit=2, seed=0))
    assert plan.total_value >= 550  # best known: 560
    assert all(route.return_time <= 225_000 for route in plan.routes)  # tmax 22.5 × 10,000
    assert {v.stop_id for r in plan.routes for v in r.visits}.isdisjoint(lo.stop_id for lo in plan.left_out)


@pytest.mark.parametrize(("time_limit", "level"), [(0.2, 1), (1, 1), (2.5, 2), (5, 5), (60, 5)])
def test_vroom_exploration_level_grows_with_the_time_limit(time_limit, level):
    from proxima.agency.planning import _vroom_level

    assert _vroom_level(time_limit) == level


def test_json_round_trip(tmp_path):
    for source in (EXAMPLE, DATA / "one-day-three-stops.json"):
        instance = read_instance(source)
        assert isinstance(instance, Instance)
        write_instance(instance, tmp_path / "copy.json")
        assert read_instance(tmp_path / "copy.json") == instance
    example = read_instance(EXAMPLE)
    assert example.days[0].start == 8 * 3600 + 30 * 60
    assert example.stops[1].time_windows == ((8 * 3600, 9 * 3600 + 30 * 60),)


def test_bad_instance_files_are_named_with_what_is_wrong(tmp_path):
    with pytest.raises(InstanceError, match=r"bad-instance\.json: Expected day 1 to be an object with 'id'"):
        read_instance(DATA / "bad-instance.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InstanceError, match=r"broken\.json: not valid JSON"):
        read_instance(tmp_path / "broken.json")
    with pytest.raises(InstanceError, match=r"missing\.json: cannot be read"):
        read_instance(tmp_path / "missing.json")
    (tmp_path / "negative.json").write_text(json.dumps({"depot": {"index": 0}, "stops": [], "days": [], "seed": -1}))
    with pytest.raises(InstanceError, match=r"negative\.json: Expected seed to be an integer >= 0\."):
        read_instance(tmp_path / "negative.json")


def test_planning_imports_no_django():
    code = "import sys, proxima.agency.planning; sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@agency_installed
def test_command_prints_the_plan_as_json():
    out = StringIO()
    call_command("plan_tour", str(DATA / "one-day-three-stops.json"), "--time-limit", "1", "--seed", "0", stdout=out)
    plan = json.loads(out.getvalue())
    assert plan["total_value"] == 13
    assert sorted(s["id"] for s in plan["days"][0]["stops"]) == ["a", "c"]
    assert plan["left_out"] == [{"id": "b", "reason": "lower_value"}]


@agency_installed
def test_command_on_a_bad_file_fails_with_a_message():
    with pytest.raises(CommandError, match="bad-instance.json: Expected day 1"):
        call_command("plan_tour", str(DATA / "bad-instance.json"))
    result = subprocess.run(
        [sys.executable, "-m", "proxima.cli", "plan-tour", str(DATA / "bad-instance.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "bad-instance.json: Expected day 1" in result.stderr


class TestForcedStops:
    def test_a_forced_stop_is_served_although_of_low_value(self):
        """The day holds two stops of three: the forced one (b, the least valuable) is one of them."""
        stops = [stop("a", 1, 5), Stop("b", Location(index=2), 3, required=True), stop("c", 3, 8)]
        plan = plan_tours(DEPOT, stops, [Day("monday", 0, 30)], uniform(4), FAST)
        assert sorted(served(plan)[0]) == ["b", "c"]
        assert plan.total_value == 11
        assert reasons(plan) == {"a": LOWER_VALUE}

    # PyVRP alone is left out: on such tiny instances its prizes (PRIZE_SCALE) outweigh its capped time-warp
    # penalty and it returns no feasible plan, forced stops or not.
    @pytest.mark.parametrize("engines", [("vroom",), ("vroom", "pyvrp")])
    def test_each_engine_serves_the_forced_stop(self, engines):
        """VROOM (top priority) and VROOM then PyVRP (required client) keep the forced stop of value 0."""
        stops = [stop("a", 1, 5), Stop("b", Location(index=2), 0, required=True), stop("c", 3, 8)]
        plan = plan_tours(DEPOT, stops, [Day("monday", 0, 30)], uniform(4), FAST, engines=engines)
        assert "b" in served(plan)[0]

    def test_a_forced_stop_too_far_is_an_error_naming_it(self):
        """A forced stop no day can reach gives a clear message, not a plan without it."""
        stops = [stop("near", 1, 1), Stop("far", Location(index=2), 1, required=True)]
        with pytest.raises(ValueError, match="^Stop far is forced in but cannot be served on any day: too far"):
            plan_tours(DEPOT, stops, [Day("mon", 0, 30)], uniform(3, far=20), FAST)

    def test_a_forced_stop_whose_windows_fit_no_day_is_an_error_naming_it(self):
        """A forced stop only open after the day ends gives a clear message."""
        stops = [Stop("evening", Location(index=1), 1, 0, ((40, 50),), required=True)]
        with pytest.raises(ValueError, match="^Stop evening is forced in .*: none of its time windows fits a day"):
            plan_tours(DEPOT, stops, [Day("mon", 0, 35)], uniform(2), FAST)

    def test_forced_stops_that_do_not_fit_together_are_reported(self):
        """Three forced stops, room for two: the plan serves two and says the third could not be placed."""
        stops = [Stop(s, Location(index=i), v, required=True) for s, i, v in [("a", 1, 5), ("b", 2, 3), ("c", 3, 8)]]
        plan = plan_tours(DEPOT, stops, [Day("monday", 0, 30)], uniform(4), FAST)
        assert len(served(plan)[0]) == 2
        assert list(reasons(plan).values()) == [FORCED_UNPLACED]


class TestBreaks:
    def test_a_stop_whose_only_window_overlaps_lunch_is_window_impossible(self):
        """Service may not start inside the break, nor run into it."""
        stops = [stop("noon", 1, 9, 0, [(45, 50)]), stop("runs-into-lunch", 2, 9, 10, [(31, 35)]), stop("any", 3, 1)]
        plan = plan_tours(DEPOT, stops, [Day("mon", 0, 100, ((40, 60),))], uniform(4), FAST)
        assert reasons(plan) == {"noon": WINDOW_IMPOSSIBLE, "runs-into-lunch": WINDOW_IMPOSSIBLE}
        assert plan.total_value == 1

    def test_services_are_placed_around_lunch(self):
        """Two 30 s services and a 40–60 break: the first ends as lunch starts, the second waits until it ends."""
        stops = [stop("a", 1, 1, 30), stop("b", 2, 1, 30)]
        plan = plan_tours(DEPOT, stops, [Day("mon", 0, 100, ((40, 60),))], uniform(3), FAST)
        (route,) = plan.routes
        assert [(v.arrival, v.start, v.departure) for v in route.visits] == [(10, 10, 40), (50, 60, 90)]
        assert route.return_time == 100
        assert plan.total_value == 2

    def test_lunch_can_make_a_day_too_short_for_two_stops(self):
        """Without the break both fit; with it, only one."""
        stops = [stop("a", 1, 1, 30), stop("b", 2, 2, 30)]
        assert plan_tours(DEPOT, stops, [Day("mon", 0, 95)], uniform(3), FAST).total_value == 3
        plan = plan_tours(DEPOT, stops, [Day("mon", 0, 95, ((40, 60),))], uniform(3), FAST)
        assert served(plan) == [["b"]]

    def test_days_with_different_breaks_are_refused(self):
        """The engines take one set of windows per stop: one call, one set of breaks."""
        days = [Day("mon", 0, 100, ((40, 60),)), Day("tue", 0, 100, ((50, 70),))]
        with pytest.raises(ValueError, match="^Expected the same breaks on every day of one plan"):
            plan_tours(DEPOT, [stop("a", 1, 1)], days, uniform(2), FAST)

    def test_a_break_after_the_end_of_a_short_day_does_not_count(self):
        """A morning-only day needs no lunch break to be planned with full days."""
        days = [Day("mon", 0, 100, ((40, 60),)), Day("wed", 0, 40)]
        stops = [stop("a", 1, 1, 10, [(45, 60)]), stop("b", 2, 1, 10)]
        plan = plan_tours(DEPOT, stops, days, uniform(3), FAST)
        assert plan.total_value == 2
        (a_visit,) = [v for v in plan.routes[0].visits if v.stop_id == "a"]
        assert a_visit.start == 60

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (
                lambda: Day("mon", 0, 100, ((60, 40),)),
                "Expected breaks (start, end) with 0 <= start <= end for day mon.",
            ),
            (lambda: Stop("a", Location(index=1), 1, required="yes"), "Expected required to be true or false"),
            (
                lambda: plan_tours(DEPOT, [stop("a", 1, 1)], [Day("d", 0, 9)], uniform(2), FAST, initial=[["z"]]),
                "Expected the initial plan to give known stop ids for each day.",
            ),
        ],
    )
    def test_invalid_inputs(self, make, message):
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            make()


def test_an_initial_plan_is_a_starting_point():
    """A given plan is checked and kept unless an engine finds better; unservable stops in it are ignored."""
    stops = [stop("a", 1, 5), stop("b", 2, 3), stop("c", 3, 8), stop("far", 4, 99)]
    days = [Day("monday", 0, 30)]
    plan = plan_tours(DEPOT, stops, days, uniform(5, far=50), FAST, engines=("pyvrp",), initial=[["far", "a", "c"]])
    assert sorted(served(plan)[0]) == ["a", "c"]
    assert plan.total_value == 13


def test_forced_stops_and_breaks_are_read_from_json(tmp_path):
    """``required`` on stops and ``breaks`` as "HH:MM" pairs on days; written back in seconds."""
    data = json.loads((DATA / "one-day-three-stops.json").read_text())
    data["stops"][1]["required"] = True
    data["days"][0].update(end="18:00", breaks=[["12:00", "13:30"]])
    (tmp_path / "lunch.json").write_text(json.dumps(data))
    instance = read_instance(tmp_path / "lunch.json")
    assert instance.stops[1].required is True
    assert instance.days[0].breaks == ((12 * 3600, 13 * 3600 + 1800),)
    write_instance(instance, tmp_path / "copy.json")
    assert read_instance(tmp_path / "copy.json") == instance
    data["days"][0]["breaks"] = [["12:00"]]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(InstanceError, match=r"Expected the breaks of day 1 to be a list of \[start, end\]\."):
        read_instance(tmp_path / "bad.json")


class TestFill:
    """The last step of the planner inserts the stops an engine left out although the days could hold them."""

    def test_inserts_what_fits_most_valuable_first(self):
        """Two stops fit in the slack of the day, the most valuable first; a third, too long, stays out."""
        from proxima.agency.planning import _fill, _Problem

        stops = (stop("a", 1, 5, 100), stop("b", 2, 1, 100), stop("c", 3, 9, 100), stop("d", 4, 8, 1000))
        day = Day("mardi", 0, 500)
        matrix = uniform(5).matrix
        problem = _Problem(stops, (day,), [list(row) for row in matrix], 0, 1)
        routes = _fill(problem, [0, 1, 2, 3], [[0]])
        assert sorted(routes[0]) == [0, 1, 2]
        assert 3 not in routes[0]
        assert problem.schedule(day, routes[0]) is not None

    def test_respects_windows(self):
        """A stop whose window the route cannot reach stays out."""
        from proxima.agency.planning import _fill, _Problem

        stops = (stop("a", 1, 5, 100), stop("late", 2, 9, 100, ((10_000, 10_100),)))
        day = Day("mardi", 0, 1000)
        problem = _Problem(stops, (day,), [list(row) for row in uniform(3).matrix], 0, 1)
        assert _fill(problem, [0, 1], [[0]]) == [[0]]


class TestServingDominates:
    """The second search weighs travel more only where the days are mostly spent driving."""

    def problem(self, duration):
        from proxima.agency.planning import _Problem

        stops = (stop("a", 1, 5, duration), stop("b", 2, 1, duration))
        return _Problem(stops, (Day("mardi", 0, 1000),), [list(row) for row in uniform(3, t=10).matrix], 0, 1)

    def test_stops_longer_than_the_trips_to_them(self):
        from proxima.agency.planning import _serving_dominates

        assert _serving_dominates(self.problem(60), [0, 1])
        assert _serving_dominates(self.problem(10), [0, 1])  # as long: serving still takes half the day

    def test_no_service_time(self):
        """As in the TOP instances: the whole day is travel."""
        from proxima.agency.planning import _serving_dominates

        assert not _serving_dominates(self.problem(0), [0, 1])
        assert not _serving_dominates(self.problem(9), [0, 1])
