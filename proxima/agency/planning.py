"""Tour planning of the mobile agency: which stops to serve on which day, in which order.

Pure module: nothing imported from Django. Plain data in (a depot, candidate stops, tour days, a travel-time
provider, parameters), a :class:`TourPlan` out.

The problem is prize-collecting routing with time windows (team orienteering with time windows): one route per
day, from the depot's start location to its end location (the same place unless stated), within the day's window;
each stop served at most once over the horizon; the total value of the stops served is maximised. A stop's time
windows bound the start of its service (the bus may arrive early and wait). Times are integer seconds from
midnight, values are non-negative floats.

Method: VROOM (values mapped to its integer priorities) and PyVRP (values as prizes of optional clients) search
for plans; every plan found is re-checked and re-scored here with the true values, and the best is kept
(``_keep_better``). Stops that cannot be served on any day are found up front and given a reason.

Forced stops: a stop with ``required=True`` (forced in by staff) must be served. PyVRP gets it as a required client;
VROOM, which has no mandatory jobs, gives it the top priority. Of the plans found, one serving more forced stops
always wins over one of higher value; if no engine places all forced stops together (the days are too short for
all of them), the plan keeps those it could and lists the others with the reason ``forced_unplaced``, so that the
caller sees what was given up instead of getting no plan. A forced stop that cannot be served on any day even alone
is an input error (``ValueError`` naming it). Stops forced out by staff are simply not passed to the planner.

Breaks (lunch): during a day's breaks no service may take place (the bus may drive). Each stop's service-start
windows are intersected with what the breaks allow (service ``[start, start + duration]`` overlapping no break).
The engines take one set of windows per stop, so the days of one call must have the same breaks, as far as they
lie within each day's window (a 12:00–13:30 break may be missing on a day ending at 12:00); ``ValueError``
otherwise. Plan days with other breaks in a separate call. :meth:`_Problem.schedule` checks each day's own breaks.

Search in turn: VROOM at a shallow level (about one per second of time limit, 1 to 5, at most
:data:`VROOM_SHARE` of it), then PyVRP from the better of VROOM's plan and the ``initial`` one, for all the time
left. When there are many more candidates than the days can hold (:func:`_many_candidates`), PyVRP searches among a
shortlist only (:func:`_shortlist`): the stops of that plan, the forced ones, and the most valuable others per hour
taken, :data:`PRUNE_FACTOR` times as many as the plan serves. This PyVRP searches narrower and faster
(:data:`PYVRP_NEIGHBOURS`); the second search below keeps PyVRP's defaults. PyVRP restarts from its best plan with
another seed when it stalls (:data:`NO_IMPROVEMENT_ITERATIONS`) with time left. On plans of many days, given time
enough, PyVRP gets part of that time only (:data:`DAYS_SHARE`): rounds on a few days at a time follow
(:func:`_improve_days`), each re-planning a few days among their stops and the stops left out, which finds the
exchanges of several stops between days that PyVRP's search over all days misses. Before the rounds and in their
last :data:`EXCHANGE_RESERVE` seconds, exchanges over all days at once (:func:`_exchange`): each day may drop a stop
and take another, one integer program (HiGHS) choosing the best combination, so that a chain of moves over many
days is one step; rounds again in the time those last exchanges do not take.

A second search on a free core: where the machine has two usable cores and one is free (:func:`_can_fork`: load
average, ``forkserver`` available), another process (forked from a clean ``forkserver``, never from this one: its
native threads could deadlock the child) runs VROOM at its deepest level on every stop
for the whole time limit (as VROOM alone, one thread), then, if time is left, PyVRP (seed + 1, among a longer
shortlist: :data:`CHILD_PRUNE_FACTOR`) from that plan, travel weighed more (:data:`CHILD_PRIZE_DAY_RATIO`) where
the days are spent driving more than serving (see :func:`_child_search`). With many candidates and time for rounds
on a few days, the second search is the search in turn instead, with seed + 1: deep VROOM then ends far below it.
This process then runs VROOM at level 0 (:data:`FORKED_VROOM_LEVEL`), leaving more time to its PyVRP. On a small
territory (days spent serving, few candidates: :func:`_small_territory`) the two searches are each engine alone's:
the second one is PyVRP alone (cold, this process's seed, all the time), this one VROOM at its deepest level (0.1
to 0.7 s on 50 stops; at most :data:`VROOM_SHARE` of the time limit) then PyVRP from its plan. The best plan of both processes is kept; the child has
:data:`CHILD_GRACE` seconds after the deadline to hand its plans back, else it is stopped and ignored. As with any
``multiprocessing`` program, a script calling :func:`plan_tours` needs the ``if __name__ == "__main__":`` guard:
the server imports the caller's main module (``manage.py``, the ``proxima`` command and pytest have the guard).
Last, :func:`_fill` inserts the stops left out that still fit (the engines trade small values against travel).

Measured (``benchmarks/bench_planning.py``, ``docs/planner-benchmark.md``): on 400 stops × 12 days, PyVRP among
about 80 to 100 stops does many more iterations and ends 1–3 % higher than among all 400; the forked VROOM keeps the plan
as good as VROOM alone where two cores are free and VROOM ends within the time limit on one thread (at 1 s on 150
stops × 12 days with windows it may not: VROOM alone, on two threads, then ends a few points higher). On the six
territories of 50 stops (AMD EPYC, seeds 0–3), mean gap to the best known at 1 s: 0.11 % (PyVRP alone 0.26 %,
VROOM alone 0.28 %); at 5 s: 0.04 % (PyVRP alone 0.12 %). The engines are cut off by
wall time, so a plan depends on the machine's speed and load when the time limit is reached before the search
converges: on p4.3.o at 5 s, from 1139 to 1167 between runs on one machine.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from proxima.territory.geo import distance_km

TOO_FAR = "too_far"
WINDOW_IMPOSSIBLE = "window_impossible"
LOWER_VALUE = "lower_value"
FORCED_UNPLACED = "forced_unplaced"

#: Most of the time limit VROOM may use; it usually ends earlier, and PyVRP gets all the time left.
VROOM_SHARE = 0.5
#: VROOM's exploration level is about one per second of time limit, between these bounds: a low level converges in
#: a few tenths of a second on 100 stops (level 5 needs 2–3 s), and a converged plan is a better start for PyVRP
#: than a deeper search cut short.
VROOM_LEVELS = (1, 5)
#: PyVRP stops after this many iterations without improvement (deterministic), or at the time limit.
NO_IMPROVEMENT_ITERATIONS = 20_000
#: PyVRP restarts (from its best plan, another seed) when it stalls with at least this many seconds left.
RESTART_MIN = 0.2
#: PyVRP's integer prize of the most valuable stop (the others in proportion); travel costs 1 per second, so a
#: prize outweighs the travel it takes unless it is a tiny fraction of the top value.
PRIZE_SCALE = 10_000_000
#: The forked search's PyVRP weighs travel more: its top prize is this many times the mean length of a day, so
#: it shortens routes to make room. Measured at 5 s (seeds 0–2, one process): on the Chao instances p4.3.o and
#: p7.2.q, a top prize near 10^6 (0.6 day) ended 0.1–0.2 % from the best known where PRIZE_SCALE ended 0.3–0.9 %;
#: on the generated rural instances, where stops last hours, PRIZE_SCALE ended 0.06 % and 0.6 day 0.6 %. The two
#: processes search with one each and the better plan is kept; the forked one keeps the parent's prizes where the
#: days are mostly spent serving (see :func:`_serving_dominates`): on 150 stops × 12 days with windows, 3103
#: against 3092 at 5 s (seeds 0–2).
CHILD_PRIZE_DAY_RATIO = 0.6
#: Run a second search in a forked process when the machine has two cores (see :func:`_can_fork`).
PARALLEL = True
#: Fork only if the other running processes leave a core free, within this margin (see :func:`_can_fork`).
FORK_MAX_LOAD = 0.5
#: VROOM's threads in the forked search (the parent's PyVRP takes the other core).
CHILD_VROOM_THREADS = 1
#: The forked search runs PyVRP after VROOM only if at least this many seconds are left.
CHILD_MIN_PYVRP = 0.05
#: How long after the deadline the forked search may take to hand its plans back (seconds).
CHILD_GRACE = 0.5
#: VROOM's level in this process when the second search is forked (that one runs VROOM at its deepest level, or
#: is the search in turn with this level too; on a small territory, this process takes the deepest level): on
#: 400 stops × 12 days, level 0 takes 0.4 s and gives the plan of levels 1 to 3 (2 s with two threads); PyVRP
#: gets the time saved. Measured at 5 s (seeds 0–2): 5160 against 5149 with the level of the search in turn.
FORKED_VROOM_LEVEL = 0
#: PyVRP's granular neighbourhood (nearest clients each move looks at; PyVRP's default is 50) and the number of
#: random moves that perturb a plan between two local searches (default 1 to 25): a narrower search, about six
#: times as many iterations per second, better when time is short for the instance. Only in the search in turn,
#: from a plan. Measured on PyVRP alone among the 84-stop shortlist of 400 stops × 12 days with windows, 3 s, seeds
#: 0–3: 5178 against 5150 with the defaults (Intel Xeon); on p4.3.o and p7.2.q at 1 s (AMD EPYC, seeds 0–2), 1153
#: and 1038 against 1131 and 1029. From a cold start the defaults are kept (4902 against 5143 on those 400 stops,
#: all of them, at 5 s), and in the forked search, so that the two searches differ: with the defaults there, 3166
#: against 3157 on 150 stops × 12 days at 5 s (seeds 0–2), and a mean gap of 0.28 % against 0.53 % on 18 Chao
#: instances at 5 s (seed 0).
PYVRP_NEIGHBOURS = 20
PYVRP_PERTURBATIONS = (1, 10)
#: With many more candidates than the days can hold (see :func:`_servable_bound`), PyVRP searches among
#: PRUNE_FACTOR times as many stops as a quick VROOM plan serves (at least PRUNE_MIN), the most valuable per hour
#: taken (duration + mean trip to the PRUNE_NEIGHBOURS nearest places). Measured on 400 stops × 3, 6, 12 days at
#: 5 s: factor 1.5 (about 80 stops for 12 days) ended highest, then 2, 2.5, 3, far above all 400 stops. The quick
#: VROOM plan's count stands for what the days hold.
PRUNE_FACTOR = 1.5
PRUNE_MIN = 40
#: Up to this many candidates, PyVRP searches among all: on 50 stops × 6 days with windows, the plan it finds
#: from a cold start (1038.9) has stops that a 40-stop shortlist lacks.
PRUNE_NEVER_BELOW = 60
#: The forked search's PyVRP searches among a longer shortlist (diversity: it may find stops the short one lacks).
CHILD_PRUNE_FACTOR = 3.0
PRUNE_NEIGHBOURS = 3
#: Rounds on a few days (:func:`_improve_days`): the share of PyVRP's time they take, the days of one round, the
#: time limit of one round (seconds); only on plans of at least DAYS_MIN days and with time for DAYS_MIN_ROUNDS
#: rounds. Measured on 400 stops × 12 days with windows at 5 s (Intel Xeon), mean of seeds 0–7: 5189.7 and 5189.3
#: in two runs, against 5179.3 without rounds (seeds 0–4); 4 days a round (0.15 s) 5185.6, 3 days 5188.0, 6 days
#: 5188.3 (0.2 s) and 5182.8 (0.3 s); a share of 0.5 or 0.85 within 1 of 0.7 (5184 in the parent only, 5162 with
#: all of PyVRP's time in rounds, seeds 0–4). On 150 stops × 12 days, seeds 0–5: 3164.3 against 3153.7 without
#: windows, 3099.5 against 3101.2 with. At 1 s there would be time for two or three rounds only, which cost more
#: than they gain (5114 against 5147): hence the fewest rounds.
DAYS_SHARE = 0.7
DAYS_PER_ROUND = 5
DAYS_ROUND_TIME = 0.2
DAYS_MIN = 6
DAYS_MIN_ROUNDS = 10
#: Euclidean lengths of the TOP instances are multiplied by this and rounded up to integer durations.
TOP_SCALE = 10_000
#: End of the service-start window of a stop without windows once breaks cut it (seconds; fits VROOM's 32 bits).
LATEST = 2**31 - 1
#: Exchanges over all days (:func:`_exchange`), before and after the rounds on a few days: the seconds kept for them
#: at the end, the stops a day may drop and take in one step, and the relative gap at which their integer program
#: stops (HiGHS's default, 1e-4, would accept a plan 0.5 below the best on a total of 5000). A step takes 0.1 to
#: 0.4 s on 400 stops × 12 days with windows (AMD EPYC): 1 500 variants of the days, built in 0.06 s. Measured there
#: at 5 s, seeds 0–7: 5192.5 (4 seeds reach the best known, 5197.1) against 5186.9 without exchanges and 5188.9 with
#: exchanges after the rounds only; without windows, 5191.7 against 5192.8 (seed noise). With two stops taken per
#: step, 2 400 to 4 200 variants and 1 to 3.5 s a step; with two dropped, 9 000 and 1.3 to 2.3 s: no more gain.
EXCHANGE_RESERVE = 0.5
EXCHANGE_DROP = 1
EXCHANGE_ADD = 1
EXCHANGE_GAP = 1e-9


# --- Inputs ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A place: geographic coordinates, or a row of a travel-time matrix, or both.

    Parameters
    ----------
    lat, lon
        Decimal degrees (WGS 84), used by :class:`GreatCircleTravelTimes`.
    index
        Row and column of the place in the matrix of :class:`MatrixTravelTimes`.
    """

    lat: float | None = None
    lon: float | None = None
    index: int | None = None

    def __post_init__(self):
        if (self.lat is None) != (self.lon is None):
            raise ValueError("Expected both lat and lon, or neither.")
        if self.lat is None and self.index is None:
            raise ValueError("Expected coordinates (lat, lon) or a matrix index.")
        if self.lat is not None and not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError("Expected -90 <= lat <= 90 and -180 <= lon <= 180.")
        if self.index is not None and (not isinstance(self.index, int) or self.index < 0):
            raise ValueError("Expected index to be an integer >= 0.")


