"""The tour planner's search (proxima/agency/planning.py): the bound on the stops a plan can serve, the shortlist
PyVRP searches among, the forked search and the restarts, on tiny instances whose optimum is obvious."""

import time

import pytest
import pyvrp

from proxima.agency import planning
from proxima.agency.planning import Day, Depot, Location, MatrixTravelTimes, PlanParams, Stop, plan_tours

DEPOT = Depot(Location(index=0))
FAST = PlanParams(time_limit=1, seed=0)


def uniform(size, t=10):
    return MatrixTravelTimes(tuple(tuple(0 if i == j else t for j in range(size)) for i in range(size)))


def problem(stops, days, size=None):
    matrix = uniform(size or len(stops) + 1).matrix
    return planning._Problem(tuple(stops), tuple(days), [list(row) for row in matrix], 0, 1)


def many_stops(count=30, duration=100):
    """``count`` stops worth 1, 2, ... ``count``, ``duration`` seconds each, 10 s apart."""
    return [Stop(f"s{i}", Location(index=i), float(i), duration) for i in range(1, count + 1)]


@pytest.fixture
def pyvrp_calls(monkeypatch):
    """The keyword arguments of every call to ``pyvrp.solve``, in order (the calls go through)."""
    calls = []
    solve = pyvrp.solve

    def recording_solve(*args, **kwargs):
        calls.append(kwargs)
        return solve(*args, **kwargs)

    monkeypatch.setattr(pyvrp, "solve", recording_solve)
    return calls


def served(plan):
    return [[v.stop_id for v in route.visits] for route in plan.routes]


class TestServableBound:
    def test_each_stop_takes_its_duration_and_the_shortest_trip_into_it(self):
        """Stops of 100 s, 10 s apart: 110 s each, so a day of 350 s holds at most 3."""
        p = problem(many_stops(6), [Day("d", 0, 350)])
        assert planning._servable_bound(p, list(range(6))) == 3

    def test_the_days_add_up(self):
        """Two days of 350 s hold at most 6 stops of 110 s (700 s in all)."""
        p = problem(many_stops(8), [Day("a", 0, 350), Day("b", 0, 350)])
        assert planning._servable_bound(p, list(range(8))) == 6

    def test_many_candidates_compares_the_bound_with_their_number(self, monkeypatch):
        """30 candidates for at most 3 places are many; 4 are not (factor 1.5)."""
        monkeypatch.setattr(planning, "PRUNE_FACTOR", 1.5)
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 0)
        p = problem(many_stops(30), [Day("d", 0, 350)])
        assert planning._many_candidates(p, list(range(30)))
        assert not planning._many_candidates(p, list(range(4)))

    def test_never_many_up_to_prune_never_below(self, monkeypatch):
        """However few the places, up to PRUNE_NEVER_BELOW candidates PyVRP searches among all."""
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 30)
        p = problem(many_stops(31), [Day("d", 0, 350)])
        assert not planning._many_candidates(p, list(range(30)))
        assert planning._many_candidates(p, list(range(31)))


class TestShortlist:
    def test_keeps_the_plan_and_the_most_valuable_per_hour(self, monkeypatch):
        """A plan serving 2 stops, factor 2: 4 stops, the plan's and the two best others by value per hour."""
        monkeypatch.setattr(planning, "PRUNE_FACTOR", 2.0)
        monkeypatch.setattr(planning, "PRUNE_MIN", 1)
        stops = many_stops(10)
        stops[8] = Stop("s9", Location(index=9), 9.0, 10_000)  # valuable but very long: little value per hour
        p = problem(stops, [Day("d", 0, 350)])
        shortlist = planning._shortlist(p, list(range(10)), [[0, 1]])
        assert shortlist == [0, 1, 7, 9]

    def test_keeps_forced_stops(self, monkeypatch):
        """A forced stop worth nothing stays on the shortlist."""
        monkeypatch.setattr(planning, "PRUNE_MIN", 1)
        stops = many_stops(10)
        stops[0] = Stop("s1", Location(index=1), 0.0, 100, required=True)
        p = problem(stops, [Day("d", 0, 350)])
        assert 0 in planning._shortlist(p, list(range(10)), [[9]])

    def test_keeps_every_candidate_when_few(self):
        """No shortlist below PRUNE_MIN stops."""
        p = problem(many_stops(5), [Day("d", 0, 350)])
        assert planning._shortlist(p, list(range(5)), [[4]]) == list(range(5))


