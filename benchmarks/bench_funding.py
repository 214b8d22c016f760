"""Benchmark of the funding matching (proxima/funding/matching.py): one project against 5,000 schemes.

Method
------
1. Data: ``SCHEMES`` seeded synthetic schemes (plain data, no database): random beneficiaries, themes, stages,
   territory levels (a third national, the rest regional, departmental or by commune), rates, caps, caps per
   organisation over 12 to 48 months shared by groups of strands, minimum sizes, opening and closing dates around
   ``TODAY``, committee dates. The project is the demo's mobile agency (14 budget lines over three years, eight
   communes) with 20 awards already obtained.
2. Measurement: ``match_schemes`` is run ``--runs`` times (7 by default); the median and maximum wall time are
   reported, with the share of eligible schemes (a check that every rule is exercised).
3. Target: < 200 ms. A missed target is marked; the exit status stays 0 because this is a measurement.

Usage: ``.venv/bin/python benchmarks/bench_funding.py [--runs 7]``
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proxima.funding import matching as m  # noqa: E402

SEED = 0
SCHEMES = 5_000
TODAY = dt.date(2026, 11, 30)
TARGET_S = 0.2
THEMES = ["mobilite", "numerique", "sante", "remobilisation", "famille", "logement-hebergement", "se-former"]
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20]


def synthetic_schemes(rng: random.Random, count: int) -> list[m.Scheme]:
    schemes = []
    for i in range(count):
        level = rng.choice(["national", "national", "region", "department", "commune"])
        codes = {
            "national": frozenset(),
            "region": frozenset(rng.sample(["24", "75", "84", "27", "28"], 2)),
            "department": frozenset(rng.sample(DEPARTMENTS, 3)),
            "commune": frozenset(f"36{rng.randint(1, 250):03d}" for _ in range(20)),
        }[level]
        opens = TODAY + dt.timedelta(days=rng.randint(-400, 60))
        closes = opens + dt.timedelta(days=rng.randint(30, 600)) if rng.random() < 0.7 else None
        rate_max = Decimal(rng.choice([20, 30, 40, 50, 60, 80]))
        has_org_cap = rng.random() < 0.3
        schemes.append(
            m.Scheme(
                key=f"s{i}",
                name=f"Dispositif {i}",
                beneficiaries=frozenset(rng.sample(list(m.BENEFICIARIES), rng.randint(1, 4))),
                territory=m.SchemeTerritory(level, codes, ", ".join(sorted(codes))),
                themes=frozenset(rng.sample(THEMES, rng.randint(0, 3))),
                stages=frozenset(rng.sample(list(m.STAGES), rng.randint(0, 2))),
                expense_types=frozenset(rng.sample(list(m.EXPENSE_TYPES), rng.randint(0, 1))),
                rate_min=Decimal(10) if rng.random() < 0.2 else None,
                rate_max=rate_max,
                cap_per_project=Decimal(rng.choice([50_000, 100_000, 200_000])) if rng.random() < 0.6 else None,
                cap_group=f"g{i % 500}",
                org_cap_amount=Decimal(500_000) if has_org_cap else None,
                org_cap_months=rng.choice([12, 24, 36, 48]) if has_org_cap else None,
                public_cofinancing_max_rate=Decimal(80) if rng.random() < 0.5 else None,
                min_project_cost=Decimal(rng.choice([1_000, 3_000, 50_000, 500_000])) if rng.random() < 0.5 else None,
                start_before_request_allowed=rng.choice([None, False, True]),
                max_duration_months=rng.choice([None, 12, 36]),
                joint_only=rng.random() < 0.05,
                opens_on=opens,
                closes_on=closes,
                committee_dates=tuple(TODAY + dt.timedelta(days=d) for d in sorted(rng.sample(range(-100, 300), 3))),
                archived=rng.random() < 0.05,
                unchecked=frozenset(rng.sample(["rate_max", "beneficiaries", "closes_on"], rng.randint(0, 2))),
            )
        )
    return schemes


def demo_project() -> m.Project:
    lines = [
        m.BudgetLine(2027, "vehicle", "investment", Decimal(180_000)),
        m.BudgetLine(2027, "purchases", "investment", Decimal(6_000)),
    ]
    for year in (2027, 2028, 2029):
        lines += [
            m.BudgetLine(year, "staff", "operating", Decimal(42_000), Decimal(1)),
            m.BudgetLine(year, "vehicle", "operating", Decimal(9_000)),
            m.BudgetLine(year, "premises", "operating", Decimal(4_800)),
            m.BudgetLine(year, "partner_fees", "operating", Decimal(12_000)),
        ]
    return m.Project(
        beneficiary="social_landlord",
        territory=m.Territory(
            communes=frozenset(f"36{n:03d}" for n in range(40, 48)),
            epcis=frozenset({"243600327"}),
            departments=frozenset({"36"}),
            regions=frozenset({"24"}),
        ),
        themes=frozenset({"mobilite", "numerique"}),
        stage="delivery",
        lines=tuple(lines),
        start_on=dt.date(2027, 3, 1),
        request_on=dt.date(2027, 1, 1),
        duration_months=36,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    schemes = synthetic_schemes(rng, SCHEMES)
    awards = [m.Award(f"g{rng.randint(0, 499)}", TODAY - dt.timedelta(days=rng.randint(1, 1400)), Decimal(100_000))
              for _ in range(20)]  # fmt: skip
    project = demo_project()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        matches = m.match_schemes(project, schemes, awards, today=TODAY)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    eligible = sum(match.eligible for match in matches)
    mark = "" if median < TARGET_S else "  ← TARGET MISSED"
    print(f"funding matching: {SCHEMES} schemes, {args.runs} runs")
    print(f"  median {median * 1000:.1f} ms, max {max(times) * 1000:.1f} ms (target < {TARGET_S * 1000:.0f} ms){mark}")
    print(f"  eligible: {eligible} of {SCHEMES}")


if __name__ == "__main__":
    main()
