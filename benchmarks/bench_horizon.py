"""Benchmark of the horizon planner (proxima/agency/horizon.py): coverage-aware plan against summing stop values.

Method
------
1. Instances, seeded: a rural territory of 40 × 40 km with clustered towns; households scattered around the towns
   (need weights 1 to 3); candidate stops near the towns, each reaching the households within 800 m (many stops
   share households). Great-circle travel times (× 1.3 at 50 km/h). Stops of 1 to 2 h, days 8:30–17:30 with lunch
   12:00–13:30, 3 tour days a week over 4 weeks; a tenth of the stops at least every 2 weeks, a tenth at most every
   2 weeks.
2. Methods at the same total time limit and seed: ``static`` (one solve a week, each stop worth the weight of its
   households) and ``coverage`` (re-valuing rounds and local search on the true coverage).
3. Report: total coverage (need-weighted households reached, once a week), gain in %, wall time; stdout.

Usage: ``.venv/bin/python benchmarks/bench_horizon.py [--stops 150] [--time-limit 20] [--seed 0]``
"""

import argparse
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proxima.agency.horizon import HorizonParams, HorizonStop, Week, plan_horizon  # noqa: E402
from proxima.agency.planning import Day, Depot, GreatCircleTravelTimes, Location  # noqa: E402

LAT0, LON0 = 46.8, 1.7
KM_LAT, KM_LON = 1 / 111.0, 1 / (111.0 * math.cos(math.radians(46.8)))


def territory(stops: int, seed: int):
    rng = random.Random(seed)
    towns = [(rng.uniform(-20, 20), rng.uniform(-20, 20), rng.uniform(0.5, 2.0)) for _ in range(max(3, stops // 8))]
    households = []
    for n in range(stops * 12):
        x, y, spread = rng.choice(towns)
        households.append((f"h{n}", x + rng.gauss(0, spread), y + rng.gauss(0, spread), rng.choice([1, 1, 2, 3])))
    candidates = []
    for k in range(stops):
        x, y, spread = rng.choice(towns)
        sx, sy = x + rng.gauss(0, spread), y + rng.gauss(0, spread)
        near = tuple(h for h, hx, hy, _ in households if math.hypot(hx - sx, hy - sy) <= 0.8)
        roll = rng.random()
        candidates.append(
            HorizonStop(
                f"s{k}",
                Location(LAT0 + sy * KM_LAT, LON0 + sx * KM_LON),
                near,
                duration=rng.choice([3600, 5400, 7200]),
                max_gap_weeks=2 if roll < 0.1 else None,
                min_gap_weeks=2 if 0.1 <= roll < 0.2 else 1,
            )
        )
    weights = {h: w for h, _, _, w in households}
    weeks = [
        Week(
            w,
            tuple(
                Day(f"w{w}-d{d}", 8 * 3600 + 1800, 17 * 3600 + 1800, ((12 * 3600, 13 * 3600 + 1800),))
                for d in range(3)
            ),
        )
        for w in range(4)
    ]
    return Depot(Location(LAT0, LON0)), candidates, weeks, weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, nargs="+", default=[50, 150])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'stops':>6} {'method':>9} {'coverage':>9} {'gain %':>7} {'wall s':>7}")
    for size in args.stops:
        depot, stops, weeks, weights = territory(size, args.seed)
        results = {}
        for method in ("static", "coverage"):
            started = time.perf_counter()
            plan = plan_horizon(
                depot,
                stops,
                weeks,
                GreatCircleTravelTimes(),
                HorizonParams(args.time_limit, args.seed, method=method),
                household_weights=weights,
            )
            results[method] = plan.total_coverage
            gain = 100 * (plan.total_coverage - results["static"]) / (results["static"] or 1)
            print(
                f"{size:>6} {method:>9} {plan.total_coverage:>9.0f} {gain:>7.1f} {time.perf_counter() - started:>7.1f}"
            )


if __name__ == "__main__":
    main()
