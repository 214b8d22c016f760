"""Benchmark of the non-response weighting (proxima/needs/weighting.py) at the scale of a large landlord.

Method
------
1. Data: seeded synthetic registers of households with an age band of the reference person (6 bands), a household
   size (5 classes) and a territory (sites or communes of uneven sizes), and 13 needs whose frequency depends on the
   age band, the household size and the territory. Households answer with a probability that rises with the age band
   and falls with the household size. The inputs are what the analysis views pass: Python lists of categories and of
   booleans. Three registers:

   - *accuracy*: ``HOUSEHOLDS`` households on ``SITES`` sites, about 40 % of whom answer (105,556 respondents);
   - *communes*: the needs page of a large landlord, ``PAGE_HOUSEHOLDS`` households in ``COMMUNES`` communes and
     exactly ``PAGE_RESPONDENTS`` respondents (drawn with probabilities proportional to the propensity to answer);
   - *sites*: the same landlord by site, ``PAGE_SITES`` sites.

2. Measurement: ``rake`` on the three margins (age band, size, territory), ``estimate_shares`` for the 13 needs by
   territory and for the whole population. Each is run ``--runs`` times (5 by default); the median and the maximum
   wall time are reported. Then one more run of each under ``tracemalloc`` gives the peak of memory allocated by Python
   and NumPy during the call. For the needs page, the total is rake + overall + by territory (medians), what the page
   computes. Single-threaded BLAS (``OPENBLAS_NUM_THREADS=1``) gives steadier figures.
3. Accuracy, as a check of the method on data whose truth is known (accuracy register): the mean absolute error of
   the raked and of the unweighted shares against the register's true shares, by site, and the share of the 95 %
   intervals (raked and unweighted) that contain the true share.
4. Report: a table compared with the targets (rake < 1 s; 13 needs by commune < 100 ms, by site < 300 ms; needs
   page in total < 500 ms), and ``benchmarks/results/weighting.json``. A missed target is marked; the exit status
   stays 0 because this is a measurement, not a test.

Usage: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_weighting.py [--runs 5]``
"""

import argparse
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
PAGE_HOUSEHOLDS = 100_000
PAGE_RESPONDENTS = 30_000
COMMUNES = 514
PAGE_SITES = 2_000
TARGET_RAKE_S = 1.0
TARGET_BY_TERRITORY_S = {"commune": 0.1, "site": 0.3}
TARGET_PAGE_S = 0.5


def synthetic_register(
    rng: np.random.Generator, households: int, territories: int, respondents: int | None = None
) -> dict:
    """Categories and true needs of every household of the register, and who answered.

    ``respondents``: None lets each household answer with its propensity; a number draws exactly that many, with
    probabilities proportional to the propensities (Efraimidis & Spirakis 2006).
    """
    age = rng.choice(len(AGE_BANDS), households, p=[0.08, 0.17, 0.22, 0.25, 0.17, 0.11])
    size = np.minimum(rng.poisson(np.array([1.2, 1.5, 1.4, 0.6, 0.2, 0.1])[age]), len(SIZES) - 1)
    territory = rng.choice(territories, households, p=(sizes := rng.lognormal(0, 0.6, territories)) / sizes.sum())
    # Needs: a base rate per need, raised by age, lowered by household size, with a territory effect.
    base = rng.uniform(0.05, 0.35, NEEDS)
    age_effect = np.linspace(-1.0, 1.2, len(AGE_BANDS))
    size_effect = np.linspace(0.3, -0.5, len(SIZES))
    territory_effect = rng.normal(0, 0.4, territories)
    logit = (
        np.log(base / (1 - base))[:, None]
        + (age_effect[age] + size_effect[size] + territory_effect[territory])[None, :]
    )
    needs = rng.random((NEEDS, households)) < 1 / (1 + np.exp(-logit))
    propensity = np.array([0.2, 0.28, 0.36, 0.48, 0.55, 0.5])[age] * np.array([1.1, 1.0, 0.9, 0.8, 0.7])[size]
    if respondents is None:
        answered = rng.random(households) < propensity
    else:
        keys = np.log(rng.random(households)) / propensity
        answered = np.zeros(households, dtype=bool)
        answered[np.argpartition(keys, households - respondents)[households - respondents :]] = True
    return {"age": age, "size": size, "territory": territory, "needs": needs, "answered": answered}


def inputs(register: dict, territory: str) -> tuple[dict, list[Margin], dict, list]:
    """Samples, margins, indicators and domains (the territories) as the analysis views build them (lists)."""
    answered = register["answered"]
    territories = int(register["territory"].max()) + 1
    labels = {"age_band": np.array(AGE_BANDS), "household_size": np.array(SIZES), territory: np.arange(territories)}
    labels[territory] += 1000
    columns = {"age_band": register["age"], "household_size": register["size"], territory: register["territory"]}
    margins = [
        Margin(
            name,
            dict(zip(labels[name].tolist(), np.bincount(codes, minlength=len(labels[name])).tolist(), strict=True)),
        )
        for name, codes in columns.items()
    ]
    samples = {name: labels[name][codes[answered]].tolist() for name, codes in columns.items()}
    indicators = {f"need_{j:02d}": register["needs"][j, answered].tolist() for j in range(NEEDS)}
    return samples, margins, indicators, samples[territory]


def timed(runs: int, function, *args, **kwargs) -> tuple[object, dict]:
    """Median and maximum wall time over ``runs`` calls, then the tracemalloc peak of one more call."""
    times = []
    for _ in range(runs):
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
    site = register["territory"]
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


