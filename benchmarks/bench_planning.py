"""Benchmark of the tour planner (proxima/agency/planning.py) on team orienteering instances.

Method
------
1. Instances: the four Chao, Golden & Wasil (1996) instances in ``benchmarks/data/top/`` (see the README there),
   with their best-known total scores. Euclidean lengths are scaled by 10,000 and rounded up, so every plan found
   is feasible with the exact lengths.
2. Methods, at each time limit (1 s and 5 s), seed 0: Proxima's planner (VROOM's plan improved by PyVRP, the
   better kept), VROOM alone (exploration level 5, the whole limit), PyVRP alone (``plan_tours(..., engines=...)``).
   PyVRP may stop before the limit after 20,000 iterations without improvement. Results vary from run to run with
   the machine's load (the engines are cut off by wall time): compare several runs or seeds, not single digits.
3. Report: prize, gap to the best known (%) and wall time per instance and method, mean gaps; a table on stdout and
   ``benchmarks/results/planning.json``. A measurement, not a test: the exit status stays 0.

Usage: ``.venv/bin/python benchmarks/bench_planning.py [--limits 1 5]``
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proxima.agency.planning import PlanParams, plan_tours, read_top_instance  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "top"
RESULTS = ROOT / "benchmarks" / "results" / "planning.json"
BEST_KNOWN = {"p3.4.p": 560, "p4.3.o": 1172, "p5.4.z": 1620, "p7.2.q": 1044}
METHODS = {"proxima": ("vroom", "pyvrp"), "vroom": ("vroom",), "pyvrp": ("pyvrp",)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for name, best in BEST_KNOWN.items():
        depot, stops, days, travel_times = read_top_instance(DATA / f"{name}.txt")
        for limit in args.limits:
            for method, engines in METHODS.items():
                started = time.perf_counter()
                plan = plan_tours(depot, stops, days, travel_times, PlanParams(limit, args.seed), engines=engines)
                wall = time.perf_counter() - started
                gap = 100 * (best - plan.total_value) / best
                rows.append(
                    {
                        "instance": name,
                        "time_limit": limit,
                        "method": method,
                        "prize": plan.total_value,
                        "best_known": best,
                        "gap_percent": round(gap, 2),
                        "wall_time": round(wall, 2),
                    }
                )
                print(f"{name:8} {limit:4g} s  {method:8} {plan.total_value:7g}  gap {gap:5.2f} %  {wall:5.2f} s")
    print()
    print("| instance | limit (s) | method | prize | best known | gap (%) | wall (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['instance']} | {r['time_limit']:g} | {r['method']} | {r['prize']:g} | {r['best_known']} "
            f"| {r['gap_percent']:.2f} | {r['wall_time']:.2f} |"
        )
    means = {
        f"{method}@{limit:g}s": round(
            sum(r["gap_percent"] for r in rows if r["method"] == method and r["time_limit"] == limit)
            / len(BEST_KNOWN),
            2,
        )
        for limit in args.limits
        for method in METHODS
    }
    print("\nMean gap (%):", ", ".join(f"{k} {v:.2f}" for k, v in means.items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": platform.platform(), "seed": args.seed, "rows": rows, "mean_gap_percent": means}, indent=2
        )
        + "\n"
    )
    print(f"Written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
