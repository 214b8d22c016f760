"""OR-Tools baseline of the tour planner's benchmark (``bench_planning.py``): benchmark only, not used by Proxima.

The classic OR-Tools model of prize-collecting routing with time windows: one vehicle per tour day from the depot
to its end, arc cost = travel time, a time dimension (transit = service at the origin + travel) with the day's
window on the vehicle's start and end and the stop's windows on its arrival (several windows: their hull minus
the gaps; the bus may wait, as in the planner), and one disjunction per stop whose penalty is its value, scaled
so that any value outweighs the longest day's travel (the prize comes first, travel breaks ties). First solution
by parallel cheapest insertion (the cheapest arc found no plan, or a poor one, on the generated instances with
windows), then guided local search until the time limit. Travel and transit matrices are registered on the C++
side (``RegisterTransitMatrix``): Python callbacks would be the bottleneck.

Needs ``ortools`` (``pip install -e '.[bench]'``).
"""

import time
from collections.abc import Sequence

from proxima.agency.planning import Day, Depot, Stop, TravelTimes


def solve_ortools(
    depot: Depot, stops: Sequence[Stop], days: Sequence[Day], travel_times: TravelTimes, time_limit: float
) -> list[list[str]]:
    """Routes (stop ids in order, one list per day) found by OR-Tools within ``time_limit`` seconds (wall time,
    model building included); empty routes if it found no solution."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    stops, days = list(stops), list(days)
    places = [depot.location, depot.end_location or depot.location] + [s.location for s in stops]
    matrix = travel_times.durations(places)
    first = 2  # place 0: start, 1: end, stop k: place k + 2
    manager = pywrapcp.RoutingIndexManager(len(places), len(days), [0] * len(days), [1] * len(days))
    routing = pywrapcp.RoutingModel(manager)
    service = [0, 0] + [s.duration for s in stops]

    # Matrices registered on the C++ side: Python callbacks would be called millions of times.
    cost = routing.RegisterTransitMatrix([list(row) for row in matrix])
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    transit = routing.RegisterTransitMatrix([[service[a] + t for t in row] for a, row in enumerate(matrix)])
    horizon = max(d.end for d in days)
    routing.AddDimension(transit, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for v, day in enumerate(days):
        time_dim.CumulVar(routing.Start(v)).SetRange(day.start, day.end)
        time_dim.CumulVar(routing.End(v)).SetRange(day.start, day.end)
    longest = max(d.end - d.start for d in days)
    positive = [s.value for s in stops if s.value > 0]
    factor = (longest + 1) / min(positive) if positive else 1.0
    for k, stop in enumerate(stops):
        index = manager.NodeToIndex(first + k)
        if stop.time_windows:
            cumul = time_dim.CumulVar(index)
            # The bus may arrive early and wait: the window bounds the start of service, as in the planner.
            cumul.SetRange(stop.time_windows[0][0], stop.time_windows[-1][1])
            previous_end = None
            for early, late in stop.time_windows:
                if previous_end is not None and early > previous_end + 1:
                    cumul.RemoveInterval(previous_end + 1, early - 1)
                previous_end = late
        routing.AddDisjunction([index], max(1, round(stop.value * factor)) if stop.value > 0 else 0)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    remaining = max(time_limit - (time.perf_counter() - started), 0.01)
    params.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
    solution = routing.SolveWithParameters(params)
    routes: list[list[str]] = [[] for _ in days]
    if solution is None:
        return routes
    for v in range(len(days)):
        index = routing.Start(v)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node >= first:
                routes[v].append(stops[node - first].id)
            index = solution.Value(routing.NextVar(index))
    return routes
