"""A seeded survey of a small register, and what the reference implementation ``svy`` computes on it.

``case()`` builds the inputs (pure NumPy, seeded). Run this file with svy installed to (re)write
``weighting_svy_example.json``, the raked weights, shares and standard errors that svy 0.35.0 computes on them, so that
tests/needs/test_weighting.py checks the module against svy even where svy is not installed::

    .venv/bin/python tests/needs/data/weighting_svy_example.py

The register has 600 households on 3 sites; the response rate rises with the age band of the reference person
(older tenants answer more), and the needs are more frequent in the older bands, so raking matters.
"""

import json
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_suffix(".json")
HOUSEHOLDS = 600
SEED = 2026


def case() -> dict:
    """Samples, margins (as plain dicts), needs and domains of the example."""
    rng = np.random.default_rng(SEED)
    age = rng.choice(4, HOUSEHOLDS, p=[0.2, 0.3, 0.3, 0.2])
    size = rng.choice(3, HOUSEHOLDS, p=[0.4, 0.35, 0.25])
    site = rng.choice(3, HOUSEHOLDS, p=[0.5, 0.3, 0.2])
    answered = rng.random(HOUSEHOLDS) < np.array([0.1, 0.15, 0.25, 0.35])[age]
    need = rng.random(HOUSEHOLDS) < np.array([0.1, 0.2, 0.35, 0.5])[age]
    mobility = rng.random(HOUSEHOLDS) < np.array([0.05, 0.1, 0.3, 0.6])[age] * np.array([1.0, 0.7, 0.4])[size]

    def labels(prefix, values):
        return [f"{prefix}{v}" for v in values]

    return {
        "samples": {
            "age_band": labels("A", age[answered]),
            "household_size": labels("H", size[answered]),
            "site": labels("S", site[answered]),
        },
        "margins": {
            "age_band": {f"A{a}": float((age == a).sum()) for a in range(4)},
            "household_size": {f"H{h}": float((size == h).sum()) for h in range(3)},
            "site": {f"S{s}": float((site == s).sum()) for s in range(3)},
        },
        "needs": {"digital": need[answered].tolist(), "mobility": mobility[answered].tolist()},
    }


def svy_results(inputs: dict) -> dict:
    """Raked weights, then the shares and linearised standard errors by site and overall, computed by svy."""
    import polars as pl
    import svy

    samples, needs = inputs["samples"], inputs["needs"]
    n = len(samples["site"])
    population = sum(inputs["margins"]["site"].values())
    data = pl.DataFrame(
        {
            **samples,
            **{need: np.array(values, dtype=float) for need, values in needs.items()},
            "w": np.full(n, population / n),
            "N": np.full(n, population),
        }
    )
    sample = svy.Sample(data, svy.Design(wgt="w", pop_size="N"))
    raked = sample.weighting.rake(controls=inputs["margins"], tol=1e-12, max_iter=1000)
    estimates = []
    for need in needs:
        overall = raked.estimation.mean(need).to_polars().row(0, named=True)
        estimates.append({"need": need, "site": None, "share": overall["est"], "se": overall["se"]})
        for row in raked.estimation.mean(need, by="site").to_polars().iter_rows(named=True):
            estimates.append({"need": need, "site": row["site"], "share": row["est"], "se": row["se"]})
    return {"svy_version": svy.__version__, "weights": raked.data["rk_wgt"].to_list(), "estimates": estimates}


if __name__ == "__main__":
    PATH.write_text(json.dumps(svy_results(case()), indent=1) + "\n")
    print(f"Wrote {PATH}.")