def measure(runs: int, register: dict, territory: str) -> tuple[dict, dict]:
    """Rake, then estimate the 13 needs by territory and overall; figures, and the estimates by territory."""
    samples, margins, indicators, domains = inputs(register, territory)
    respondents = len(domains)
    print(
        f"{territory}: {len(register['answered']):,} households, {len(AGE_BANDS)} age bands x {len(SIZES)} sizes x "
        f"{len(margins[-1].totals):,} {territory}s; {respondents:,} respondents "
        f"({respondents / len(register['answered']):.0%}); {NEEDS} needs.",
        file=sys.stderr,
    )
    raking, rake_figures = timed(runs, rake, samples, margins, RakingParams())
    by_territory, by_figures = timed(runs, estimate_shares, indicators, raking, samples, margins, domains=domains)
    overall, overall_figures = timed(runs, estimate_shares, indicators, raking, samples, margins)
    figures = {
        "households": len(register["answered"]),
        "respondents": respondents,
        "margins": {m.name: len(m.totals) for m in margins},
        "domains": len({key[1] for key in by_territory}),
        "rake": rake_figures
        | {"iterations": raking.iterations, "converged": raking.converged, "largest_gap": raking.largest_gap},
        f"estimate_shares_by_{territory}": by_figures | {"estimates": len(by_territory)},
        "estimate_shares_overall": overall_figures | {"estimates": len(overall)},
        "page_total_s": round(rake_figures["median_s"] + by_figures["median_s"] + overall_figures["median_s"], 4),
    }
    return figures, by_territory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed calls per step (median and max)")
    runs = parser.parse_args().runs

    accuracy_register = synthetic_register(np.random.default_rng(SEED), HOUSEHOLDS, SITES)
    accuracy_figures, by_site = measure(runs, accuracy_register, "site")
    accuracy_figures["accuracy_by_site"] = accuracy(accuracy_register, by_site)
    pages = {
        "commune": measure(
            runs,
            synthetic_register(np.random.default_rng(SEED), PAGE_HOUSEHOLDS, COMMUNES, PAGE_RESPONDENTS),
            "commune",
        )[0],
        "site": measure(
            runs,
            synthetic_register(np.random.default_rng(SEED), PAGE_HOUSEHOLDS, PAGE_SITES, PAGE_RESPONDENTS),
            "site",
        )[0],
    }
    result = {
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "numpy": np.__version__,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "seed": SEED,
        "needs": NEEDS,
        "runs": runs,
        "accuracy": accuracy_figures,
        "needs_page": pages,
        "targets": {"rake_s": TARGET_RAKE_S, "by_territory_s": TARGET_BY_TERRITORY_S, "page_s": TARGET_PAGE_S},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "weighting.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    missed = []

    def cell(value: float, target: float | None, what: str) -> str:
        if target is None or value < target:
            return f"{value:.3f}"
        missed.append(f"{what} = {value:.3f} s (target < {target:g} s)")
        return f"{value:.3f} ✗"

    rows = [["register", "step", "median s", "max s", "peak MB", "notes"]]
    cases = [
        ("accuracy", "site", accuracy_figures, None),
        *((t, t, f, TARGET_BY_TERRITORY_S[t]) for t, f in pages.items()),
    ]
    for case, territory, figures, target in cases:
        label = f"{case} ({figures['respondents']:,} answers)"
        steps = [
            ("rake", figures["rake"], TARGET_RAKE_S, f"{figures['rake']['iterations']} iterations"),
            (
                f"by {territory} ({NEEDS} x {figures['domains']:,})",
                figures[f"estimate_shares_by_{territory}"],
                target,
                f"{figures[f'estimate_shares_by_{territory}']['estimates']:,} estimates",
            ),
            ("overall", figures["estimate_shares_overall"], None, f"{NEEDS} estimates"),
        ]
        for step, step_figures, step_target, notes in steps:
            rows.append(
                [
                    label,
                    step,
                    cell(step_figures["median_s"], step_target, f"{case}: {step}"),
                    f"{step_figures['max_s']:.3f}",
                    f"{step_figures['peak_mb']:.1f}",
                    notes,
                ]
            )
            label = ""
        if case != "accuracy":
            rows.append(
                ["", "needs page (total)", cell(figures["page_total_s"], TARGET_PAGE_S, f"{case}: page"), "", "", ""]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for row in [rows[0], ["-" * w for w in widths], *rows[1:]]:
        print("  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip())
    a = accuracy_figures["accuracy_by_site"]
    print(
        f"\nAccuracy by site against the register ({a['estimates']:,} estimates): mean absolute error "
        f"raked {a['raked_mean_abs_error']:.4f}, unweighted {a['unweighted_mean_abs_error']:.4f}; "
        f"95 % intervals containing the truth: raked {a['raked_coverage']:.1%}, "
        f"unweighted {a['unweighted_coverage']:.1%}."
    )
    print(
        f"\nTargets (medians): rake < {TARGET_RAKE_S:g} s; by commune < {TARGET_BY_TERRITORY_S['commune']:g} s, "
        f"by site < {TARGET_BY_TERRITORY_S['site']:g} s ({NEEDS} needs, {PAGE_RESPONDENTS:,} answers); "
        f"needs page < {TARGET_PAGE_S:g} s."
    )
    print("Targets met." if not missed else "Missed (✗): " + "; ".join(missed))
    print(f"Details: {RESULTS_DIR}/weighting.json")


if __name__ == "__main__":
    main()