@dataclass(frozen=True)
class Stop:
    """A candidate stop of the bus.

    Parameters
    ----------
    id
        Identifier, unique among the stops.
    location
        Where the stop is.
    value
        What serving it is worth (for example need-weighted households), >= 0.
    duration
        Time spent at the stop, in seconds.
    time_windows
        Windows ``(start, end)`` in seconds from midnight in which the service may start; empty: any time of the
        day's window.
    required
        Forced in by staff: every plan must serve it.
    """

    id: str
    location: Location
    value: float
    duration: int = 0
    time_windows: tuple[tuple[int, int], ...] = ()
    required: bool = False

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("Expected a non-empty string as stop id.")
        if not isinstance(self.value, int | float) or not math.isfinite(self.value) or self.value < 0:
            raise ValueError(f"Expected value >= 0 for stop {self.id}.")
        if not isinstance(self.duration, int) or self.duration < 0:
            raise ValueError(f"Expected duration to be an integer >= 0 (seconds) for stop {self.id}.")
        windows = tuple(tuple(w) for w in self.time_windows)
        for window in windows:
            if len(window) != 2 or not all(isinstance(t, int) for t in window) or not 0 <= window[0] <= window[1]:
                raise ValueError(f"Expected time windows (start, end) with 0 <= start <= end for stop {self.id}.")
        object.__setattr__(self, "time_windows", tuple(sorted(windows)))
        if not isinstance(self.required, bool):
            raise ValueError(f"Expected required to be true or false for stop {self.id}.")