class TestSearch:
    @pytest.mark.parametrize("parallel", [True, False])
    def test_many_candidates_the_most_valuable_are_served(self, monkeypatch, parallel):
        """30 stops of 100 s for a day of 350 s: the three most valuable are served, forked search or not."""
        monkeypatch.setattr(planning, "PARALLEL", parallel)
        monkeypatch.setattr(planning, "FORK_MAX_LOAD", 1e9)  # fork even on a busy machine
        monkeypatch.setattr(planning, "PRUNE_MIN", 5)
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 0)
        plan = plan_tours(DEPOT, many_stops(30), [Day("d", 0, 350)], uniform(31), FAST)
        assert sorted(served(plan)[0]) == ["s28", "s29", "s30"]
        assert plan.total_value == 87
        assert plan.stats["pyvrp_stops"] < 30

    def test_forced_stop_served_among_many_candidates(self, monkeypatch):
        """A forced stop worth nothing is served even when PyVRP searches among a shortlist."""
        monkeypatch.setattr(planning, "PRUNE_MIN", 5)
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 0)
        stops = many_stops(30)
        stops[0] = Stop("s1", Location(index=1), 0.0, 100, required=True)
        plan = plan_tours(DEPOT, stops, [Day("d", 0, 350)], uniform(31), FAST)
        assert "s1" in served(plan)[0]
        assert sorted(served(plan)[0]) == ["s1", "s29", "s30"]

    @pytest.mark.parametrize("duration", [100, 0])
    def test_forked_search_reports_both_searches(self, monkeypatch, duration):
        """With two cores, the plan comes from the better of both searches, each reported in the stats: on a small
        territory the forked one is PyVRP alone, else VROOM then PyVRP."""
        monkeypatch.setattr(planning, "FORK_MAX_LOAD", 1e9)  # fork even on a busy machine
        if not planning._can_fork():
            pytest.skip("one core, or fork not available: the search runs in one process")
        day = Day("d", 0, 350 if duration else 45)  # three stops a day either way
        plan = plan_tours(DEPOT, many_stops(6, duration), [day], uniform(7), FAST)
        forked = {"pyvrp_forked_value"} if duration else {"vroom_forked_value", "pyvrp_forked_value"}
        assert {"pyvrp_value", "vroom_value", *forked} <= plan.stats.keys()
        assert ("vroom_forked_value" in plan.stats) == (duration == 0)
        assert plan.total_value == 15

    def test_small_territory_serving_dominates_and_few_candidates(self, monkeypatch):
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 0)
        serving = problem(many_stops(30), [Day("d", 0, 350)])
        assert planning._small_territory(serving, list(range(4)))
        assert not planning._small_territory(serving, list(range(30)))  # many candidates for 3 places
        driving = problem(many_stops(4, duration=0), [Day("d", 0, 45)])
        assert not planning._small_territory(driving, list(range(4)))

    def test_small_territory_this_search_takes_vroom_deepest_level(self, monkeypatch):
        """When the second search is forked on a small territory, this process runs VROOM at its deepest level, as
        VROOM alone (the forked one is PyVRP alone)."""
        monkeypatch.setattr(planning, "FORK_MAX_LOAD", 1e9)
        if not planning._can_fork():
            pytest.skip("one core, or fork not available: the search runs in one process")
        levels = []
        solve_vroom = planning._solve_vroom
        monkeypatch.setattr(planning, "_solve_vroom", lambda *args: levels.append(args[3]) or solve_vroom(*args))
        plan = plan_tours(DEPOT, many_stops(6), [Day("d", 0, 350)], uniform(7), FAST)
        assert levels == [planning.VROOM_LEVELS[1]]
        assert plan.total_value == 15

    def test_running_elsewhere_is_a_count(self):
        """The other processes running now: a number >= 0."""
        assert planning._running_elsewhere() >= 0

    def test_no_fork_on_a_busy_machine(self, monkeypatch):
        """With every core busy, the second search is not forked (both would share one core), and still optimal."""
        monkeypatch.setattr(planning, "_running_elsewhere", lambda: 64.0)
        assert not planning._can_fork()
        plan = plan_tours(DEPOT, many_stops(6), [Day("d", 0, 350)], uniform(7), FAST)
        assert "vroom_forked_value" not in plan.stats
        assert plan.total_value == 15

    def test_pyvrp_restarts_when_it_stalls(self, monkeypatch, pyvrp_calls):
        """PyVRP stalled after a few iterations with time left: it restarts, and the plan stays optimal."""
        monkeypatch.setattr(planning, "NO_IMPROVEMENT_ITERATIONS", 20)
        p = problem(many_stops(6), [Day("d", 0, 350)])
        routes = planning._solve_pyvrp(p, list(range(6)), 1.0, 0, None)
        assert sorted(routes[0]) == [3, 4, 5]
        assert len(pyvrp_calls) >= 2
        assert [call["seed"] for call in pyvrp_calls[:2]] == [0, 2]

    def test_search_in_turn_narrows_pyvrp_search(self, monkeypatch, pyvrp_calls):
        """From VROOM's plan, the search in turn runs PyVRP among PYVRP_NEIGHBOURS neighbours."""
        monkeypatch.setattr(planning, "PARALLEL", False)  # the search in turn, in this process
        plan = plan_tours(DEPOT, many_stops(6), [Day("d", 0, 350)], uniform(7), FAST)
        assert {call["params"].neighbourhood.num_neighbours for call in pyvrp_calls} == {planning.PYVRP_NEIGHBOURS}
        assert pyvrp.SolveParams().neighbourhood.num_neighbours != planning.PYVRP_NEIGHBOURS
        assert plan.total_value == 15

    def test_forked_search_keeps_pyvrp_defaults(self, pyvrp_calls):
        """The forked search (run here in this process) starts PyVRP from VROOM's plan with PyVRP's defaults, and
        hands both plans back."""
        import multiprocessing

        receiver, sender = multiprocessing.Pipe(duplex=False)
        p = problem(many_stops(6, duration=0), [Day("d", 0, 45)])  # driving dominates: VROOM's plan is kept warm
        planning._child_search(sender, p, list(range(6)), time.perf_counter() + 1.0, 1, None)
        found = receiver.recv()
        assert {call["params"].neighbourhood.num_neighbours for call in pyvrp_calls} == {
            pyvrp.SolveParams().neighbourhood.num_neighbours
        }
        assert all(call["initial_solution"] is not None for call in pyvrp_calls)
        assert sorted(found["pyvrp"][0]) == sorted(found["vroom"][0]) == [3, 4, 5]

    def test_forked_search_on_a_small_territory_is_pyvrp_alone(self, monkeypatch, pyvrp_calls):
        """On a small territory the forked search (run here in this process) is PyVRP as the engine alone runs it:
        no VROOM, a cold start with the parent's seed (the child's seed - 1), PyVRP's defaults."""
        import multiprocessing

        monkeypatch.setattr(planning, "_solve_vroom", lambda *args: pytest.fail("VROOM called"))
        receiver, sender = multiprocessing.Pipe(duplex=False)
        p = problem(many_stops(6), [Day("d", 0, 350)])
        planning._child_search(sender, p, list(range(6)), time.perf_counter() + 0.5, 1, None)
        found = receiver.recv()
        assert found.keys() == {"pyvrp"}
        assert sorted(found["pyvrp"][0]) == [3, 4, 5]
        assert pyvrp_calls[0]["seed"] == 0
        assert all(call["initial_solution"] is None for call in pyvrp_calls[:1])
        neighbours = {call["params"].neighbourhood.num_neighbours for call in pyvrp_calls}
        assert neighbours == {pyvrp.SolveParams().neighbourhood.num_neighbours}

    def test_cold_start_keeps_pyvrp_defaults(self, pyvrp_calls):
        """Without a plan to start from, PyVRP keeps its defaults, even where a narrow search is asked for."""
        p = problem(many_stops(6), [Day("d", 0, 350)])
        planning._solve_pyvrp(p, list(range(6)), 0.3, 0, None, tuned=True)
        neighbours = {call["params"].neighbourhood.num_neighbours for call in pyvrp_calls}
        assert neighbours == {pyvrp.SolveParams().neighbourhood.num_neighbours}


