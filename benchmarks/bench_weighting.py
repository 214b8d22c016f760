"""Benchmark of the non-response weighting (proxima/needs/weighting.py) at the scale of a large landlord.

Method
------
1. Data: a seeded synthetic register of ``HOUSEHOLDS`` households with an age band of the reference person (6 bands),
   a household size (5 classes) and a site (300 sites of uneven sizes), and 13 needs whose frequency depends on the
   age band, the household size and the site. Households answer with a probability that rises with the age band
   and falls with the household size (about 40 %), which gives ``RESPONDENTS`` respondents. The inputs are what
   the analysis views pass: Python lists of categories and of booleans.
2. Measurement: ``rake`` on the three margins, ``estimate_shares`` for the 13 needs by site (3,900 estimates) and
   for the whole population. Each is run ``RUNS`` times; the median and the maximum wall time are reported. Then one
   more run of each under ``tracemalloc`` gives the peak of memory allocated by Python and NumPy during the call.
3. Accuracy, as a check of the method on data whose truth is known: the mean absolute error of the raked and of
   the unweighted shares against the register's true shares, by site, and the share of the 95 % intervals (raked and
   unweighted) that contain the true share.
4. Report: a table compared with the target (rake < 1 s), and ``benchmarks/results/weighting.json``. A missed
   target is marked; the exit status stays 0 because this is a measurement, not a test.

Usage: ``.venv/bin/python benchmarks/bench_weighting.py``
"""

import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proxima.needs.weighting import Margin, RakingParams, estimate_shares, rake  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
SEED = 0
HOUSEHOLDS = 250_000
AGE_BANDS = ["<30", "30-44", "45-59", "60-74", "75-84", "85+"]
SIZES = [1, 2, 3, 4, 5]
SITES = 300
NEEDS = 13
RUNS = 5
TARGET_RAKE_S = 1.0


def synthetic_register(rng: np.random.Generator) -> dict:
    """Categories and true needs of every household of the register, and who answered."""
    age = rng.choice(len(AGE_BANDS), HOUSEHOLDS, p=[0.08, 0.17, 0.22, 0.25, 0.17, 0.11])
    size = np.minimum(rng.poisson(np.array([1.2, 1.5, 1.4, 0.6, 0.2, 0.1])[age]), len(SIZES) - 1)
    site = rng.choice(SITES, HOUSEHOLDS, p=(sizes := rng.lognormal(0, 0.6, SITES)) / sizes.sum())
    # Needs: a base rate per need, raised by age, lowered by household size, with a site effect.
    base = rng.uniform(0.05, 0.35, NEEDS)
    age_effect = np.linspace(-1.0, 1.2, len(AGE_BANDS))
    size_effect = np.linspace(0.3, -0.5, len(SIZES))
    site_effect = rng.normal(0, 0.4, SITES)
    logit = np.log(base / (1 - base))[:, None] + (age_effect[age] + size_effect[size] + site_effect[site])[None, :]
    needs = rng.random((NEEDS, HOUSEHOLDS)) < 1 / (1 + np.exp(-logit))
    answered = (
        rng.random(HOUSEHOLDS)
        < np.array([0.2, 0.28, 0.36, 0.48, 0.55, 0.5])[age] * np.array([1.1, 1.0, 0.9, 0.8, 0.7])[size]
    )
    return {"age": age, "size": size, "site": site, "needs": needs, "answered": answered}


def inputs(register: dict) -> tuple[dict, list[Margin], dict, list]:
    """Samples, margins, indicators and domains as the analysis views build them (lists)."""
    answered = register["answered"]
    labels = {"age_band": np.array(AGE_BANDS), "household_size": np.array(SIZES), "site": np.arange(SITES) + 1000}
    columns = {"age_band": register["age"], "household_size": register["size"], "site": register["site"]}
    margins = [
        Margin(
            name,
            dict(zip(labels[name].tolist(), np.bincount(codes, minlength=len(labels[name])).tolist(), strict=True)),
        )
        for name, codes in columns.items()
    ]
    samples = {name: labels[name][codes[answered]].tolist() for name, codes in columns.items()}
    indicators = {f"need_{j:02d}": register["needs"][j, answered].tolist() for j in range(NEEDS)}
    return samples, margins, indicators, samples["site"]