@dataclass(frozen=True)
class Day:
    """A tour day: one route, leaving the depot at ``start`` at the earliest and back by ``end``.

    Parameters
    ----------
    id
        Identifier, unique among the days (for example the date).
    start, end
        The day's window, in seconds from midnight.
    breaks
        Periods ``(start, end)`` in seconds from midnight (for example lunch) when no service may take place; the
        bus may drive.
    """

    id: str
    start: int
    end: int
    breaks: tuple[tuple[int, int], ...] = ()

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("Expected a non-empty string as day id.")
        if not isinstance(self.start, int) or not isinstance(self.end, int) or not 0 <= self.start <= self.end:
            raise ValueError(f"Expected integers 0 <= start <= end for day {self.id}.")
        breaks = tuple(tuple(b) for b in self.breaks)
        for pause in breaks:
            if len(pause) != 2 or not all(isinstance(t, int) for t in pause) or not 0 <= pause[0] <= pause[1]:
                raise ValueError(f"Expected breaks (start, end) with 0 <= start <= end for day {self.id}.")
        object.__setattr__(self, "breaks", tuple(sorted(breaks)))

    def breaks_within(self, breaks: Sequence[tuple[int, int]] | None = None) -> tuple[tuple[int, int], ...]:
        """``breaks`` (default: the day's own) clipped to the day's window, merged where they overlap."""
        clipped = sorted(
            (max(a, self.start), min(b, self.end))
            for a, b in (self.breaks if breaks is None else breaks)
            if max(a, self.start) < min(b, self.end)
        )
        merged: list[tuple[int, int]] = []
        for a, b in clipped:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return tuple(merged)


@dataclass(frozen=True)
class Depot:
    """Where every route starts (``location``) and ends (``end_location``, the same place if not given)."""

    location: Location
    end_location: Location | None = None


@dataclass(frozen=True)
class PlanParams:
    """Parameters of :func:`plan_tours`.

    Parameters
    ----------
    time_limit
        Wall time budget of the search, in seconds (> 0).
    seed
        Seed of the random search (>= 0): the same inputs and seed give the same plan when the search converges
        before the time limit.
    """

    time_limit: float = 10.0
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, int | float):
            raise ValueError("Expected time_limit to be a number of seconds.")
        if not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ValueError("Expected time_limit > 0.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError("Expected seed to be an integer >= 0.")


class TravelTimes(Protocol):
    """Gives the travel times between places."""

    def durations(self, locations: Sequence[Location]) -> list[list[int]]:
        """Return the matrix of travel times in seconds, ``[i][j]`` from ``locations[i]`` to ``locations[j]``."""
        ...


@dataclass(frozen=True)
class MatrixTravelTimes:
    """Travel times read from a given square matrix of integer seconds, indexed by :attr:`Location.index`."""

    matrix: tuple[tuple[int, ...], ...]

    def __post_init__(self):
        matrix = tuple(tuple(row) for row in self.matrix)
        size = len(matrix)
        for row in matrix:
            if len(row) != size:
                raise ValueError("Expected a square travel-time matrix.")
            if not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in row):
                raise ValueError("Expected travel times to be integers >= 0 (seconds).")
        object.__setattr__(self, "matrix", matrix)

    def durations(self, locations: Sequence[Location]) -> list[list[int]]:
        rows = []
        for loc in locations:
            if loc.index is None or loc.index >= len(self.matrix):
                raise ValueError(f"Expected a matrix index below {len(self.matrix)} for every place, got {loc.index}.")
            rows.append(loc.index)
        return [[self.matrix[i][j] for j in rows] for i in rows]


@dataclass(frozen=True)
class GreatCircleTravelTimes:
    """Travel times from the great-circle distance times a detour factor, at an average speed.

    Parameters
    ----------
    detour_factor
        Road distance over great-circle distance (>= 1).
    speed_kmh
        Average speed, in km/h (> 0).
    """

    detour_factor: float = 1.3
    speed_kmh: float = 50.0

    def __post_init__(self):
        if not self.detour_factor >= 1:
            raise ValueError("Expected detour_factor >= 1.")
        if not self.speed_kmh > 0:
            raise ValueError("Expected speed_kmh > 0.")

    def durations(self, locations: Sequence[Location]) -> list[list[int]]:
        for loc in locations:
            if loc.lat is None:
                raise ValueError("Expected coordinates (lat, lon) for every place.")
        factor = self.detour_factor / self.speed_kmh * 3600
        return [[round(distance_km(a.lat, a.lon, b.lat, b.lon) * factor) for b in locations] for a in locations]


# --- Output ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """A stop served: arrival, start of service (after waiting for its window) and departure, in seconds."""

    stop_id: str
    arrival: int
    start: int
    departure: int


@dataclass(frozen=True)
class DayRoute:
    """The route of a day: the visits in order, departure from and return to the depot, in seconds."""

    day_id: str
    visits: tuple[Visit, ...]
    departure: int
    return_time: int
    value: float


@dataclass(frozen=True)
class LeftOut:
    """A stop not served, with the reason: ``too_far``, ``window_impossible``, ``lower_value`` or
    ``forced_unplaced`` (forced in, but the days cannot hold all the forced stops together)."""

    stop_id: str
    reason: str