def six_days(length=120):
    """Six days of ``length`` seconds: with stops of 100 s, 10 s from the depot and from each other, one stop each."""
    return [Day(f"d{i}", 0, length) for i in range(6)]


class TestRoundsOnDays:
    def test_rounds_fit_needs_days_and_time(self, monkeypatch):
        monkeypatch.setattr(planning, "DAYS_MIN", 6)
        monkeypatch.setattr(planning, "DAYS_MIN_ROUNDS", 10)
        monkeypatch.setattr(planning, "DAYS_ROUND_TIME", 0.1)
        assert planning._rounds_fit(problem(many_stops(12), six_days()), 1.0)
        assert not planning._rounds_fit(problem(many_stops(12), six_days()), 0.9)
        assert not planning._rounds_fit(problem(many_stops(12), six_days()[:5]), 10.0)

    def test_rounds_bring_in_the_stops_left_out(self):
        """Each day holds one stop: from a plan of the six least valuable, the rounds end with the six most."""
        p = problem(many_stops(12), six_days())
        routes = planning._improve_days(p, list(range(12)), [[k] for k in range(6)], time.perf_counter() + 1.0, 0)
        assert planning._valid(p, routes)
        assert sorted(k for route in routes for k in route) == list(range(6, 12))

    def test_rounds_keep_a_plan_no_round_improves(self):
        """From the best plan, the rounds change nothing: a round is kept only if it serves more value, or as
        much with less travel (the same here)."""
        p = problem(many_stops(12), six_days())
        best = [[k] for k in range(6, 12)]
        assert planning._improve_days(p, list(range(12)), best, time.perf_counter() + 0.3, 0) == best

    def test_rounds_exchange_several_stops_between_days(self):
        """Two days of 230 s: stops of 100 s fit two a day, the stop of 200 s alone. From a plan serving the long
        stop (worth 1.5) and two short ones (worth 1 each), the best plan (four short ones, worth 4) takes the long
        stop out and two short ones in: rounds over both days find it."""
        stops = [Stop("long", Location(index=1), 1.5, 200)] + [
            Stop(f"s{i}", Location(index=i + 1), 1.0, 100) for i in range(1, 5)
        ]
        days = [Day("a", 0, 230), Day("b", 0, 230)]
        p = problem(stops, days)
        routes = planning._improve_days(p, list(range(5)), [[0], [1, 2]], time.perf_counter() + 0.5, 0)
        assert planning._value(p, routes) == 4
        assert 0 not in {k for route in routes for k in route}

    def test_search_in_turn_ends_with_rounds_when_they_fit(self, monkeypatch):
        monkeypatch.setattr(planning, "PARALLEL", False)
        monkeypatch.setattr(planning, "DAYS_ROUND_TIME", 0.02)
        plan = plan_tours(DEPOT, many_stops(12), six_days(), uniform(13), FAST)
        assert "days_value" in plan.stats
        assert "exchange_value" in plan.stats
        assert {s for route in served(plan) for s in route} == {f"s{i}" for i in range(7, 13)}

    def test_rounds_come_between_two_exchanges(self, monkeypatch):
        """The search in turn exchanges over all days from PyVRP's plan, then runs the rounds, then exchanges from
        their plan in the time kept for it (EXCHANGE_RESERVE), then runs rounds again in the time the exchanges did
        not take (nearly all of it on this tiny instance)."""
        monkeypatch.setattr(planning, "PARALLEL", False)
        monkeypatch.setattr(planning, "DAYS_ROUND_TIME", 0.02)
        calls = []
        exchange, improve_days = planning._exchange, planning._improve_days

        def recording_exchange(problem, candidates, routes, deadline):
            calls.append(("exchange", deadline))
            return exchange(problem, candidates, routes, deadline)

        def recording_improve_days(problem, candidates, routes, deadline, seed):
            calls.append(("rounds", deadline))
            return improve_days(problem, candidates, routes, deadline, seed)

        monkeypatch.setattr(planning, "_exchange", recording_exchange)
        monkeypatch.setattr(planning, "_improve_days", recording_improve_days)
        plan_tours(DEPOT, many_stops(12), six_days(), uniform(13), FAST)
        assert [name for name, _ in calls] == ["exchange", "rounds", "exchange", "rounds"]
        assert calls[0][1] == calls[1][1] == pytest.approx(calls[2][1] - planning.EXCHANGE_RESERVE)
        assert calls[3][1] == calls[2][1]

    def test_no_rounds_without_time_for_them(self, monkeypatch):
        monkeypatch.setattr(planning, "PARALLEL", False)
        monkeypatch.setattr(planning, "DAYS_ROUND_TIME", 1.0)
        plan = plan_tours(DEPOT, many_stops(12), six_days(), uniform(13), FAST)
        assert "days_value" not in plan.stats
        assert plan.total_value == sum(range(7, 13))

    def test_forked_search_with_many_candidates_searches_as_the_parent(self, monkeypatch, pyvrp_calls):
        """With many candidates and time for rounds, the forked search is the search in turn (VROOM at level 0,
        PyVRP's narrower search, rounds on a few days), not VROOM at its deepest level."""
        import multiprocessing

        monkeypatch.setattr(planning, "DAYS_ROUND_TIME", 0.02)
        monkeypatch.setattr(planning, "PRUNE_MIN", 8)
        monkeypatch.setattr(planning, "PRUNE_NEVER_BELOW", 0)
        levels = []
        solve_vroom = planning._solve_vroom
        monkeypatch.setattr(planning, "_solve_vroom", lambda *args: levels.append(args[3]) or solve_vroom(*args))
        receiver, sender = multiprocessing.Pipe(duplex=False)
        p = problem(many_stops(30), six_days())
        planning._child_search(sender, p, list(range(30)), time.perf_counter() + 1.0, 1, None)
        found = receiver.recv()
        assert levels == [planning.FORKED_VROOM_LEVEL]
        assert {call["params"].neighbourhood.num_neighbours for call in pyvrp_calls} == {planning.PYVRP_NEIGHBOURS}
        assert len(pyvrp_calls) > 1  # the rounds
        assert sorted(k for route in found["pyvrp"] for k in route) == list(range(24, 30))


