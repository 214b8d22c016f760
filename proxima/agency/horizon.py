"""Planning the mobile agency over a horizon of several weeks, maximising the need-weighted households reached.

Pure module: nothing imported from Django. Built on :func:`proxima.agency.planning.plan_tours`.

Objective: the total over the weeks of the weights of the distinct households reached in the week. A household is
reached in a week if at least one stop within its walking distance is served that week; several stops reaching it
in the same week count it once, and coverage starts afresh each week. This is not a sum of stop values, which the
routing engines maximise, so the method (issue 4: "re-valuing stops as the plan fills and re-optimising") is, for
each week in order:

1. Frequencies carried over from the previous weeks: a stop served less than ``min_gap_weeks`` ago is left out
   (reason ``frequency``); a stop that would break its ``max_gap_weeks`` if not served before the next week of the
   horizon is forced in that week (if it can be served at all), as are the stops forced in by staff.
2. A first plan with each stop worth the weight of its households (:func:`plan_tours`).
3. Re-valuing rounds: each stop is worth its marginal coverage given the current plan (the plan's stops, most
   valuable first, each worth the households no earlier one reaches, so that they add up to the plan's true
   coverage; a stop outside the plan, the households the plan does not reach yet) and the week is solved again
   from the current plan. The plan of best true coverage is kept.
4. A local search on the true coverage: insert a stop reaching new households where a day has room, or replace a
   stop of the plan by one reaching more (feasibility by :meth:`planning._Problem.schedule`, windows and breaks
   included), until no move improves or the week's time is up.

The time limit is split evenly across the weeks (time a week leaves unused goes to the next); in a week, 40 % for
the first plan, 40 % for the re-valuing rounds, the rest for the local search. ``method="static"`` gives the plan
obtained by summing stop values (one solve per week with the weights of the households, no re-valuing, no local
search), to measure what the coverage-aware method gains.

Forced stops (``required``): served every week their ``min_gap_weeks`` allows (every week with the default 1).

:func:`evaluate_schedule` scores any schedule (a manual one entered by staff, or a plan edited by hand) with the
same objective, and lists what it breaks (windows, breaks, days too long, frequencies, forced stops missed).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from proxima.agency.planning import (
    FORCED_UNPLACED,
    LOWER_VALUE,
    TOO_FAR,
    WINDOW_IMPOSSIBLE,
    Day,
    DayRoute,
    Depot,
    GreatCircleTravelTimes,
    Instance,
    InstanceError,
    LeftOut,
    Location,
    MatrixTravelTimes,
    PlanParams,
    Stop,
    TravelTimes,
    Visit,
    _precheck,
    _Problem,
    _service_start,
    instance_from_dict,
    instance_to_dict,
    plan_tours,
)

FREQUENCY = "frequency"
METHODS = ("coverage", "static")
#: Share of a week's time for the first plan, and for all the re-valuing rounds; the local search gets the rest.
FIRST_SHARE, ROUNDS_SHARE = 0.4, 0.4
#: Below this, a call to plan_tours is not worth making (seconds).
MIN_SOLVE_TIME = 0.05

# Codes of the problems found by evaluate_schedule (a message in English goes with each).
WINDOW = "window"
BREAK = "break"
DAY_TOO_LONG = "day_too_long"
TWICE_IN_WEEK = "twice_in_week"
MIN_GAP = "min_gap"
MAX_GAP = "max_gap"
FORCED_MISSING = "forced_missing"


# --- Inputs ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HorizonStop:
    """A candidate stop, with the households it reaches and its frequency limits.

    Parameters
    ----------
    id, location, duration, time_windows
        As for :class:`planning.Stop` (seconds).
    households
        Ids of the households within walking distance of the stop.
    required
        Forced in by staff: served every week its ``min_gap_weeks`` allows.
    max_gap_weeks
        Served at least once every N weeks (None: no requirement).
    min_gap_weeks
        Served at most once every M weeks (1: at most once a week, the default).
    last_served_week
        Week index (may be negative: before the horizon) of the last visit, to carry frequencies over from a
        previous horizon; None: never served, or long enough ago.
    """

    id: str
    location: Location
    households: tuple[str, ...] = ()
    duration: int = 0
    time_windows: tuple[tuple[int, int], ...] = ()
    required: bool = False
    max_gap_weeks: int | None = None
    min_gap_weeks: int = 1
    last_served_week: int | None = None

    def __post_init__(self):
        # planning.Stop checks the id, duration and windows and sorts the windows.
        stop = Stop(self.id, self.location, 0, self.duration, self.time_windows, self.required)
        object.__setattr__(self, "time_windows", stop.time_windows)
        if isinstance(self.households, str) or not all(isinstance(h, str) and h for h in self.households):
            raise ValueError(f"Expected households to be a list of non-empty ids for stop {self.id}.")
        object.__setattr__(self, "households", tuple(dict.fromkeys(self.households)))
        if not _is_int(self.min_gap_weeks) or self.min_gap_weeks < 1:
            raise ValueError(f"Expected min_gap_weeks to be an integer >= 1 for stop {self.id}.")
        if self.max_gap_weeks is not None and (not _is_int(self.max_gap_weeks) or self.max_gap_weeks < 1):
            raise ValueError(f"Expected max_gap_weeks to be an integer >= 1 or null for stop {self.id}.")
        if self.max_gap_weeks is not None and self.max_gap_weeks < self.min_gap_weeks:
            raise ValueError(f"Expected max_gap_weeks >= min_gap_weeks for stop {self.id}.")
        if self.last_served_week is not None and not _is_int(self.last_served_week):
            raise ValueError(f"Expected last_served_week to be an integer or null for stop {self.id}.")


@dataclass(frozen=True)
class Week:
    """A week of the horizon: its index (0, 1, ...; a missing index is a week without tours) and its tour days."""

    index: int
    days: tuple[Day, ...]

    def __post_init__(self):
        if not _is_int(self.index) or self.index < 0:
            raise ValueError("Expected week indices to be integers >= 0.")
        object.__setattr__(self, "days", tuple(self.days))


@dataclass(frozen=True)
class HorizonParams:
    """Parameters of :func:`plan_horizon`.

    Parameters
    ----------
    time_limit
        Wall time budget of the whole horizon, in seconds (> 0).
    seed
        Seed (>= 0): the same inputs and seed give the same plan when each search converges before its time.
    rounds
        Re-valuing rounds per week (>= 0).
    method
        ``"coverage"`` (the default) or ``"static"`` (sum of stop values, for comparison).
    """

    time_limit: float = 10.0
    seed: int = 0
    rounds: int = 3
    method: str = "coverage"

    def __post_init__(self):
        PlanParams(self.time_limit, self.seed)  # same checks
        if not _is_int(self.rounds) or self.rounds < 0:
            raise ValueError("Expected rounds to be an integer >= 0.")
        if self.method not in METHODS:
            raise ValueError("Expected method 'coverage' or 'static'.")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Output ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """Something a schedule breaks: ``code`` (window, break, day_too_long, twice_in_week, min_gap, max_gap,
    forced_missing) and a plain message."""

    code: str
    message: str
    stop_id: str = ""
    day_id: str = ""


@dataclass(frozen=True)
class WeekResult:
    """A week: its routes (``DayRoute.value`` is the weight of the distinct households reached that day), its
    coverage, the households reached and the stops not served with their reason (plans only)."""

    week: int
    routes: tuple[DayRoute, ...]
    coverage: float
    households: frozenset[str]
    left_out: tuple[LeftOut, ...] = ()


@dataclass(frozen=True)
class HorizonEvaluation:
    """A schedule scored: coverage per week and in total, households reached and never reached, issues."""

    weeks: tuple[WeekResult, ...]
    total_coverage: float
    reached: frozenset[str]
    never_reached: frozenset[str]
    issues: tuple[Issue, ...]

    def to_dict(self) -> dict:
        return {
            "total_coverage": self.total_coverage,
            "weeks": [_week_dict(w) for w in self.weeks],
            "households_reached": sorted(self.reached),
            "households_never_reached": sorted(self.never_reached),
            "issues": [
                {"code": i.code, "message": i.message, "stop": i.stop_id, "day": i.day_id} for i in self.issues
            ],
        }


@dataclass(frozen=True)
class HorizonPlan:
    """The plan of the horizon.

    ``left_out``: the stops never served over the horizon, with the reason (``too_far``, ``window_impossible``:
    every week; ``forced_unplaced``; ``lower_value``; ``frequency``: never allowed by ``min_gap_weeks``). ``issues``:
    what the plan could not honour (a stop due by its ``max_gap_weeks`` that cannot be served, forced stops the days
    cannot all hold).
    """

    weeks: tuple[WeekResult, ...]
    total_coverage: float
    left_out: tuple[LeftOut, ...]
    reached: frozenset[str]
    never_reached: frozenset[str]
    issues: tuple[Issue, ...]
    method: str = "coverage"
    stats: Mapping[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """The plan as JSON-ready data, in the shape of :meth:`planning.TourPlan.to_dict` plus coverage fields."""
        days = []
        for week in self.weeks:
            for day in _days_dict(week.routes):
                days.append({"week": week.week, **day})
        return {
            "total_value": self.total_coverage,
            "total_coverage": self.total_coverage,
            "days": days,
            "left_out": [{"id": lo.stop_id, "reason": lo.reason} for lo in self.left_out],
            "weeks": [_week_dict(w) for w in self.weeks],
            "households_reached": sorted(self.reached),
            "households_never_reached": sorted(self.never_reached),
            "issues": [
                {"code": i.code, "message": i.message, "stop": i.stop_id, "day": i.day_id} for i in self.issues
            ],
            "engine": f"horizon-{self.method}",
        }


def _days_dict(routes: Sequence[DayRoute]) -> list[dict]:
    return [
        {
            "day": r.day_id,
            "departure": r.departure,
            "return": r.return_time,
            "value": r.value,
            "stops": [
                {"id": v.stop_id, "arrival": v.arrival, "start": v.start, "departure": v.departure} for v in r.visits
            ],
        }
        for r in routes
    ]


def _week_dict(week: WeekResult) -> dict:
    data = {"week": week.week, "coverage": week.coverage, "households": sorted(week.households)}
    if week.left_out:
        data["left_out"] = [{"id": lo.stop_id, "reason": lo.reason} for lo in week.left_out]
    return data


# --- The horizon in index form -----------------------------------------------------------------------------------


class _Horizon:
    """Inputs checked and in index form: stop k is place ``first + k`` of ``matrix``; households as integers."""

    def __init__(self, depot, stops, weeks, travel_times, household_weights):
        self.stops, self.weeks = tuple(stops), tuple(sorted(weeks, key=lambda w: w.index))
        if len({s.id for s in self.stops}) != len(self.stops):
            raise ValueError("Expected unique stop ids.")
        if len({w.index for w in self.weeks}) != len(self.weeks):
            raise ValueError("Expected unique week indices.")
        all_days = [d for w in self.weeks for d in w.days]
        if not all_days:
            raise ValueError("Expected at least one tour day.")
        if len({d.id for d in all_days}) != len(all_days):
            raise ValueError("Expected unique day ids over the horizon.")
        weights = dict(household_weights or {})
        for h, w in weights.items():
            if not isinstance(h, str) or not h:
                raise ValueError("Expected household ids to be non-empty strings.")
            if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
                raise ValueError(f"Expected household weights >= 0, got {w!r} for household {h}.")
        names = list(dict.fromkeys([h for s in self.stops for h in s.households] + list(weights)))
        self.household_ids = names
        number = {h: i for i, h in enumerate(names)}
        self.weight = [float(weights.get(h, 1.0)) for h in names]
        self.reach = [tuple(number[h] for h in s.households) for s in self.stops]
        self.static_value = [sum(self.weight[h] for h in reach) for reach in self.reach]
        self.index = {s.id: k for k, s in enumerate(self.stops)}

        places = [depot.location]
        if depot.end_location is not None and depot.end_location != depot.location:
            places.append(depot.end_location)
        self.end, self.first = len(places) - 1, len(places)
        places.extend(s.location for s in self.stops)
        self.matrix = travel_times.durations(places)
        self.travel = MatrixTravelTimes(self.matrix)
        self.depot = Depot(Location(index=0), Location(index=self.end) if self.end else None)
        self.plan_stops = tuple(
            Stop(s.id, Location(index=self.first + k), self.static_value[k], s.duration, s.time_windows, s.required)
            for k, s in enumerate(self.stops)
        )

    def problem(self, week: Week) -> _Problem:
        return _Problem(self.plan_stops, week.days, self.matrix, self.end, self.first)

    def coverage(self, served) -> tuple[float, set[int]]:
        reached = {h for k in served for h in self.reach[k]}
        return float(sum(self.weight[h] for h in reached)), reached


# --- Planning ----------------------------------------------------------------------------------------------------


def plan_horizon(
    depot: Depot,
    stops: Sequence[HorizonStop],
    weeks: Sequence[Week],
    travel_times: TravelTimes,
    params: HorizonParams = HorizonParams(),
    *,
    household_weights: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> HorizonPlan:
    """Choose, week by week, the stops to serve on each day and their order, maximising the households reached.

    Parameters
    ----------
    depot
        Start (and end) of every route.
    stops
        Candidate stops with unique ids, their households and frequency limits. Stops forced out by staff are not
        passed.
    weeks
        The weeks of the horizon with their tour days (day ids unique over the horizon; the days of one week must
        have the same breaks, see :func:`plan_tours`).
    travel_times
        Travel-time provider (seconds); asked once for the whole horizon.
    params
        Time limit of the whole horizon (seconds), seed, re-valuing rounds, method.
    household_weights
        Need weight of each household (>= 0); 1 for a household not listed. Households listed here but reached by
        no stop count as never reached.
    progress
        Called after each week is planned with the number of weeks planned and the number in all (the weeks share
        the time limit: the progress of a long computation).

    Returns
    -------
    HorizonPlan
        Weeks in order of their index, each with its routes (in the order of its days) and coverage.

    Raises
    ------
    ValueError
        Inconsistent inputs, or a stop forced in by staff that cannot be served on any day of a week.
    """
    started = time.perf_counter()
    horizon = _Horizon(depot, stops, weeks, travel_times, household_weights)
    last = {k: s.last_served_week for k, s in enumerate(horizon.stops)}
    schedule: dict[str, list[int]] = {}
    week_reasons: list[dict[int, str]] = []
    stats = {"rounds_improved": 0, "local_search_gain": 0.0, "first_plan_coverage": 0.0}
    for w, week in enumerate(horizon.weeks):
        remaining = params.time_limit - (time.perf_counter() - started)
        budget = max(remaining / (len(horizon.weeks) - w), MIN_SOLVE_TIME)
        next_index = horizon.weeks[w + 1].index if w + 1 < len(horizon.weeks) else week.index + 1
        routes, reasons = _plan_week(horizon, week, last, next_index, budget, params, stats)
        for day, route in zip(week.days, routes, strict=True):
            schedule[day.id] = route
            for k in route:
                last[k] = week.index
        week_reasons.append(reasons)
        if progress is not None:
            progress(w + 1, len(horizon.weeks))

    evaluation = _evaluate(horizon, schedule)
    weeks_out = tuple(
        replace(result, left_out=tuple(LeftOut(horizon.stops[k].id, r) for k, r in sorted(reasons.items())))
        for result, reasons in zip(evaluation.weeks, week_reasons, strict=True)
    )
    served = {k for route in schedule.values() for k in route}
    left_out = tuple(
        LeftOut(s.id, _horizon_reason([reasons.get(k, LOWER_VALUE) for reasons in week_reasons]))
        for k, s in enumerate(horizon.stops)
        if k not in served
    )
    stats["wall_time"] = time.perf_counter() - started
    return HorizonPlan(
        weeks_out,
        evaluation.total_coverage,
        left_out,
        evaluation.reached,
        evaluation.never_reached,
        evaluation.issues,
        params.method,
        stats,
    )


def _horizon_reason(reasons: list[str]) -> str:
    for reason in (TOO_FAR, WINDOW_IMPOSSIBLE):
        if all(r == reason for r in reasons):
            return reason
    for reason in (FORCED_UNPLACED, LOWER_VALUE):
        if reason in reasons:
            return reason
    return FREQUENCY


def _plan_week(horizon: _Horizon, week: Week, last, next_index, budget, params, stats):
    """Routes (stop numbers per day) of one week, and the reason of each stop not served."""
    started = time.perf_counter()
    if not week.days:
        return [], {}
    problem = horizon.problem(week)
    reasons: dict[int, str] = {}
    allowed, required = [], set()
    for k, stop in enumerate(horizon.stops):
        if last[k] is not None and week.index - last[k] < stop.min_gap_weeks:
            reasons[k] = FREQUENCY
            continue
        reason = _precheck(problem, k)
        # Before its first visit, a stop counts as served just before the horizon.
        previous = horizon.weeks[0].index - 1 if last[k] is None else last[k]
        due = stop.max_gap_weeks is not None and next_index - previous > stop.max_gap_weeks
        if reason:
            reasons[k] = reason
            if stop.required:
                why = "too far from the depot" if reason == TOO_FAR else "none of its time windows fits a day"
                raise ValueError(
                    f"Stop {stop.id} is forced in but cannot be served on any day of week {week.index}: {why}."
                )
            continue
        allowed.append(k)
        if stop.required or due:
            required.add(k)

    def solve(values, initial, time_limit, seed):
        stops = [replace(horizon.plan_stops[k], value=float(values[k]), required=k in required) for k in allowed]
        plan = plan_tours(
            horizon.depot,
            stops,
            week.days,
            horizon.travel,
            PlanParams(max(time_limit, MIN_SOLVE_TIME), seed),
            initial=None if initial is None else [[horizon.stops[k].id for k in r] for r in initial],
        )
        return [[horizon.index[v.stop_id] for v in route.visits] for route in plan.routes]

    def key(routes):
        served = [k for r in routes for k in r]
        travel = sum(_route_travel(problem, r) for r in routes)
        return (len(required.intersection(served)), horizon.coverage(served)[0], -travel)

    static = {k: horizon.static_value[k] for k in allowed}
    first_share = 1.0 if params.method == "static" else FIRST_SHARE
    best = current = solve(static, None, budget * first_share, params.seed)
    stats["first_plan_coverage"] += key(best)[1]
    if params.method == "coverage":
        for r in range(1, params.rounds + 1):
            values = _marginal_values(horizon, allowed, [k for route in current for k in route])
            routes = solve(values, current, budget * ROUNDS_SHARE / params.rounds, params.seed + r)
            if key(routes) > key(best):
                best = routes
                stats["rounds_improved"] += 1
            if routes == current:
                break
            current = routes
        before = key(best)[1]
        best = _local_search(horizon, problem, best, allowed, required, started + budget)
        stats["local_search_gain"] += key(best)[1] - before

    served = {k for route in best for k in route}
    for k in allowed:
        if k not in served:
            reasons[k] = FORCED_UNPLACED if k in required else LOWER_VALUE
    return best, reasons


def _route_travel(problem: _Problem, route: Sequence[int]) -> int:
    path = [0, *(problem.place(k) for k in route), problem.end]
    return sum(problem.matrix[a][b] for a, b in zip(path, path[1:], strict=False))


def _marginal_values(horizon: _Horizon, allowed, served) -> dict[int, float]:
    """Each stop's marginal coverage given the plan.

    The plan's stops, most valuable first, are each worth the households no earlier one reaches (so the values of
    the plan add up to its true coverage, and of two stops reaching the same households only one keeps its value);
    a stop outside the plan is worth the households the plan does not reach.
    """
    covered: set[int] = set()
    values = {}
    for k in sorted(set(served), key=lambda k: (-horizon.static_value[k], k)):
        fresh = set(horizon.reach[k]) - covered
        values[k] = sum(horizon.weight[h] for h in fresh)
        covered |= fresh
    for k in allowed:
        if k not in values:
            values[k] = sum(horizon.weight[h] for h in set(horizon.reach[k]) - covered)
    return values


def _local_search(horizon: _Horizon, problem: _Problem, routes, allowed, required, deadline):
    """Improve the week's true coverage by inserting a stop reaching new households, or replacing a served stop
    (not a forced one) by one reaching more; first improvement, until none or the deadline."""
    routes = [list(r) for r in routes]
    count: dict[int, int] = {}
    for route in routes:
        for k in route:
            for h in horizon.reach[k]:
                count[h] = count.get(h, 0) + 1
    weight, reach = horizon.weight, horizon.reach

    def gain(t, removed=None):
        lost = set(reach[removed]) if removed is not None else set()
        return sum(weight[h] for h in reach[t] if count.get(h, 0) == 0 or (count[h] == 1 and h in lost))

    def best_insertion(t):
        """(added travel, day, position) of the cheapest feasible insertion of ``t``, or None."""
        found = None
        for d, (day, route) in enumerate(zip(problem.days, routes, strict=True)):
            base = _route_travel(problem, route)
            for pos in range(len(route) + 1):
                candidate = route[:pos] + [t] + route[pos:]
                if problem.schedule(day, candidate) is not None:
                    extra = _route_travel(problem, candidate) - base
                    if found is None or extra < found[0]:
                        found = (extra, d, pos)
        return found

    def apply(t, delta):
        for h in reach[t]:
            count[h] = count.get(h, 0) + delta

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        served = {k for route in routes for k in route}
        outside = [t for t in allowed if t not in served]
        for t in sorted(outside, key=lambda t: (-gain(t), t)):
            if gain(t) <= 0 or time.perf_counter() >= deadline:
                break
            spot = best_insertion(t)
            if spot is not None:
                routes[spot[1]].insert(spot[2], t)
                apply(t, 1)
                improved = True
                break
        if improved:
            continue
        for s in sorted(served - required):
            loss = sum(weight[h] for h in reach[s] if count[h] == 1)
            better = sorted((t for t in outside if gain(t, s) > loss), key=lambda t: (-gain(t, s), t))
            if not better or time.perf_counter() >= deadline:
                continue
            d = next(i for i, r in enumerate(routes) if s in r)
            pos = routes[d].index(s)
            routes[d].pop(pos)
            apply(s, -1)
            for t in better:
                spot = best_insertion(t)
                if spot is not None:
                    routes[spot[1]].insert(spot[2], t)
                    apply(t, 1)
                    improved = True
                    break
            if improved:
                break
            routes[d].insert(pos, s)
            apply(s, 1)
    return routes


# --- Evaluating any schedule -------------------------------------------------------------------------------------


def evaluate_schedule(
    depot: Depot,
    stops: Sequence[HorizonStop],
    weeks: Sequence[Week],
    travel_times: TravelTimes,
    schedule: Mapping[str, Sequence[str]],
    *,
    household_weights: Mapping[str, float] | None = None,
) -> HorizonEvaluation:
    """Score a schedule with the planner's objective and list what it breaks.

    Parameters
    ----------
    depot, stops, weeks, travel_times, household_weights
        As for :func:`plan_horizon`.
    schedule
        Stop ids in visiting order per day id (a day not given: no tour that day); for example the manual schedule
        of staff, or a plan edited by hand.

    Returns
    -------
    HorizonEvaluation
        Coverage per week (a household reached by several stops of a week counts once) and in total, households
        reached and never reached, and the issues: windows or breaks broken, days too long (times as if the bus
        went on regardless), frequencies and forced stops not honoured.
    """
    horizon = _Horizon(depot, stops, weeks, travel_times, household_weights)
    days = {d.id for w in horizon.weeks for d in w.days}
    indexed = {}
    for day_id, route in schedule.items():
        if day_id not in days:
            raise ValueError(f"Expected known day ids in the schedule, got {day_id!r}.")
        if isinstance(route, str) or any(s not in horizon.index for s in route):
            unknown = route if isinstance(route, str) else next(s for s in route if s not in horizon.index)
            raise ValueError(f"Expected known stop ids in the schedule, got {unknown!r} on day {day_id}.")
        indexed[day_id] = [horizon.index[s] for s in route]
    return _evaluate(horizon, indexed)


def _evaluate(horizon: _Horizon, schedule: Mapping[str, list[int]]) -> HorizonEvaluation:
    issues: list[Issue] = []
    weeks, reached_all, total = [], set(), 0.0
    served_weeks: dict[int, list[int]] = {}
    for week in horizon.weeks:
        problem = horizon.problem(week)
        routes, week_served = [], []
        for day in week.days:
            route = schedule.get(day.id, [])
            routes.append(_simulate(horizon, problem, day, route, issues))
            week_served.extend(route)
        for k in sorted(set(week_served)):
            if week_served.count(k) > 1:
                issues.append(
                    Issue(
                        TWICE_IN_WEEK,
                        f"Stop {horizon.stops[k].id} is served {week_served.count(k)} times in week {week.index}; "
                        "its households count once.",
                        horizon.stops[k].id,
                    )
                )
            served_weeks.setdefault(k, []).append(week.index)
        value, reached = horizon.coverage(week_served)
        weeks.append(
            WeekResult(week.index, tuple(routes), value, frozenset(horizon.household_ids[h] for h in reached))
        )
        reached_all |= reached
        total += value
    issues.extend(_frequency_issues(horizon, served_weeks))
    names = horizon.household_ids
    return HorizonEvaluation(
        tuple(weeks),
        total,
        frozenset(names[h] for h in reached_all),
        frozenset(names[h] for h in range(len(names)) if h not in reached_all),
        tuple(issues),
    )


def _hhmm(seconds: int) -> str:
    """``HH:MM``, or ``HH:MM:SS`` when the seconds are not 0."""
    text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return f"{text}:{seconds % 60:02d}" if seconds % 60 else text


def _simulate(horizon: _Horizon, problem: _Problem, day: Day, route: Sequence[int], issues: list[Issue]) -> DayRoute:
    """Times of ``route`` on ``day`` as if the bus went on regardless; what it breaks goes to ``issues``."""
    t, here, visits = day.start, 0, []
    for k in route:
        stop, place = horizon.stops[k], problem.place(k)
        arrival = t + problem.matrix[here][place]
        windows = problem.windows(k, day)
        start = None if windows is None else _service_start(arrival, windows)
        if start is None:
            start = max(arrival, stop.time_windows[0][0]) if stop.time_windows else arrival
            if stop.time_windows and _service_start(arrival, stop.time_windows) is None:
                code, why = WINDOW, f"arrives at {_hhmm(arrival)}, after its time windows"
            else:
                code, why = BREAK, "its service would overlap a break"
            issues.append(Issue(code, f"Stop {stop.id} on day {day.id}: {why}.", stop.id, day.id))
        t, here = start + stop.duration, place
        visits.append(Visit(stop.id, arrival, start, t))
    back = t + problem.matrix[here][problem.end]
    if back > day.end:
        issues.append(
            Issue(
                DAY_TOO_LONG,
                f"Day {day.id} ends at {_hhmm(back)}, after {_hhmm(day.end)} (the end of its window).",
                day_id=day.id,
            )
        )
    value, _ = horizon.coverage(route)
    return DayRoute(day.id, tuple(visits), day.start, back, value)


def _every(weeks: int) -> str:
    return "a week" if weeks == 1 else f"every {weeks} weeks"


def _frequency_issues(horizon: _Horizon, served_weeks: Mapping[int, list[int]]) -> list[Issue]:
    issues = []
    indices = [w.index for w in horizon.weeks]
    for k, stop in enumerate(horizon.stops):
        visits = sorted(set(served_weeks.get(k, [])))
        previous = stop.last_served_week
        for w in visits:
            if previous is not None and w - previous < stop.min_gap_weeks:
                issues.append(
                    Issue(
                        MIN_GAP,
                        f"Stop {stop.id} is served in weeks {previous} and {w}: at most once "
                        f"{_every(stop.min_gap_weeks)}.",
                        stop.id,
                    )
                )
            previous = w
        if stop.max_gap_weeks is not None:
            last = indices[0] - 1 if stop.last_served_week is None else stop.last_served_week
            reported = None
            for w in indices:
                if w in visits:
                    last = w
                elif w - last >= stop.max_gap_weeks and reported != last:
                    reported = last
                    issues.append(
                        Issue(
                            MAX_GAP,
                            f"Stop {stop.id} is not served from week {last + 1} to week {w}: at least once "
                            f"{_every(stop.max_gap_weeks)}.",
                            stop.id,
                        )
                    )
        if stop.required:
            last = stop.last_served_week
            for w in indices:
                allowed = last is None or w - last >= stop.min_gap_weeks
                if w in visits:
                    last = w
                elif allowed and any(week.days for week in horizon.weeks if week.index == w):
                    issues.append(
                        Issue(FORCED_MISSING, f"Stop {stop.id} is forced in but not served in week {w}.", stop.id)
                    )
    return issues


# --- Instances ---------------------------------------------------------------------------------------------------

#: Keys that make a JSON instance a horizon instance (see docs/plan-tour.md).
HORIZON_STOP_KEYS = ("households", "max_gap_weeks", "min_gap_weeks", "last_served_week")
HORIZON_KEYS = ("household_weights", "manual_schedule", "rounds", "method")


@dataclass(frozen=True)
class HorizonInstance:
    """A horizon instance as read from the JSON format (see docs/plan-tour.md)."""

    depot: Depot
    stops: tuple[HorizonStop, ...]
    weeks: tuple[Week, ...]
    travel_times: MatrixTravelTimes | GreatCircleTravelTimes
    params: HorizonParams = HorizonParams()
    household_weights: Mapping[str, float] = field(default_factory=dict)
    manual_schedule: Mapping[str, tuple[str, ...]] | None = None


def is_horizon_data(data) -> bool:
    """Whether JSON data uses the horizon fields (weeks, households, frequencies, weights, manual schedule)."""
    if not isinstance(data, Mapping):
        return False
    stops = data.get("stops") if isinstance(data.get("stops"), list) else []
    days = data.get("days") if isinstance(data.get("days"), list) else []
    return (
        any(key in data for key in HORIZON_KEYS)
        or any(isinstance(s, Mapping) and any(key in s for key in HORIZON_STOP_KEYS) for s in stops)
        or any(isinstance(d, Mapping) and "week" in d for d in days)
    )


def horizon_instance_from_dict(data) -> HorizonInstance:
    """Build a :class:`HorizonInstance` from the JSON format; ``ValueError`` says what is wrong.

    The depot, travel times, stops and days are read as by :func:`planning.instance_from_dict` (a stop's ``value``
    is not needed: its households make it); days without ``week`` are in week 0.
    """
    if not isinstance(data, Mapping):
        raise ValueError("Expected a JSON object at the top level.")
    base = dict(data)
    if isinstance(data.get("stops"), list):
        base["stops"] = [{"value": 0, **s} if isinstance(s, Mapping) else s for s in data["stops"]]
    instance = instance_from_dict(base)
    stops = []
    for n, (raw, stop) in enumerate(zip(data["stops"], instance.stops, strict=True), start=1):
        households = raw.get("households", [])
        if not isinstance(households, list):
            raise ValueError(f"Expected 'households' of stop {n} to be a list of ids.")
        stops.append(
            HorizonStop(
                stop.id,
                stop.location,
                tuple(str(h) for h in households),
                stop.duration,
                stop.time_windows,
                stop.required,
                raw.get("max_gap_weeks"),
                raw.get("min_gap_weeks", 1),
                raw.get("last_served_week"),
            )
        )
    weeks: dict[int, list[Day]] = {}
    for raw, day in zip(data["days"], instance.days, strict=True):
        week = raw.get("week", 0)
        if not _is_int(week) or week < 0:
            raise ValueError(f"Expected 'week' of day {day.id} to be an integer >= 0.")
        weeks.setdefault(week, []).append(day)
    weights = data.get("household_weights", {})
    if not isinstance(weights, Mapping):
        raise ValueError("Expected 'household_weights' to be an object {household id: weight}.")
    manual = data.get("manual_schedule")
    if manual is not None:
        if not isinstance(manual, Mapping) or not all(isinstance(r, list) for r in manual.values()):
            raise ValueError("Expected 'manual_schedule' to be an object {day id: [stop ids in order]}.")
        manual = {str(d): tuple(str(s) for s in r) for d, r in manual.items()}
    params = HorizonParams(
        data.get("time_limit", 10.0), data.get("seed", 0), data.get("rounds", 3), data.get("method", "coverage")
    )
    return HorizonInstance(
        instance.depot,
        tuple(stops),
        tuple(Week(i, tuple(days)) for i, days in sorted(weeks.items())),
        instance.travel_times,
        params,
        {str(h): w for h, w in weights.items()},
        manual,
    )


def horizon_instance_to_dict(instance: HorizonInstance) -> dict:
    """The JSON format of a :class:`HorizonInstance` (times in seconds)."""
    days = [(week.index, day) for week in instance.weeks for day in week.days]
    plain = Instance(
        instance.depot,
        tuple(Stop(s.id, s.location, 0, s.duration, s.time_windows, s.required) for s in instance.stops),
        tuple(day for _, day in days),
        instance.travel_times,
        PlanParams(instance.params.time_limit, instance.params.seed),
    )
    data = instance_to_dict(plain)
    for raw, stop in zip(data["stops"], instance.stops, strict=True):
        del raw["value"]
        raw.update(
            households=list(stop.households),
            max_gap_weeks=stop.max_gap_weeks,
            min_gap_weeks=stop.min_gap_weeks,
            last_served_week=stop.last_served_week,
        )
    for raw, (week, _) in zip(data["days"], days, strict=True):
        raw["week"] = week
    data.update(
        household_weights=dict(instance.household_weights),
        rounds=instance.params.rounds,
        method=instance.params.method,
    )
    if instance.manual_schedule is not None:
        data["manual_schedule"] = {d: list(r) for d, r in instance.manual_schedule.items()}
    return data


def read_any_instance(path) -> Instance | HorizonInstance:
    """Read a JSON instance: a :class:`HorizonInstance` if it uses the horizon fields, else a planning
    :class:`Instance`; :class:`InstanceError` names the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstanceError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"{path}: not valid JSON ({exc}).") from exc
    try:
        return horizon_instance_from_dict(data) if is_horizon_data(data) else instance_from_dict(data)
    except (ValueError, TypeError) as exc:
        raise InstanceError(f"{path}: {exc}") from exc


def plan_horizon_instance(instance: HorizonInstance, params: HorizonParams | None = None) -> dict:
    """Plan a horizon instance and return the JSON-ready result, with the manual schedule's evaluation if any."""
    args = (instance.depot, instance.stops, instance.weeks, instance.travel_times)
    plan = plan_horizon(*args, params or instance.params, household_weights=instance.household_weights)
    result = plan.to_dict()
    if instance.manual_schedule is not None:
        manual = evaluate_schedule(*args, instance.manual_schedule, household_weights=instance.household_weights)
        result["manual"] = manual.to_dict()
        result["gain_over_manual"] = plan.total_coverage - manual.total_coverage
    return result
