"""The horizon planner (proxima/agency/horizon.py) on tiny instances whose optimum is obvious, and its command."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from proxima.agency.horizon import (
    BREAK,
    DAY_TOO_LONG,
    FORCED_MISSING,
    FREQUENCY,
    MAX_GAP,
    MIN_GAP,
    TWICE_IN_WEEK,
    WINDOW,
    HorizonInstance,
    HorizonParams,
    HorizonStop,
    Week,
    evaluate_schedule,
    horizon_instance_from_dict,
    horizon_instance_to_dict,
    plan_horizon,
    read_any_instance,
)
from proxima.agency.planning import TOO_FAR, Day, Depot, Instance, Location, MatrixTravelTimes

DATA = Path(__file__).parent / "data"
FAST = HorizonParams(time_limit=1, seed=0)
DEPOT = Depot(Location(index=0))
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


def stop(name, index, households, **kwargs):
    return HorizonStop(name, Location(index=index), tuple(households), **kwargs)


def weeks(count, end=30, per_week=1, **kwargs):
    """``count`` weeks of ``per_week`` days of window [0, end]: with 10 s trips, 30 s hold two stops."""
    return [Week(w, tuple(Day(f"w{w}d{d}", 0, end, **kwargs) for d in range(per_week))) for w in range(count)]


def served(plan):
    """Stop ids served per week (sorted)."""
    return [sorted(v.stop_id for r in w.routes for v in r.visits) for w in plan.weeks]


# a and b reach the same households; c fewer, but new ones. A day holds two stops.
TWINS = [stop("a", 1, ["h1", "h2", "h3"]), stop("b", 2, ["h1", "h2", "h3"]), stop("c", 3, ["h4", "h5"])]


class TestCoverage:
    def test_the_plan_prefers_a_stop_reaching_new_households(self):
        """a and b reach the same households: serve one of them and c (5), not both (3)."""
        plan = plan_horizon(DEPOT, TWINS, weeks(2), uniform(4), FAST)
        for week in served(plan):
            assert "c" in week and len(week) == 2
        assert [w.coverage for w in plan.weeks] == [5, 5]
        assert plan.total_coverage == 10
        assert plan.never_reached == frozenset()
        assert plan.issues == ()

    def test_summing_stop_values_serves_the_twins(self):
        """The static method (for comparison) sums values: a and b (3 + 3) beat c: it reaches only 3 a week."""
        plan = plan_horizon(DEPOT, TWINS, weeks(2), uniform(4), HorizonParams(1, 0, method="static"))
        assert served(plan) == [["a", "b"], ["a", "b"]]
        assert plan.total_coverage == 6
        assert plan.never_reached == {"h4", "h5"}
        assert [lo.stop_id for lo in plan.left_out] == ["c"]

    def test_households_are_counted_once_a_week_and_again_the_next_week(self):
        """h1 reached by two stops on two days of week 0 counts once; reached again in week 1, once more."""
        stops = [stop("a", 1, ["h1"]), stop("b", 2, ["h1", "h2"])]
        evaluation = evaluate_schedule(
            DEPOT,
            stops,
            weeks(2, per_week=2),
            uniform(3),
            {"w0d0": ["a"], "w0d1": ["b"], "w1d0": ["a"]},
            household_weights={"h1": 2.5},
        )
        assert [w.coverage for w in evaluation.weeks] == [3.5, 2.5]
        assert evaluation.total_coverage == 6
        assert evaluation.weeks[0].households == {"h1", "h2"}

    def test_need_weights_decide(self):
        """With one stop a day, the stop of the heavier household wins over the one of two light households."""
        stops = [stop("two", 1, ["h1", "h2"]), stop("heavy", 2, ["h3"])]
        plan = plan_horizon(DEPOT, stops, weeks(1, end=20), uniform(3), FAST, household_weights={"h3": 5})
        assert served(plan) == [["heavy"]]
        assert plan.total_coverage == 5
        assert plan.never_reached == {"h1", "h2"}


class TestFrequencies:
    def test_max_gap_forces_a_visit_at_least_every_two_weeks(self):
        """The small stop would never win a day against the big one; every 2 weeks it must."""
        stops = [stop("big", 1, ["h1", "h2", "h3"]), stop("small", 2, ["h9"], max_gap_weeks=2)]
        plan = plan_horizon(DEPOT, stops, weeks(5, end=20), uniform(3), FAST)
        small = [w for w, s in enumerate(served(plan)) if "small" in s]
        assert small == [1, 3]
        assert plan.issues == ()

    def test_min_gap_forbids_two_consecutive_weeks(self):
        """The big stop, at most once every 2 weeks, is served in weeks 0 and 2, the other stop in between."""
        stops = [stop("big", 1, ["h1", "h2", "h3"], min_gap_weeks=2), stop("small", 2, ["h9"])]
        plan = plan_horizon(DEPOT, stops, weeks(4, end=20), uniform(3), FAST)
        assert served(plan) == [["big"], ["small"], ["big"], ["small"]]
        assert {lo.stop_id: lo.reason for lo in plan.weeks[1].left_out} == {"big": FREQUENCY}

    def test_frequencies_carry_over_from_before_the_horizon(self):
        """Served in week -1 and at most every 2 weeks: not in week 0."""
        stops = [stop("big", 1, ["h1", "h2"], min_gap_weeks=2, last_served_week=-1), stop("small", 2, ["h9"])]
        plan = plan_horizon(DEPOT, stops, weeks(2, end=20), uniform(3), FAST)
        assert served(plan) == [["small"], ["big"]]

    def test_a_due_stop_that_cannot_be_served_is_reported(self):
        """A stop too far for every day cannot keep its frequency: the plan says so instead of failing."""
        stops = [stop("near", 1, ["h1"]), stop("far", 2, ["h2"], max_gap_weeks=1)]
        plan = plan_horizon(DEPOT, stops, weeks(2), uniform(3, far=20), FAST)
        assert {lo.stop_id: lo.reason for lo in plan.left_out} == {"far": TOO_FAR}
        assert [i.code for i in plan.issues] == [MAX_GAP]
        assert "Stop far is not served from week 0 to week 0" in plan.issues[0].message


class TestForcedStops:
    def test_a_forced_stop_is_served_every_week(self):
        """The forced stop reaches nobody, yet takes one of the two places each week."""
        stops = [*TWINS, stop("office", 4, [], required=True)]
        plan = plan_horizon(DEPOT, stops, weeks(2), uniform(5), FAST)
        assert all("office" in week for week in served(plan))
        assert plan.total_coverage == 6  # the other place goes to a or b (3), not c (2)

    def test_a_forced_stop_with_a_min_gap_is_served_every_other_week(self):
        stops = [stop("office", 1, [], required=True, min_gap_weeks=2), stop("a", 2, ["h1"])]
        plan = plan_horizon(DEPOT, stops, weeks(3, end=20), uniform(3), FAST)
        assert served(plan) == [["office"], ["a"], ["office"]]

    def test_a_forced_stop_too_far_is_a_clear_error(self):
        stops = [stop("near", 1, ["h1"]), stop("far", 2, ["h2"], required=True)]
        with pytest.raises(
            ValueError, match="^Stop far is forced in but cannot be served on any day of week 0: too far"
        ):
            plan_horizon(DEPOT, stops, weeks(1), uniform(3, far=20), FAST)


class TestEvaluateSchedule:
    def test_a_manual_schedule_is_scored_and_its_faults_listed(self):
        """Coverage of any schedule, and what it breaks, in plain messages."""
        stops = [
            stop("a", 1, ["h1"], time_windows=((0, 5),)),
            stop("b", 2, ["h2"], duration=20, min_gap_weeks=2),
            stop("c", 3, ["h3"], max_gap_weeks=1),
            stop("office", 4, [], required=True),
        ]
        schedule = {"w0d0": ["a", "b"], "w1d0": ["b", "b"]}
        evaluation = evaluate_schedule(DEPOT, stops, weeks(2, end=40), uniform(5), schedule)
        assert [w.coverage for w in evaluation.weeks] == [2, 1]
        assert evaluation.never_reached == {"h3"}
        route = evaluation.weeks[0].routes[0]
        assert [(v.stop_id, v.arrival, v.start, v.departure) for v in route.visits] == [
            ("a", 10, 10, 10),
            ("b", 20, 20, 40),
        ]
        codes = [(i.code, i.stop_id, i.day_id) for i in evaluation.issues]
        assert (WINDOW, "a", "w0d0") in codes
        assert (DAY_TOO_LONG, "", "w0d0") in codes
        assert (TWICE_IN_WEEK, "b", "") in codes
        assert (MIN_GAP, "b", "") in codes
        assert (MAX_GAP, "c", "") in codes
        assert (FORCED_MISSING, "office", "") in codes
        messages = [i.message for i in evaluation.issues]
        assert "Stop a on day w0d0: arrives at 00:00:10, after its time windows." in messages
        assert "Day w0d0 ends at 00:00:50, after 00:00:40 (the end of its window)." in messages
        assert "Stop b is served in weeks 0 and 1: at most once every 2 weeks." in messages
        assert "Stop c is not served from week 0 to week 0: at least once a week." in messages
        assert "Stop office is forced in but not served in week 0." in messages

    def test_a_service_over_lunch_is_reported(self):
        """The bus may wait for the end of lunch, unless the stop's window closes before."""
        lunch = weeks(1, end=100, breaks=((20, 40),))
        waits = evaluate_schedule(DEPOT, [stop("a", 1, ["h1"], duration=20)], lunch, uniform(2), {"w0d0": ["a"]})
        assert waits.issues == ()
        assert waits.weeks[0].routes[0].visits[0].start == 40
        stops = [stop("a", 1, ["h1"], duration=20, time_windows=((5, 15),))]
        evaluation = evaluate_schedule(DEPOT, stops, lunch, uniform(2), {"w0d0": ["a"]})
        assert [i.message for i in evaluation.issues if i.code == BREAK] == [
            "Stop a on day w0d0: its service would overlap a break."
        ]
        assert evaluation.total_coverage == 1

    def test_the_plan_scores_as_its_evaluation(self):
        """Evaluating the plan's own schedule gives its coverage and no fault."""
        plan = plan_horizon(DEPOT, TWINS, weeks(2), uniform(4), FAST)
        schedule = {r.day_id: [v.stop_id for v in r.visits] for w in plan.weeks for r in w.routes}
        evaluation = evaluate_schedule(DEPOT, TWINS, weeks(2), uniform(4), schedule)
        assert evaluation.total_coverage == plan.total_coverage
        assert evaluation.issues == ()

    @pytest.mark.parametrize(
        ("schedule", "message"),
        [
            ({"sunday": ["a"]}, "Expected known day ids in the schedule, got 'sunday'."),
            ({"w0d0": ["z"]}, "Expected known stop ids in the schedule, got 'z' on day w0d0."),
        ],
    )
    def test_unknown_ids_are_refused(self, schedule, message):
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            evaluate_schedule(DEPOT, TWINS, weeks(1), uniform(4), schedule)