def two_full_days():
    """Two days of 140 s, every trip 10 s: day A serves a (60 s) and b (20 s), day B c (60 s) and d (20 s), 110 s
    each; e (40 s) is left out and fits on neither day as it is. All worth 1."""
    durations = {"a": 60, "b": 20, "c": 60, "d": 20, "e": 40}
    stops = [Stop(name, Location(index=i + 1), 1.0, duration) for i, (name, duration) in enumerate(durations.items())]
    return problem(stops, [Day("A", 0, 140), Day("B", 0, 140)]), [[0, 1], [2, 3]]


class TestExchange:
    def test_one_step_chains_moves_over_days(self):
        """Day A drops b and takes e (60 + 40 + 30 s of trips), day B takes b (60 + 20 + 20 + 40 s): all five are
        served. Neither day gains alone (A taking e for b serves as many), so only both moves at once gain."""
        p, routes = two_full_days()
        exchanged = planning._exchange(p, list(range(5)), routes, time.perf_counter() + 5.0)
        assert planning._valid(p, exchanged)
        assert sorted(k for route in exchanged for k in route) == [0, 1, 2, 3, 4]

    def test_keeps_forced_stops(self):
        """One day of 140 s: the forced stop f (60 s, worth 1) leaves no room for g (110 s, worth 10), which the
        day could hold alone; h (30 s, worth 2) fits beside f. The exchange takes h, never g for f."""
        stops = [
            Stop("f", Location(index=1), 1.0, 60, required=True),
            Stop("g", Location(index=2), 10.0, 110),
            Stop("h", Location(index=3), 2.0, 30),
        ]
        p = problem(stops, [Day("A", 0, 140)])
        exchanged = planning._exchange(p, [0, 1, 2], [[0]], time.perf_counter() + 5.0)
        assert sorted(exchanged[0]) == [0, 2]

    def test_keeps_a_plan_nothing_improves(self):
        p, _ = two_full_days()
        best = [[0, 1, 3], [2, 4]]
        assert planning._valid(p, best)
        assert planning._exchange(p, list(range(5)), best, time.perf_counter() + 5.0) == best

    def test_changes_nothing_after_the_deadline(self):
        p, routes = two_full_days()
        assert planning._exchange(p, list(range(5)), routes, time.perf_counter() - 1.0) == routes

    def test_day_variants_drop_one_take_one_each_set_once(self):
        """A long day serving stop 0, candidates 0 to 2: the route, without 0, with 1 or 2 added, and with 0
        replaced by 1 or 2."""
        p = problem(many_stops(3), [Day("A", 0, 1000)])
        variants = planning._day_variants(p, 0, [0], [0, 1, 2])
        assert sorted(sorted(route) for route, _ in variants) == [[], [0], [0, 1], [0, 2], [1], [2]]
        assert {tuple(route): travel for route, travel in variants}[(0,)] == 20