@dataclass(frozen=True)
class TourPlan:
    """The plan: one route per day (in the order of the days), total value, stops left out, the engine kept."""

    routes: tuple[DayRoute, ...]
    total_value: float
    left_out: tuple[LeftOut, ...]
    engine: str = ""
    stats: Mapping[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """The plan as plain JSON-ready data."""
        return {
            "total_value": self.total_value,
            "days": [
                {
                    "day": r.day_id,
                    "departure": r.departure,
                    "return": r.return_time,
                    "value": r.value,
                    "stops": [
                        {"id": v.stop_id, "arrival": v.arrival, "start": v.start, "departure": v.departure}
                        for v in r.visits
                    ],
                }
                for r in self.routes
            ],
            "left_out": [{"id": lo.stop_id, "reason": lo.reason} for lo in self.left_out],
            "engine": self.engine,
        }


# --- Planning ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Inputs in index form: place 0 is the start depot, ``end`` the end depot, stop k is place ``first + k``."""

    stops: tuple[Stop, ...]
    days: tuple[Day, ...]
    matrix: list[list[int]]
    end: int
    first: int

    def __post_init__(self):
        object.__setattr__(self, "_windows", {})

    def place(self, k: int) -> int:
        return self.first + k

    def breaks(self) -> tuple[tuple[int, int], ...]:
        """The breaks of every day (merged): the engines' breaks, valid when the days' breaks are compatible."""
        every_day = Day(
            "all", 0, max((d.end for d in self.days), default=0), tuple(b for d in self.days for b in d.breaks)
        )
        return every_day.breaks_within()

    def windows(self, k: int, day: Day | None = None) -> tuple[tuple[int, int], ...] | None:
        """Service-start windows of stop ``k`` on ``day`` (default: the engines' common breaks) allowed by the
        breaks: ``()`` any time, None never."""
        breaks = self.breaks() if day is None else day.breaks_within()
        key = (k, breaks)
        if key not in self._windows:
            self._windows[key] = _break_windows(self.stops[k], breaks)
        return self._windows[key]

    def schedule(self, day: Day, route: Sequence[int]) -> DayRoute | None:
        """Earliest schedule of ``route`` (stop numbers) on ``day``, or None if it breaks a window or a break."""
        t, here, visits = day.start, 0, []
        for k in route:
            stop, place = self.stops[k], self.place(k)
            arrival = t + self.matrix[here][place]
            windows = self.windows(k, day)
            start = None if windows is None else _service_start(arrival, windows)
            if start is None:
                return None
            t, here = start + stop.duration, place
            visits.append(Visit(stop.id, arrival, start, t))
        back = t + self.matrix[here][self.end]
        if back > day.end:
            return None
        value = float(sum(self.stops[k].value for k in route))
        return DayRoute(day.id, tuple(visits), day.start, back, value)


def _break_windows(stop: Stop, breaks: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...] | None:
    """The stop's service-start windows minus the starts whose service would overlap a break: ``()`` any time (no
    windows, no breaks), None never."""
    if not breaks:
        return stop.time_windows
    windows = list(stop.time_windows or ((0, LATEST),))
    for pause_start, pause_end in breaks:
        # A service starting at s occupies [s, s + duration]: it may touch a break, not overlap it.
        last_before, first_after = pause_start - stop.duration, pause_end
        pieces = []
        for early, late in windows:
            if early <= min(late, last_before):
                pieces.append((early, min(late, last_before)))
            if max(early, first_after) <= late:
                pieces.append((max(early, first_after), late))
        windows = pieces
    return tuple(windows) or None


def _service_start(arrival: int, windows: tuple[tuple[int, int], ...]) -> int | None:
    if not windows:
        return arrival
    for early, late in windows:
        if arrival <= late:
            return max(arrival, early)
    return None


def plan_tours(
    depot: Depot,
    stops: Sequence[Stop],
    days: Sequence[Day],
    travel_times: TravelTimes,
    params: PlanParams = PlanParams(),
    *,
    engines: Sequence[str] = ("vroom", "pyvrp"),
    initial: Sequence[Sequence[str]] | None = None,
) -> TourPlan:
    """Choose the stops to serve on each day and their order, maximising the total value served.

    Parameters
    ----------
    depot
        Start (and end) of every route.
    stops
        Candidate stops, with unique ids.
    days
        Tour days, one route each, with unique ids.
    travel_times
        Travel-time provider (seconds).
    params
        Time limit (seconds) and seed.
    engines
        ``("vroom", "pyvrp")`` (default: VROOM's plan improved by PyVRP), ``("vroom",)`` or ``("pyvrp",)``: the
        engines alone, for benchmarks.
    initial
        Optional plan to start from: stop ids per day, in the order of ``days`` (for example the plan of a previous
        solve with other values). It is kept if no engine finds better, and PyVRP starts from the better of it and
        VROOM's plan. Stops that cannot be served alone are ignored.

    Returns
    -------
    TourPlan
        Routes in the order of ``days``; stops left out with their reason, in the order of ``stops``.

    Raises
    ------
    ValueError
        Invalid inputs, breaks that differ between days, or a forced stop that cannot be served on any day.
    """
    started = time.perf_counter()
    stops, days = tuple(stops), tuple(days)
    if not days:
        raise ValueError("Expected at least one day.")
    if len({s.id for s in stops}) != len(stops):
        raise ValueError("Expected unique stop ids.")
    if len({d.id for d in days}) != len(days):
        raise ValueError("Expected unique day ids.")
    if not set(engines) <= {"vroom", "pyvrp"} or not engines:
        raise ValueError("Expected engines among 'vroom' and 'pyvrp'.")
    common = Day("all", 0, max(d.end for d in days), tuple(b for d in days for b in d.breaks))
    if any(d.breaks_within() != d.breaks_within(common.breaks) for d in days):
        raise ValueError("Expected the same breaks on every day of one plan (plan days with other breaks apart).")
    if initial is not None:
        ids = {s.id: k for k, s in enumerate(stops)}
        if len(initial) != len(days) or any(i not in ids for route in initial for i in route):
            raise ValueError("Expected the initial plan to give known stop ids for each day.")

    places = [depot.location]
    if depot.end_location is not None and depot.end_location != depot.location:
        places.append(depot.end_location)
    end, first = len(places) - 1, len(places)
    places.extend(s.location for s in stops)
    problem = _Problem(stops, days, travel_times.durations(places), end, first)

    reasons, candidates = {}, []
    for k in range(len(stops)):
        reason = _precheck(problem, k)
        if reason:
            reasons[k] = reason
        else:
            candidates.append(k)
    for k, reason in reasons.items():
        if stops[k].required:
            why = "too far from the depot" if reason == TOO_FAR else "none of its time windows fits a day"
            raise ValueError(f"Stop {stops[k].id} is forced in but cannot be served on any day: {why}.")

    best: list[list[int]] = [[] for _ in days]
    engine, stats = "", {}
    if candidates:
        if initial is not None:
            routes = [[ids[i] for i in route if ids[i] not in reasons] for route in initial]
            best, engine = _keep_better(problem, best, engine, routes, "initial")
        deadline = started + params.time_limit
        if tuple(sorted(engines)) == ("pyvrp", "vroom") and _can_fork():
            # A free core: another search in another process (see _child_search), the search in turn here with
            # VROOM at FORKED_VROOM_LEVEL, or at its deepest level on a small territory (the other search is then
            # PyVRP alone); the better plan of the two is kept.
            child = _start_child(problem, candidates, deadline, params.seed + 1, best if engine else None)
            level = VROOM_LEVELS[1] if _small_territory(problem, candidates) else FORKED_VROOM_LEVEL
            best, engine = _search_in_turn(problem, candidates, engines, params, deadline, best, engine, stats, level)
            for name, routes in _join_child(child, deadline).items():
                best, engine = _keep_better(problem, best, engine, routes, name)
                stats[f"{name}_forked_value"] = _value(problem, routes)
        else:
            best, engine = _search_in_turn(problem, candidates, engines, params, deadline, best, engine, stats)

        if tuple(sorted(engines)) == ("pyvrp", "vroom"):  # the engines alone stay as they are, for comparison
            before = _value(problem, best)
            best = _fill(problem, candidates, best)
            stats["fill_value"] = _value(problem, best) - before
    routes = tuple(problem.schedule(day, route) for day, route in zip(days, best, strict=True))
    served = {k for route in best for k in route}
    for k in candidates:
        if stops[k].required:
            reasons[k] = FORCED_UNPLACED
    left_out = tuple(LeftOut(stops[k].id, reasons.get(k, LOWER_VALUE)) for k in range(len(stops)) if k not in served)
    stats["wall_time"] = time.perf_counter() - started
    total = float(sum(r.value for r in routes))
    return TourPlan(routes, total, left_out, engine, stats)


def _precheck(problem: _Problem, k: int) -> str:
    """``too_far`` if no day can hold the stop alone, ``window_impossible`` if only its windows prevent it."""
    stop, place = problem.stops[k], problem.place(k)
    go, back = problem.matrix[0][place], problem.matrix[place][problem.end]
    if all(day.start + go + stop.duration + back > day.end for day in problem.days):
        return TOO_FAR
    if all(problem.schedule(day, [k]) is None for day in problem.days):
        return WINDOW_IMPOSSIBLE
    return ""


def _value(problem: _Problem, routes: list[list[int]] | None) -> float:
    if routes is None:
        return 0.0
    return float(sum(problem.stops[k].value for route in routes for k in route))


def _valid(problem: _Problem, routes: list[list[int]]) -> bool:
    served = [k for route in routes for k in route]
    if len(served) != len(set(served)) or len(routes) != len(problem.days):
        return False
    return all(problem.schedule(day, route) is not None for day, route in zip(problem.days, routes, strict=True))


def _forced(problem: _Problem, routes: list[list[int]]) -> int:
    return sum(problem.stops[k].required for route in routes for k in route)


def _travel(problem: _Problem, routes: list[list[int]]) -> int:
    total = 0
    for route in routes:
        path = [0, *(problem.place(k) for k in route), problem.end]
        total += sum(problem.matrix[a][b] for a, b in zip(path, path[1:], strict=False))
    return total


def _keep_better(problem, best, engine, routes, name):
    """Keep ``routes`` if valid and serving more forced stops, or as many and of higher value (or equal value and
    shorter travel), than ``best``."""
    if routes is None or not _valid(problem, routes):
        return best, engine
    key_new = (_forced(problem, routes), _value(problem, routes), -_travel(problem, routes))
    key_old = (_forced(problem, best), _value(problem, best), -_travel(problem, best))
    if not engine or key_new > key_old:
        return routes, name
    return best, engine


def _fill(problem: _Problem, candidates: list[int], routes: list[list[int]]) -> list[list[int]]:
    """``routes`` with every stop left out that still fits inserted, the most valuable first, each where it adds
    the least time. The engines trade a stop's value against the travel it takes (PyVRP's objective counts
    both), so a plan may leave out a stop of small value that the days could still hold; this takes it back.

    Each stop goes where :func:`_best_insertion` puts it on each day, on the day where it adds the least travel."""
    routes = [list(route) for route in routes]
    served = {k for route in routes for k in route}
    left = sorted(
        (k for k in candidates if k not in served and problem.stops[k].value > 0),
        key=lambda k: (-problem.stops[k].value, k),
    )
    for k in left:
        best = None  # (travel added, day number, position)
        for d, (day, route) in enumerate(zip(problem.days, routes, strict=True)):
            found = _best_insertion(problem, day, route, k, _slack(problem, day, route))
            if found is not None and (best is None or found[1] < best[0]):
                best = (found[1], d, found[0])
        if best is not None:
            routes[best[1]].insert(best[2], k)
    return routes


def _slack(problem: _Problem, day: Day, route: Sequence[int]) -> int | None:
    """The time an insertion into ``route`` may take on ``day``: the time left before the end of the day plus the
    waits for windows (which it may absorb); None if the route does not fit the day."""
    scheduled = problem.schedule(day, route)
    if scheduled is None:
        return None
    return day.end - scheduled.return_time + sum(v.start - v.arrival for v in scheduled.visits)


def _best_insertion(
    problem: _Problem, day: Day, route: list[int], k: int, slack: int | None
) -> tuple[int, int] | None:
    """Where stop ``k`` fits in ``route`` on ``day`` adding the least travel: (position, travel added), or None.

    An insertion adds the stop's duration and some travel: it can fit only if both together are at most ``slack``
    (:func:`_slack`); only those positions are scheduled in full."""
    if slack is None:
        return None
    matrix, place, duration = problem.matrix, problem.place(k), problem.stops[k].duration
    path = [0, *(problem.place(j) for j in route), problem.end]
    best = None
    for i, (a, b) in enumerate(zip(path, path[1:], strict=False)):
        extra = matrix[a][place] + matrix[place][b] - matrix[a][b]
        if extra + duration > slack or (best is not None and extra >= best[1]):
            continue
        if problem.schedule(day, [*route[:i], k, *route[i:]]) is not None:
            best = (i, extra)
    return best


def _search_in_turn(problem, candidates, engines, params, deadline, best, engine, stats, level=None):
    """One process: VROOM (a shallow level when PyVRP follows, ``level`` if given), then PyVRP from the better plan
    so far."""
    vroom_routes = None
    if "vroom" in engines:
        if "pyvrp" in engines:
            budget = params.time_limit * VROOM_SHARE
            level = _vroom_level(params.time_limit) if level is None else level
        else:  # VROOM alone: the whole time limit, the deepest level
            budget, level = params.time_limit, VROOM_LEVELS[1]
        vroom_routes = _solve_vroom(problem, candidates, budget, level)
        best, engine = _keep_better(problem, best, engine, vroom_routes, "vroom")
        stats["vroom_value"] = _value(problem, vroom_routes)
    if "pyvrp" in engines:
        remaining = max(deadline - time.perf_counter(), 0.01)
        warm = best if engine else vroom_routes
        shortlist, many = candidates, _many_candidates(problem, candidates)
        if warm is not None and many:
            shortlist = _shortlist(problem, candidates, warm)
        stats["pyvrp_stops"] = len(shortlist)
        by_days = "vroom" in engines and _rounds_fit(problem, remaining * DAYS_SHARE)
        pyvrp_time = remaining * (1 - DAYS_SHARE) if by_days else remaining
        pyvrp_routes = _solve_pyvrp(problem, shortlist, pyvrp_time, params.seed, warm, tuned=True)
        best, engine = _keep_better(problem, best, engine, pyvrp_routes, "pyvrp")
        stats["pyvrp_value"] = _value(problem, pyvrp_routes)
        if by_days:
            if many:
                shortlist = _shortlist(problem, candidates, best)
            # Exchanges over all days from PyVRP's plan, rounds on a few days, exchanges again from their plan.
            exchanged = _exchange(problem, shortlist, best, deadline - EXCHANGE_RESERVE)
            days_routes = _improve_days(problem, shortlist, exchanged, deadline - EXCHANGE_RESERVE, params.seed)
            best, engine = _keep_better(problem, best, engine, days_routes, "pyvrp")
            stats["days_value"] = _value(problem, days_routes)
            exchanged = _exchange(problem, shortlist, best, deadline)
            best, engine = _keep_better(problem, best, engine, exchanged, "pyvrp")
            stats["exchange_value"] = _value(problem, exchanged)
            if deadline - time.perf_counter() > DAYS_ROUND_TIME:  # the time the exchanges did not take
                # Another seed: other days drawn than in the first rounds.
                days_routes = _improve_days(problem, shortlist, best, deadline, params.seed + 1)
                best, engine = _keep_better(problem, best, engine, days_routes, "pyvrp")
    return best, engine


def _rounds_fit(problem: _Problem, seconds: float) -> bool:
    """Whether rounds on a few days (:func:`_improve_days`) are worth ``seconds``: at least :data:`DAYS_MIN` days, and
    time for :data:`DAYS_MIN_ROUNDS` rounds."""
    return len(problem.days) >= DAYS_MIN and seconds >= DAYS_MIN_ROUNDS * DAYS_ROUND_TIME


def _improve_days(
    problem: _Problem, candidates: list[int], routes: list[list[int]], deadline: float, seed: int
) -> list[list[int]]:
    """``routes`` improved a few days at a time until ``deadline``: each round draws :data:`DAYS_PER_ROUND` days at
    random and lets PyVRP (:data:`DAYS_ROUND_TIME` seconds, from those days' routes) re-plan them among their own
    stops and the ``candidates`` no day serves; the new routes replace the old ones if :func:`_keep_better` prefers
    them, the other days staying as they are.

    PyVRP's search over all days moves one or two stops at a time and, on 12 days of 5 stops, often ends where
    a better plan needs several stops exchanged between days and with the stops left out at once (4 for 4 on 400
    stops × 12 days with windows); on a few days it finds such exchanges within a fraction of a second."""
    rng = random.Random(seed)
    routes = [list(route) for route in routes]
    count = min(DAYS_PER_ROUND, len(problem.days))
    round_seed = seed
    while deadline - time.perf_counter() > DAYS_ROUND_TIME / 2:
        chosen = sorted(rng.sample(range(len(problem.days)), count))
        served = {k for route in routes for k in route}
        stops = sorted({k for d in chosen for k in routes[d]} | {k for k in candidates if k not in served})
        part = _Problem(
            problem.stops, tuple(problem.days[d] for d in chosen), problem.matrix, problem.end, problem.first
        )
        old = [routes[d] for d in chosen]
        round_seed += 2  # the seeds of one search step by 2 (see _solve_pyvrp)
        limit = min(DAYS_ROUND_TIME, deadline - time.perf_counter())
        new = _solve_pyvrp(part, stops, limit, round_seed, old, tuned=True) if stops else None
        kept, engine = _keep_better(part, old, "old", new, "new")
        if engine == "new":
            for d, route in zip(chosen, kept, strict=True):
                routes[d] = route
    return routes


def _exchange(problem: _Problem, candidates: list[int], routes: list[list[int]], deadline: float) -> list[list[int]]:
    """``routes`` improved by exchanges over all days at once, step after step until a step finds nothing better or
    ``deadline``. In one step each day may keep its route, drop one of its stops, take one more stop (left out, or
    served on another day), or both (:func:`_day_variants`); an integer program over all these variants picks one
    per day, each stop served at most once and the forced ones kept, for the most value (then the least travel).

    A move that chains many days (day A takes a stop left out and drops x, day B takes x and drops y, and so on) is
    one step: PyVRP's search and the rounds on a few days move one or two stops, or re-plan a few days, at a time,
    and end where such a chain would still gain (on 400 stops × 12 days with windows, 5185.9 → 5197.1 in one step).
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csc_array

    routes = [list(route) for route in routes]
    top = max((problem.stops[k].value for k in candidates), default=0.0) or 1.0
    longest = sum(day.end - day.start for day in problem.days) or 1
    while deadline - time.perf_counter() > 0:
        columns = []  # (day, route, travel)
        for d, route in enumerate(routes):
            columns.extend((d, variant, travel) for variant, travel in _day_variants(problem, d, route, candidates))
            if time.perf_counter() > deadline:
                return routes
        served = {k for route in routes for k in route}
        stops = sorted({k for _, variant, _ in columns for k in variant})
        row = {k: len(routes) + i for i, k in enumerate(stops)}
        cells, rows, cols = [], [], []
        objective = np.empty(len(columns))
        for j, (d, variant, travel) in enumerate(columns):
            # Travel counts less than a millionth of the top value over all days: value first, then travel.
            value = sum(problem.stops[k].value for k in variant)
            objective[j] = -(value / top - 1e-6 * travel / longest)
            for r in (d, *(row[k] for k in variant)):
                rows.append(r)
                cols.append(j)
                cells.append(1.0)
        matrix = csc_array((cells, (rows, cols)), shape=(len(routes) + len(stops), len(columns)))
        lower = [1.0] * len(routes) + [float(problem.stops[k].required and k in served) for k in stops]
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        result = milp(
            objective,
            constraints=LinearConstraint(matrix, lower, 1.0),
            integrality=np.ones(len(columns)),
            bounds=Bounds(0, 1),
            options={"time_limit": remaining, "mip_rel_gap": EXCHANGE_GAP},
        )
        if result.x is None:
            break
        new = [list(route) for route in routes]
        for j in np.flatnonzero(result.x > 0.5):
            new[columns[j][0]] = columns[j][1]
        kept, engine = _keep_better(problem, routes, "old", new, "new")
        if engine != "new":
            break
        routes = kept
    return routes


def _day_variants(problem: _Problem, d: int, route: list[int], candidates: list[int]) -> list[tuple[list[int], int]]:
    """The routes of :func:`_exchange` for day ``d`` (with their travel): ``route``, ``route`` without one of its
    stops, and each of these with one more of the ``candidates`` inserted where it adds the least travel; one route
    per set of stops, the shortest."""
    day = problem.days[d]
    variants: dict[frozenset[int], tuple[list[int], int]] = {}

    def keep(seq: list[int], travel: int) -> None:
        key = frozenset(seq)
        if key not in variants or variants[key][1] > travel:
            variants[key] = (seq, travel)

    def insertions(base: list[int], travel: int, after: int) -> list[tuple[list[int], int, int]]:
        """``base`` with one more stop, numbered above ``after`` (each set once), where it adds the least travel:
        (route, travel, stop added)."""
        found, slack = [], _slack(problem, day, base)
        for k in candidates:
            if k in route or k <= after:
                continue
            inserted = _best_insertion(problem, day, base, k, slack)
            if inserted is not None:
                i, extra = inserted
                found.append(([*base[:i], k, *base[i:]], travel + extra, k))
        return found

    bases = [route]
    for _ in range(EXCHANGE_DROP):
        bases += [b[:i] + b[i + 1 :] for b in bases for i in range(len(b))]
    bases = list({frozenset(b): b for b in bases}.values())
    for base in bases:
        if problem.schedule(day, base) is None:
            continue
        level = [(base, _travel(problem, [base]), -1)]
        keep(*level[0][:2])
        for _ in range(EXCHANGE_ADD):
            level = [found for seq, travel, after in level for found in insertions(seq, travel, after)]
            for seq, travel, _ in level:
                keep(seq, travel)
    return list(variants.values())


def _servable_bound(problem: _Problem, candidates: list[int]) -> int:
    """An upper bound on the number of stops a plan can serve: each takes at least its duration plus the shortest
    trip into it, and all days together last ``sum(end - start)``."""
    total = sum(day.end - day.start for day in problem.days)
    places = [0, *(problem.place(k) for k in candidates)]
    costs = []
    for k in candidates:
        p = problem.place(k)
        costs.append(problem.stops[k].duration + min(problem.matrix[q][p] for q in places if q != p))
    count = 0
    for cost in sorted(costs):
        total -= cost
        if total < 0:
            break
        count += 1
    return count


def _many_candidates(problem: _Problem, candidates: list[int]) -> bool:
    """Whether there are more than :data:`PRUNE_NEVER_BELOW` candidates and many more than the days can hold
    (:data:`PRUNE_FACTOR` times the bound)."""
    many = _servable_bound(problem, candidates) * PRUNE_FACTOR < len(candidates)
    return len(candidates) > PRUNE_NEVER_BELOW and many


def _shortlist(
    problem: _Problem, candidates: list[int], plan: list[list[int]], factor: float | None = None
) -> list[int]:
    """The stops of ``plan``, the forced ones and the most promising others, :data:`PRUNE_FACTOR` times as many as ``plan`` serves
    (at least :data:`PRUNE_MIN`): by value per time taken, the time being the stop's duration plus the mean trip to
    its :data:`PRUNE_NEIGHBOURS` nearest places (other stops or the depot)."""
    served = {k for route in plan for k in route} | {k for k in candidates if problem.stops[k].required}
    keep = max(PRUNE_MIN, math.ceil((factor or PRUNE_FACTOR) * len(served)))
    if len(candidates) <= keep:
        return candidates
    places = [0, *(problem.place(k) for k in candidates)]
    scores = {}
    for k in candidates:
        p = problem.place(k)
        near = heapq.nsmallest(
            PRUNE_NEIGHBOURS, ((problem.matrix[p][q] + problem.matrix[q][p]) / 2 for q in places if q != p)
        )
        scores[k] = problem.stops[k].value / (problem.stops[k].duration + sum(near) / len(near) + 1)
    ranked = sorted((k for k in candidates if k not in served), key=lambda k: -scores[k])
    return sorted(served | set(ranked[: max(0, keep - len(served))]))


def _running_elsewhere() -> float:
    """How many other processes are running now: the fewest of three readings of ``/proc/loadavg`` (runnable
    processes, this one included, minus one), 10 ms apart; else the load average of the last minute, less this one.
    An instant reading, unlike the load average, does not count this planner's own forked searches of a moment ago.
    """
    try:
        readings = []
        for attempt in range(3):
            if attempt:
                time.sleep(0.01)
            with open("/proc/loadavg", encoding="ascii") as f:
                readings.append(int(f.read().split()[3].split("/")[0]) - 1)
        return float(min(readings))
    except (OSError, ValueError, IndexError):
        return max(os.getloadavg()[0] - 1, 0.0) if hasattr(os, "getloadavg") else 0.0


def _can_fork() -> bool:
    """Whether a second search may run in another process: two usable cores, one of them free (at most
    ``cores - 2 +`` :data:`FORK_MAX_LOAD` other processes running, :func:`_running_elsewhere`), and the
    ``forkserver`` start method available. The child is forked from a fresh single-threaded server process, never
    from this one: a child forked from a process whose native threads (VROOM's, BLAS's) hold a lock deadlocks."""
    import multiprocessing

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = _running_elsewhere()
    return (
        PARALLEL
        and cores >= 2
        and busy <= cores - 2 + FORK_MAX_LOAD  # else two searches would share one core and both end lower
        and "forkserver" in multiprocessing.get_all_start_methods()
    )


def _child_search(connection, problem, candidates, deadline, seed, initial) -> None:
    """The forked search: VROOM at its deepest level on every candidate (as VROOM alone), then PyVRP (seed + 1,
    among the longer shortlist when there are many candidates, with PyVRP's defaults) from the better of VROOM's
    plan and ``initial``. With many candidates and time for rounds on a few days (:func:`_rounds_fit`), the search
    in turn instead, as the parent's but with seed + 1. On a small territory (:func:`_small_territory`), PyVRP
    alone instead: cold, with the parent's seed, for all the time.

    PyVRP weighs travel more (:data:`CHILD_PRIZE_DAY_RATIO`) unless the days are mostly spent serving
    (:func:`_serving_dominates`); then it weighs prizes as the parent does."""
    try:
        found = {}
        many = _many_candidates(problem, candidates)
        if not many and _serving_dominates(problem, candidates):  # a small territory (_small_territory)
            # PyVRP alone, as the engine alone runs: all the time, cold, the parent's seed. The parent runs VROOM at
            # its deepest level (as VROOM alone) then PyVRP from it: the plan kept holds its own against each engine
            # alone, which on 50 stops × 12 days at 1 s a forked VROOM then PyVRP did not (1408.5 against PyVRP
            # alone's 1409.3, seeds 0–3).
            remaining = max(deadline - time.perf_counter(), 0.01)
            found["pyvrp"] = _solve_pyvrp(problem, candidates, remaining, seed - 1, None)
            connection.send(found)
            return
        if many and _rounds_fit(problem, (deadline - time.perf_counter()) * DAYS_SHARE):
            # VROOM at its deepest level is far below what PyVRP then rounds on a few days reach (5126 against
            # 5180 and more on 400 stops × 12 days with windows): a second search as the parent's, another seed.
            params = PlanParams(max(deadline - time.perf_counter(), 0.01), seed)
            start = initial or [[] for _ in problem.days]
            found["pyvrp"], _ = _search_in_turn(
                problem,
                candidates,
                ("vroom", "pyvrp"),
                params,
                deadline,
                start,
                "initial" if initial else "",
                {},
                FORKED_VROOM_LEVEL,
            )
            connection.send(found)
            return
        # One thread: the other core runs this process's parent's PyVRP.
        vroom_routes = _solve_vroom(
            problem, candidates, max(deadline - time.perf_counter(), 0.01), VROOM_LEVELS[1], CHILD_VROOM_THREADS
        )
        found["vroom"] = vroom_routes
        warm, _ = _keep_better(
            problem, initial or [[] for _ in problem.days], "initial" if initial else "", vroom_routes, "v"
        )
        remaining = deadline - time.perf_counter()
        if remaining > CHILD_MIN_PYVRP:
            shortlist = _shortlist(problem, candidates, warm, CHILD_PRUNE_FACTOR) if many else candidates
            if _serving_dominates(problem, candidates):
                prize_scale = None  # prizes weighed as in the parent
            else:
                day_length = sum(day.end - day.start for day in problem.days) / len(problem.days)
                prize_scale = max(1000, round(CHILD_PRIZE_DAY_RATIO * day_length))
            found["pyvrp"] = _solve_pyvrp(problem, shortlist, remaining, seed, warm, prize_scale)
        connection.send(found)
    finally:
        connection.close()


def _serving_dominates(problem: _Problem, candidates: list[int]) -> bool:
    """Whether the stops last longer, on average, than the trip to them from their nearest place (another stop or
    the depot): the days are then mostly spent serving (the rural territories: stops of hours, trips of minutes)
    rather than driving (the TOP instances: no service time)."""
    places = [0, *(problem.place(k) for k in candidates)]
    durations = trips = 0
    for k in candidates:
        p = problem.place(k)
        durations += problem.stops[k].duration
        trips += min(problem.matrix[q][p] for q in places if q != p)
    return durations >= trips


def _small_territory(problem: _Problem, candidates: list[int]) -> bool:
    """Whether the days are mostly spent serving (:func:`_serving_dominates`) and the candidates are few
    (:func:`_many_candidates`): a small territory, where VROOM at its deepest level takes less than a second (0.1
    to 0.7 s on 50 stops)."""
    return not _many_candidates(problem, candidates) and _serving_dominates(problem, candidates)


def _start_child(problem, candidates, deadline, seed, initial):
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    # The server imports the engines once; each search it forks then starts at once.
    context.set_forkserver_preload(["proxima.agency.planning", "vroom", "pyvrp"])
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_search, args=(sender, problem, candidates, deadline, seed, initial))
    process.daemon = True
    process.start()
    sender.close()
    return process, receiver


def _join_child(child, deadline) -> dict[str, list[list[int]] | None]:
    """The child's plans, waiting at most until shortly after the deadline (then it is stopped: nothing kept)."""
    process, receiver = child
    found = {}
    try:
        if receiver.poll(max(deadline - time.perf_counter(), 0) + CHILD_GRACE):
            found = receiver.recv()
    except (EOFError, OSError):
        found = {}
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()  # SIGKILL: a child stuck in native code ignores SIGTERM's Python handler
        process.join(CHILD_GRACE)
    return found


def _vroom_level(time_limit: float) -> int:
    """VROOM's exploration level for a time limit in seconds: one per second, within :data:`VROOM_LEVELS`."""
    low, high = VROOM_LEVELS
    return min(high, max(low, math.floor(time_limit)))


def _solve_vroom(
    problem: _Problem, candidates: list[int], time_limit: float, level: int, threads: int = 2
) -> list[list[int]] | None:
    """VROOM with the values mapped to priorities 1–100 (0 for a value of 0); routes as lists of stop numbers."""
    import vroom

    top = max(problem.stops[k].value for k in candidates) or 1.0
    top_priority = 99 if any(problem.stops[k].required for k in candidates) else 100  # 100: forced stops
    vrp = vroom.Input()
    vrp.set_durations_matrix("car", problem.matrix)
    for d, day in enumerate(problem.days):
        vrp.add_vehicle(vroom.Vehicle(d, start=0, end=problem.end, time_window=(day.start, day.end)))
    for k in candidates:
        stop = problem.stops[k]
        priority = 0 if stop.value <= 0 else max(1, round(top_priority * stop.value / top))
        priority = 100 if stop.required else priority
        vrp.add_job(
            vroom.Job(
                k,
                location=problem.place(k),
                default_service=stop.duration,
                priority=priority,
                time_windows=[vroom.TimeWindow(a, b) for a, b in problem.windows(k)],
            )
        )
    solution = vrp.solve(exploration_level=level, nb_threads=threads, timeout=timedelta(seconds=time_limit)).to_dict()
    routes: list[list[int]] = [[] for _ in problem.days]
    for route in solution.get("routes", []):
        routes[route["vehicle"]] = [step["id"] for step in route["steps"] if step["type"] == "job"]
    return routes


def _solve_pyvrp(
    problem, candidates, time_limit, seed, initial, prize_scale=None, tuned=False
) -> list[list[int]] | None:
    """PyVRP, values as prizes of optional clients (the top one ``prize_scale``, default :data:`PRIZE_SCALE`), one
    client per time window (a group when several); if ``tuned`` and starting from ``initial``, the narrower search
    of :data:`PYVRP_NEIGHBOURS`, else PyVRP's defaults."""
    import pyvrp
    from pyvrp.search import NeighbourhoodParams, PerturbationParams
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    model = pyvrp.Model()
    size = len(problem.matrix)
    locations = [model.add_location(x=0, y=0) for _ in range(size)]
    start_depot = model.add_depot(locations[0])
    end_depot = model.add_depot(locations[problem.end]) if problem.end != 0 else start_depot
    top = max(problem.stops[k].value for k in candidates) or 1.0
    scale = prize_scale or PRIZE_SCALE
    clients = []  # (stop number, window or None), in the order of PyVRP's client indices
    for k in candidates:
        stop = problem.stops[k]
        prize = round(stop.value / top * scale)
        windows = problem.windows(k) or (None,)
        group = model.add_client_group(required=stop.required) if len(windows) > 1 else None
        for window in windows:
            tw = {} if window is None else {"tw_early": window[0], "tw_late": window[1]}
            model.add_client(
                locations[problem.place(k)],
                service_duration=stop.duration,
                prize=prize,
                required=stop.required and group is None,
                group=group,
                **tw,
            )
            clients.append((k, window))
    for day in problem.days:
        model.add_vehicle_type(
            num_available=1,
            start_depot=start_depot,
            end_depot=end_depot,
            tw_early=day.start,
            tw_late=day.end,
            unit_distance_cost=1,
        )
    # The matrix is given whole: one add_edge per pair takes a third of a second on 400 stops.
    import numpy as np

    matrix = np.asarray(problem.matrix, dtype=np.int64)
    data = model.data()
    data = data.replace(distance_matrices=[matrix], duration_matrices=[matrix])

    init = None
    if initial is not None:
        index = {}
        for c, (k, window) in enumerate(clients):
            index.setdefault(k, []).append((c, window))
        pyvrp_routes = []
        for d, (day, route) in enumerate(zip(problem.days, initial, strict=True)):
            scheduled = problem.schedule(day, route)
            if not route or scheduled is None:
                continue
            visits = []
            for k, visit in zip(route, scheduled.visits, strict=True):
                options = index[k]
                chosen = next((c for c, w in options if w is None or w[0] <= visit.start <= w[1]), options[0][0])
                visits.append(chosen)
            pyvrp_routes.append(pyvrp.Route(data, visits, d))
        init = pyvrp.Solution(data, pyvrp_routes)

    # When the search stalls before the time limit, it restarts from the best plan with another seed (the seeds of
    # one search step by 2: the forked search starts at seed + 1, or at the parent's seed from a cold start).
    solve_params = pyvrp.SolveParams()
    if init is not None and tuned:
        solve_params = pyvrp.SolveParams(
            neighbourhood=NeighbourhoodParams(num_neighbours=PYVRP_NEIGHBOURS),
            perturbation=PerturbationParams(*PYVRP_PERTURBATIONS),
        )
    deadline, best = time.perf_counter() + time_limit, None
    while True:
        remaining = max(deadline - time.perf_counter(), 0.01)
        stop = MultipleCriteria([MaxRuntime(remaining), NoImprovement(NO_IMPROVEMENT_ITERATIONS)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PenaltyBoundWarning: an infeasible result is discarded below
            result = pyvrp.solve(
                data,
                stop=stop,
                seed=seed,
                collect_stats=False,
                display=False,
                params=solve_params,
                initial_solution=init,
            )
        if result.best.is_feasible() and (best is None or result.cost() < best.cost()):
            best = result
        if deadline - time.perf_counter() < RESTART_MIN or best is None:
            break
        seed, init = seed + 2, best.best
    if best is None:
        return None
    routes: list[list[int]] = [[] for _ in problem.days]
    for route in best.best.routes():
        routes[route.vehicle_type()] = [clients[a.idx][0] for a in route.schedule() if a.is_client()]
    return routes


# --- Instances ---------------------------------------------------------------------------------------------------


class InstanceError(ValueError):
    """An instance file that cannot be read: the message names the file and what is wrong."""


def read_top_instance(path) -> tuple[Depot, tuple[Stop, ...], tuple[Day, ...], MatrixTravelTimes]:
    """Read a team orienteering instance of Chao, Golden and Wasil (1996).

    Parameters
    ----------
    path
        File with lines ``n;N``, ``m;M``, ``tmax;T`` then ``x;y;score`` per point (separator ``;`` or white space);
        the first point is the start, the last the end.

    Returns
    -------
    tuple
        The depot (start and end), the stops (ids are the point numbers, from 1), M days of window
        ``[0, T × TOP_SCALE]`` and the Euclidean lengths × ``TOP_SCALE`` rounded up, as a matrix (so every plan
        found is feasible with the exact lengths). Stop durations are 0.
    """
    path = Path(path)
    try:
        lines = [line.replace(";", " ").split() for line in path.read_text().splitlines() if line.strip()]
        header = {line[0]: line[1] for line in lines[:3]}
        n, m, tmax = int(header["n"]), int(header["m"]), float(header["tmax"])
        points = [(float(x), float(y), float(score)) for x, y, score in lines[3 : 3 + n]]
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise InstanceError(f"{path}: not a TOP instance ({exc}).") from exc
    if len(points) != n or n < 2:
        raise InstanceError(f"{path}: expected {n} points, found {len(points)}.")
    matrix = tuple(
        tuple(math.ceil(math.hypot(a[0] - b[0], a[1] - b[1]) * TOP_SCALE - 1e-6) for b in points) for a in points
    )
    depot = Depot(Location(index=0), Location(index=n - 1))
    stops = tuple(Stop(str(i), Location(index=i), points[i][2]) for i in range(1, n - 1))
    days = tuple(Day(f"path-{d + 1}", 0, math.floor(tmax * TOP_SCALE + 1e-6)) for d in range(m))
    return depot, stops, days, MatrixTravelTimes(matrix)


@dataclass(frozen=True)
class Instance:
    """A planning instance as read from the JSON format (see docs/plan-tour.md)."""

    depot: Depot
    stops: tuple[Stop, ...]
    days: tuple[Day, ...]
    travel_times: MatrixTravelTimes | GreatCircleTravelTimes
    params: PlanParams = PlanParams()


def _seconds(value, what: str) -> int:
    """Seconds from an integer or an ``"HH:MM"`` / ``"HH:MM:SS"`` string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        parts = value.split(":")
        if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
            h, mnt, s = (int(p) for p in [*parts, "0"][:3])
            if mnt < 60 and s < 60:
                return h * 3600 + mnt * 60 + s
    raise ValueError(f"Expected {what} as seconds or 'HH:MM', got {value!r}.")


def _location(data, what: str) -> Location:
    if not isinstance(data, Mapping):
        raise ValueError(f"Expected {what} to be an object.")
    try:
        return Location(lat=data.get("lat"), lon=data.get("lon"), index=data.get("index"))
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def instance_from_dict(data) -> Instance:
    """Build an :class:`Instance` from the JSON format; ``ValueError`` says what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("Expected a JSON object at the top level.")
    for key in ("depot", "stops", "days"):
        if key not in data:
            raise ValueError(f"Expected the key '{key}'.")
    depot_data = data["depot"]
    depot = Depot(
        _location(depot_data, "depot"),
        _location(depot_data["end"], "depot end") if isinstance(depot_data, Mapping) and "end" in depot_data else None,
    )
    if not isinstance(data["stops"], list) or not isinstance(data["days"], list):
        raise ValueError("Expected 'stops' and 'days' to be lists.")
    stops = []
    for n, s in enumerate(data["stops"], start=1):
        what = f"stop {n}"
        if not isinstance(s, Mapping) or "id" not in s or "value" not in s:
            raise ValueError(f"Expected {what} to be an object with 'id' and 'value'.")
        windows = tuple(
            (_seconds(w[0], f"{what} window start"), _seconds(w[1], f"{what} window end"))
            for w in s.get("time_windows", [])
        )
        stops.append(
            Stop(
                str(s["id"]),
                _location(s, what),
                s["value"],
                _seconds(s.get("duration", 0), f"{what} duration"),
                windows,
                s.get("required", False),
            )
        )
    days = []
    for n, d in enumerate(data["days"], start=1):
        if not isinstance(d, Mapping) or not {"id", "start", "end"} <= d.keys():
            raise ValueError(f"Expected day {n} to be an object with 'id', 'start' and 'end'.")
        breaks = d.get("breaks", [])
        if not isinstance(breaks, list) or not all(isinstance(b, list) and len(b) == 2 for b in breaks):
            raise ValueError(f"Expected the breaks of day {n} to be a list of [start, end].")
        breaks = tuple((_seconds(a, f"day {n} break start"), _seconds(b, f"day {n} break end")) for a, b in breaks)
        start, end = _seconds(d["start"], f"day {n} start"), _seconds(d["end"], f"day {n} end")
        days.append(Day(str(d["id"]), start, end, breaks))
    travel = data.get("travel_times", {"great_circle": {}})
    if isinstance(travel, Mapping) and "matrix" in travel:
        travel_times = MatrixTravelTimes(travel["matrix"])
    elif isinstance(travel, Mapping) and "great_circle" in travel and isinstance(travel["great_circle"], Mapping):
        travel_times = GreatCircleTravelTimes(**travel["great_circle"])
    else:
        raise ValueError("Expected 'travel_times' to hold 'matrix' or 'great_circle'.")
    params = PlanParams(data.get("time_limit", 10.0), data.get("seed", 0))
    return Instance(depot, tuple(stops), tuple(days), travel_times, params)


def _location_dict(loc: Location) -> dict:
    return {k: v for k, v in (("lat", loc.lat), ("lon", loc.lon), ("index", loc.index)) if v is not None}


def instance_to_dict(instance: Instance) -> dict:
    """The JSON format of an :class:`Instance` (times in seconds)."""
    depot = _location_dict(instance.depot.location)
    if instance.depot.end_location is not None:
        depot["end"] = _location_dict(instance.depot.end_location)
    tt = instance.travel_times
    if isinstance(tt, MatrixTravelTimes):
        travel = {"matrix": [list(row) for row in tt.matrix]}
    else:
        travel = {"great_circle": {"detour_factor": tt.detour_factor, "speed_kmh": tt.speed_kmh}}
    return {
        "depot": depot,
        "travel_times": travel,
        "stops": [
            {
                "id": s.id,
                **_location_dict(s.location),
                "value": s.value,
                "duration": s.duration,
                "time_windows": [list(w) for w in s.time_windows],
                "required": s.required,
            }
            for s in instance.stops
        ],
        "days": [
            {"id": d.id, "start": d.start, "end": d.end, "breaks": [list(b) for b in d.breaks]} for d in instance.days
        ],
        "time_limit": instance.params.time_limit,
        "seed": instance.params.seed,
    }


def read_instance(path) -> Instance:
    """Read a JSON instance; :class:`InstanceError` names the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstanceError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"{path}: not valid JSON ({exc}).") from exc
    try:
        return instance_from_dict(data)
    except (ValueError, TypeError) as exc:
        raise InstanceError(f"{path}: {exc}") from exc


def write_instance(instance: Instance, path) -> None:
    """Write an :class:`Instance` in the JSON format."""
    Path(path).write_text(json.dumps(instance_to_dict(instance), indent=2) + "\n", encoding="utf-8")