def test_progress_is_told_after_each_week():
    """Each planned week is reported: weeks planned, weeks in all."""
    calls = []
    plan_horizon(DEPOT, TWINS, weeks(3), uniform(4), FAST, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_same_seed_gives_the_same_plan():
    """Reproducible: the same inputs and seed give the same plan."""
    stops = [*TWINS, stop("d", 4, ["h4", "h6"], max_gap_weeks=2), stop("e", 5, ["h7"], min_gap_weeks=2)]
    first = plan_horizon(DEPOT, stops, weeks(3), uniform(6), HorizonParams(1.5, 4))
    second = plan_horizon(DEPOT, stops, weeks(3), uniform(6), HorizonParams(1.5, 4))
    assert first == second
    assert first.to_dict() == second.to_dict()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: stop("a", 1, ["h1"], max_gap_weeks=1, min_gap_weeks=2), "Expected max_gap_weeks >= min_gap_weeks"),
        (lambda: stop("a", 1, ["h1"], min_gap_weeks=0), "Expected min_gap_weeks to be an integer >= 1 for stop a."),
        (lambda: stop("a", 1, ["h1"], max_gap_weeks=0), "Expected max_gap_weeks to be an integer >= 1 or null"),
        (lambda: HorizonStop("a", Location(index=1), "h1"), "Expected households to be a list of non-empty ids"),
        (lambda: stop("a", 1, ["h1"], duration=-1), "Expected duration to be an integer >= 0 (seconds) for stop a."),
        (lambda: Week(-1, ()), "Expected week indices to be integers >= 0."),
        (lambda: HorizonParams(rounds=-1), "Expected rounds to be an integer >= 0."),
        (lambda: HorizonParams(method="sum"), "Expected method 'coverage' or 'static'."),
        (lambda: HorizonParams(time_limit=0), "Expected time_limit > 0."),
        (
            lambda: plan_horizon(DEPOT, TWINS, weeks(1), uniform(4), FAST, household_weights={"h1": -1}),
            "Expected household weights >= 0, got -1 for household h1.",
        ),
        (lambda: plan_horizon(DEPOT, TWINS, [Week(0, ())], uniform(4), FAST), "Expected at least one tour day."),
        (
            lambda: plan_horizon(DEPOT, TWINS, [*weeks(1), Week(1, (Day("w0d0", 0, 9),))], uniform(4), FAST),
            "Expected unique day ids over the horizon.",
        ),
        (lambda: plan_horizon(DEPOT, TWINS, weeks(1) * 2, uniform(4), FAST), "Expected unique week indices."),
        (lambda: plan_horizon(DEPOT, [*TWINS, TWINS[0]], weeks(1), uniform(4), FAST), "Expected unique stop ids."),
        (
            lambda: plan_horizon(
                DEPOT, TWINS, [Week(0, (Day("m", 0, 99, ((40, 50),)), Day("t", 0, 99)))], uniform(4), FAST
            ),
            "Expected the same breaks on every day of one plan",
        ),
    ],
)
def test_invalid_inputs_are_refused_with_a_message(make, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        make()


class TestInstances:
    def test_a_horizon_instance_is_read_and_written_back(self, tmp_path):
        instance = read_any_instance(DATA / "horizon-two-weeks.json")
        assert isinstance(instance, HorizonInstance)
        assert [w.index for w in instance.weeks] == [0, 1]
        assert instance.stops[2].households == ("h4", "h5")
        assert instance.manual_schedule == {"week0-monday": ("a", "b"), "week1-monday": ("a", "b")}
        (tmp_path / "copy.json").write_text(json.dumps(horizon_instance_to_dict(instance)))
        assert read_any_instance(tmp_path / "copy.json") == instance

    def test_a_plain_instance_stays_plain(self):
        assert isinstance(read_any_instance(DATA / "one-day-three-stops.json"), Instance)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"household_weights": [1]}, "Expected 'household_weights' to be an object {household id: weight}."),
            ({"manual_schedule": {"x": "a"}}, "Expected 'manual_schedule' to be an object {day id: [stop ids"),
            ({"days": [{"id": "d", "start": 0, "end": 9, "week": -1}]}, "Expected 'week' of day d to be an integer"),
            ({"rounds": "many"}, "Expected rounds to be an integer >= 0."),
        ],
    )
    def test_bad_horizon_fields_are_named(self, change, message):
        data = json.loads((DATA / "horizon-two-weeks.json").read_text())
        data.update(change)
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            horizon_instance_from_dict(data)


@agency_installed
def test_command_plans_the_horizon_and_compares_with_the_manual_schedule():
    out = StringIO()
    call_command("plan_tour", str(DATA / "horizon-two-weeks.json"), "--time-limit", "1", stdout=out)
    result = json.loads(out.getvalue())
    assert result["total_coverage"] == 14
    assert [w["coverage"] for w in result["weeks"]] == [7, 7]
    assert [d["week"] for d in result["days"]] == [0, 1]
    assert all("c" in [s["id"] for s in d["stops"]] for d in result["days"])
    assert result["households_never_reached"] == ["h6"]
    assert result["manual"]["total_coverage"] == 6
    assert result["gain_over_manual"] == 8