def timed(function, *args, **kwargs) -> tuple[object, dict]:
    """Median and maximum wall time over RUNS calls, then the tracemalloc peak of one more call."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    function(*args, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    figures = {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4)}
    return result, figures | {"peak_mb": round(peak / 2**20, 1)}


def accuracy(register: dict, estimates: dict) -> dict:
    """Errors of the raked and unweighted shares against the register's truth, and coverage of the intervals."""
    site = register["site"]
    households = np.bincount(site, minlength=SITES)
    raked_errors, unweighted_errors, raked_cover, unweighted_cover = [], [], [], []
    for j in range(NEEDS):
        truth = np.bincount(site, weights=register["needs"][j], minlength=SITES) / households
        for s in range(SITES):
            estimate = estimates.get((f"need_{j:02d}", s + 1000))
            if estimate is None:
                continue
            raked_errors.append(abs(estimate.share - truth[s]))
            unweighted_errors.append(abs(estimate.unweighted_share - truth[s]))
            raked_cover.append(estimate.low <= truth[s] <= estimate.high)
            unweighted_cover.append(estimate.unweighted_low <= truth[s] <= estimate.unweighted_high)
    return {
        "estimates": len(raked_errors),
        "raked_mean_abs_error": round(float(np.mean(raked_errors)), 4),
        "unweighted_mean_abs_error": round(float(np.mean(unweighted_errors)), 4),
        "raked_coverage": round(float(np.mean(raked_cover)), 3),
        "unweighted_coverage": round(float(np.mean(unweighted_cover)), 3),
    }


def main() -> None:
    register = synthetic_register(np.random.default_rng(SEED))
    samples, margins, indicators, domains = inputs(register)
    respondents = len(domains)
    print(
        f"Register: {HOUSEHOLDS:,} households, {len(AGE_BANDS)} age bands x {len(SIZES)} sizes x {SITES} sites; "
        f"{respondents:,} respondents ({respondents / HOUSEHOLDS:.0%}); {NEEDS} needs.",
        file=sys.stderr,
    )
    raking, rake_figures = timed(rake, samples, margins, RakingParams())
    by_site, by_site_figures = timed(estimate_shares, indicators, raking, samples, margins, domains=domains)
    overall, overall_figures = timed(estimate_shares, indicators, raking, samples, margins)
    result = {
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "numpy": np.__version__,
        "data": {
            "seed": SEED,
            "households": HOUSEHOLDS,
            "respondents": respondents,
            "margins": {m.name: len(m.totals) for m in margins},
            "needs": NEEDS,
        },
        "rake": rake_figures
        | {"iterations": raking.iterations, "converged": raking.converged, "largest_gap": raking.largest_gap},
        "estimate_shares_by_site": by_site_figures | {"estimates": len(by_site)},
        "estimate_shares_overall": overall_figures | {"estimates": len(overall)},
        "accuracy_by_site": accuracy(register, by_site),
        "target_rake_s": TARGET_RAKE_S,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "weighting.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    rake_ok = rake_figures["median_s"] < TARGET_RAKE_S
    rows = [
        ["step", "median s", "max s", "peak MB", "notes"],
        [
            "rake (3 margins)",
            f"{rake_figures['median_s']:.3f}{'' if rake_ok else ' ✗'}",
            f"{rake_figures['max_s']:.3f}",
            f"{rake_figures['peak_mb']:.1f}",
            f"{raking.iterations} iterations, converged={raking.converged}",
        ],
        [
            f"estimate_shares by site ({NEEDS} x {SITES})",
            f"{by_site_figures['median_s']:.3f}",
            f"{by_site_figures['max_s']:.3f}",
            f"{by_site_figures['peak_mb']:.1f}",
            f"{len(by_site):,} estimates",
        ],
        [
            "estimate_shares overall",
            f"{overall_figures['median_s']:.3f}",
            f"{overall_figures['max_s']:.3f}",
            f"{overall_figures['peak_mb']:.1f}",
            f"{len(overall)} estimates",
        ],
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for row in [rows[0], ["-" * w for w in widths], *rows[1:]]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    a = result["accuracy_by_site"]
    print(
        f"\nAccuracy by site against the register ({a['estimates']:,} estimates): mean absolute error "
        f"raked {a['raked_mean_abs_error']:.4f}, unweighted {a['unweighted_mean_abs_error']:.4f}; "
        f"95 % intervals containing the truth: raked {a['raked_coverage']:.1%}, "
        f"unweighted {a['unweighted_coverage']:.1%}."
    )
    print(f"\nTarget: rake < {TARGET_RAKE_S:g} s (median).")
    print("Target met." if rake_ok else f"Missed (✗): rake = {rake_figures['median_s']} s")
    print(f"Details: {RESULTS_DIR}/weighting.json")


if __name__ == "__main__":
    main()
