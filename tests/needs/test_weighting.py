"""Raking and shares of households with a need (proxima/needs/weighting.py): no database, hand-checkable cases."""

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from proxima.needs.weighting import (
    Margin,
    RakingParams,
    RakingResult,
    estimate_shares,
    rake,
    wilson_interval,
)
from tests.needs.data import weighting_svy_example

AGE = Margin("age_band", {"young": 60.0, "old": 40.0})
SIZE = Margin("household_size", {"alone": 50.0, "several": 50.0})


def two_by_two():
    """Five respondents on a 2 x 2 table whose cells hold 1, 1, 1 and 2 respondents."""
    samples = {"a": ["1", "1", "2", "2", "2"], "b": ["x", "y", "x", "y", "y"]}
    margins = [Margin("a", {"1": 40.0, "2": 60.0}), Margin("b", {"x": 50.0, "y": 50.0})]
    return samples, margins


class TestRakingParams:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_iterations": 0}, "Expected max_iterations >= 1."),
            ({"tolerance": 0.0}, "Expected tolerance > 0."),
            ({"tolerance": -1e-6}, "Expected tolerance > 0."),
        ],
    )
    def test_invalid(self, kwargs, message):
        """Parameters out of range are refused with the rule they break."""
        with pytest.raises(ValueError, match=f"^{message}$"):
            RakingParams(**kwargs)


class TestRake:
    def test_one_margin_is_post_stratification(self):
        """With one margin, each weight is N_h / n_h exactly, after one cycle."""
        samples = {"age_band": ["young", "old", "old", "old"]}
        result = rake(samples, [AGE])
        assert result.weights.tolist() == pytest.approx([60.0, 40 / 3, 40 / 3, 40 / 3], rel=1e-15)
        assert (result.iterations, result.converged, result.empty_categories) == (1, True, ())

    def test_two_by_two_table(self):
        """IPF keeps the sample's odds ratio (2): t (10 + t) = 2 (40 - t) (50 - t) gives the cell (1, x)."""
        samples, margins = two_by_two()
        result = rake(samples, margins, RakingParams(tolerance=1e-12))
        t = (190 - math.sqrt(20_100)) / 2  # 24.1128
        expected = [t, 40 - t, 50 - t, (10 + t) / 2, (10 + t) / 2]
        assert result.converged
        assert result.weights.tolist() == pytest.approx(expected, rel=1e-10)
        assert result.weights.sum() == pytest.approx(100, rel=1e-12)

    def test_weighted_margins_match_the_register(self):
        """After raking, the weighted count of every category is its population, within the tolerance."""
        samples, margins = two_by_two()
        result = rake(samples, margins, RakingParams(tolerance=1e-9))
        for margin in margins:
            for category, total in margin.totals.items():
                weighted = sum(w for w, c in zip(result.weights, samples[margin.name], strict=True) if c == category)
                assert weighted == pytest.approx(total, rel=1e-9)
        assert result.largest_gap <= 1e-9

    def test_margins_already_matched(self):
        """A sample with the register's proportions keeps the equal weights N / n."""
        samples = {
            "age_band": ["young", "young", "young", "old", "old"] * 2,
            "household_size": ["alone", "several"] * 5,
        }
        result = rake(samples, [AGE, SIZE])
        assert result.weights.tolist() == pytest.approx([10.0] * 10, rel=1e-12)
        assert (result.iterations, result.converged) == (1, True)

    def test_empty_category_is_spread_over_the_others(self):
        """A category with population but no respondent is reported, its population spread proportionally."""
        margin = Margin("age_band", {"young": 30.0, "middle": 50.0, "old": 20.0})
        result = rake({"age_band": ["young", "middle", "middle"]}, [margin])
        # 100 households stand for the two observed bands, 30 : 50 -> 37.5 and 62.5.
        assert result.weights.tolist() == pytest.approx([37.5, 31.25, 31.25], rel=1e-12)
        assert result.empty_categories == (("age_band", "old"),)

    def test_empty_category_with_zero_population_is_not_reported(self):
        """A category nobody lives in is not a gap in the answers."""
        margin = Margin("age_band", {"young": 60.0, "old": 40.0, "centenarian": 0.0})
        result = rake({"age_band": ["young", "old"]}, [margin])
        assert result.empty_categories == ()
        assert result.weights.tolist() == [60.0, 40.0]

    def test_no_convergence_is_reported_not_looped(self):
        """Margins the sample cannot meet stop at max_iterations with converged=False and weights summing to N."""
        # Respondents only in cells (1, x) and (2, y): the weights of "1" and "x" are forced equal, 40 != 50.
        samples = {"a": ["1", "2"], "b": ["x", "y"]}
        margins = [Margin("a", {"1": 40.0, "2": 60.0}), Margin("b", {"x": 50.0, "y": 50.0})]
        result = rake(samples, margins, RakingParams(max_iterations=7))
        assert (result.iterations, result.converged) == (7, False)
        assert result.largest_gap == pytest.approx(0.25)  # "1" and "x" both weigh 50: 10 over the 40 of "1"
        assert result.weights.sum() == pytest.approx(100)

    def test_one_respondent(self):
        """A single respondent stands for the whole register; the other categories are reported empty."""
        result = rake({"age_band": ["old"], "household_size": ["alone"]}, [AGE, SIZE])
        assert result.weights.tolist() == [100.0]
        assert result.empty_categories == (("age_band", "young"), ("household_size", "several"))

    def test_categories_compared_as_keys(self):
        """Categories may be numbers, strings or None and are matched exactly as the totals' keys are."""
        margin = Margin("household_size", {1: 30.0, "1": 20.0, None: 50.0})
        result = rake({"household_size": [1, "1", None, None]}, [margin])
        assert result.weights.tolist() == [30.0, 20.0, 25.0, 25.0]

    def test_numpy_samples(self):
        """NumPy arrays of categories give the same weights as lists."""
        samples, margins = two_by_two()
        arrays = {name: np.array(values) for name, values in samples.items()}
        assert np.array_equal(rake(arrays, margins).weights, rake(samples, margins).weights)

    def test_reproducible(self):
        """The same answers give the same weights, bit for bit."""
        samples, margins = two_by_two()
        assert np.array_equal(rake(samples, margins).weights, rake(samples, margins).weights)

    @pytest.mark.parametrize(
        ("samples", "margins", "message"),
        [
            (
                {"age_band": ["young", "90+"]},
                [AGE],
                "Margin 'age_band': category '90+' (respondent 1) is not in the margin's totals.",
            ),
            (
                {"age_band": ["young"], "household_size": ["alone"]},
                [AGE, Margin("household_size", {"alone": 50.0, "several": 40.0})],
                "Margins 'age_band' and 'household_size' have different population totals (100 and 90).",
            ),
            ({"age_band": []}, [AGE], "No respondent."),
            ({"age_band": ["young"]}, [AGE, SIZE], "No sample for margin 'household_size'."),
            (
                {"age_band": ["young", "old"], "household_size": ["alone"]},
                [AGE, SIZE],
                "Margin 'household_size': 1 respondent categories, expected 2 (one per respondent, as for margin 'age_band').",
            ),
            ({"age_band": ["young"]}, [], "Expected at least one margin."),
            ({"age_band": ["young"]}, [AGE, AGE], "Margin 'age_band' is given twice."),
            ({"x": ["a"]}, [Margin("x", {})], "Margin 'x' has no category."),
            (
                {"x": ["a"]},
                [Margin("x", {"a": 10.0, "b": -1.0})],
                "Margin 'x': category 'b' has total -1.0, expected a number >= 0.",
            ),
            (
                {"x": ["a"]},
                [Margin("x", {"a": math.nan})],
                "Margin 'x': category 'a' has total nan, expected a number >= 0.",
            ),
            ({"x": ["a"]}, [Margin("x", {"a": 0.0})], "Margin 'x': the population total is 0, expected > 0."),
            (
                {"x": ["a", "b"]},
                [Margin("x", {"a": 10.0, "b": 0.0})],
                "Margin 'x': category 'b' has respondents but a population total of 0.",
            ),
        ],
    )
    def test_invalid(self, samples, margins, message):
        """Inconsistent samples or margins are refused with a message naming the margin and the category."""
        with pytest.raises(ValueError) as error:
            rake(samples, margins)
        assert str(error.value) == message


class TestEstimateShares:
    def test_post_stratified_share_and_standard_error_by_hand(self):
        """One margin: p = sum_h W_h p_h, v = (1 - f) n / (n - 1) sum_h (N_h / (n_h N))^2 sum_i (y_i - p_h)^2."""
        samples = {"age_band": ["young", "young", "old", "old"]}
        raking = rake(samples, [AGE])
        estimate = estimate_shares({"help": [True, False, True, True]}, raking, samples, [AGE])["help", None]
        # p = 0.6 x 1/2 + 0.4 x 1 = 0.7; v = 0.96 x 4/3 x (60 / 200)^2 x 0.5 = 0.0576.
        assert estimate.share == pytest.approx(0.7, rel=1e-12)
        assert estimate.standard_error == pytest.approx(0.24, rel=1e-12)
        assert (estimate.respondents, estimate.with_need, estimate.unweighted_share) == (4, 3, 0.75)

    def test_without_finite_population_correction(self):
        """Without the correction the variance is larger by 1 / (1 - n / N)."""
        samples = {"age_band": ["young", "young", "old", "old"]}
        raking = rake(samples, [AGE])
        estimate = estimate_shares(
            {"help": [True, False, True, True]}, raking, samples, [AGE], finite_population_correction=False
        )["help", None]
        assert estimate.standard_error == pytest.approx(0.24 / math.sqrt(0.96), rel=1e-12)

    def test_share_equals_unweighted_share_when_sample_is_proportional(self):
        """When the answers have the register's proportions, the raked share is the plain share."""
        samples = {
            "age_band": ["young", "young", "young", "old", "old"] * 2,
            "household_size": ["alone", "several"] * 5,
        }
        needs = {"help": [True, False, False, True, False, True, True, False, False, False]}
        estimate = estimate_shares(needs, rake(samples, [AGE, SIZE]), samples, [AGE, SIZE])["help", None]
        assert estimate.share == pytest.approx(estimate.unweighted_share, rel=1e-12) == 0.4

    def test_raking_corrects_under_represented_group(self):
        """Old tenants answer less and need more help: raking raises the share above the unweighted one."""
        samples = {"age_band": ["young", "young", "young", "old"]}
        needs = {"help": [False, False, False, True]}
        estimate = estimate_shares(needs, rake(samples, [AGE]), samples, [AGE])["help", None]
        assert estimate.unweighted_share == 0.25
        assert estimate.share == pytest.approx(0.4)  # the old are 40 % of the register

    def test_domains(self):
        """One estimate per (need, domain), domains sorted; a domain's respondents and counts are its own."""
        samples = {"age_band": ["young", "young", "old", "old", "old"]}
        needs = {"help": [True, False, True, True, False], "transport": [False, False, False, True, True]}
        estimates = estimate_shares(
            needs, rake(samples, [AGE]), samples, [AGE], domains=["S2", "S1", "S1", "S2", "S2"]
        )
        assert list(estimates) == [("help", "S1"), ("help", "S2"), ("transport", "S1"), ("transport", "S2")]
        s1 = estimates["help", "S1"]
        assert (s1.respondents, s1.with_need) == (2, 1)
        # S1 holds a young (weight 30) without and an old (weight 40 / 3) with the need.
        assert s1.share == pytest.approx((40 / 3) / (30 + 40 / 3))

    def test_domains_of_unorderable_types_keep_their_order(self):
        """Domains that cannot be sorted (None and strings) come in order of first appearance."""
        samples = {"age_band": ["young", "old", "old"]}
        estimates = estimate_shares(
            {"help": [1, 0, 1]}, rake(samples, [AGE]), samples, [AGE], domains=["b", None, "b"]
        )
        assert list(estimates) == [("help", "b"), ("help", None)]

    def test_domain_by_a_margin_is_exact(self):
        """A share of a category of a margin is known from the register: its interval is the point."""
        samples = {
            "age_band": ["young", "young", "old", "old", "old"],
            "household_size": ["alone", "several"] * 2 + ["alone"],
        }
        needs = {"is_old": [False, False, True, True, True]}
        estimate = estimate_shares(needs, rake(samples, [AGE, SIZE]), samples, [AGE, SIZE])["is_old", None]
        assert estimate.share == pytest.approx(0.4)
        assert estimate.standard_error == pytest.approx(0, abs=1e-12)
        assert estimate.high - estimate.low == pytest.approx(0, abs=1e-6)

    @pytest.mark.parametrize("has_need", [True, False])
    def test_everybody_or_nobody_has_the_need(self, has_need):
        """A share of 1 or 0 keeps an interval that reaches away from the bound, from Kish's effective size."""
        samples = {"age_band": ["young", "young", "old", "old"]}
        estimate = estimate_shares({"help": [has_need] * 4}, rake(samples, [AGE]), samples, [AGE])["help", None]
        assert estimate.share == estimate.unweighted_share == float(has_need)
        assert estimate.standard_error == 0
        # Kish's size (sum w)^2 / sum w^2 = 10,000 / 2,600, over 1 - 4 / 100.
        low, high = wilson_interval(float(has_need), 10_000 / 2_600 / 0.96)
        assert (estimate.low, estimate.high) == pytest.approx((low, high))
        assert 0.3 < estimate.high - estimate.low < 0.5

    def test_one_respondent(self):
        """A single answer gives a share, no standard error, and a wide interval within [0, 1]."""
        samples = {"age_band": ["old"]}
        estimate = estimate_shares({"help": [True]}, rake(samples, [AGE]), samples, [AGE])["help", None]
        assert (estimate.share, estimate.respondents, estimate.with_need) == (1.0, 1, 1)
        assert math.isnan(estimate.standard_error)
        assert 0 <= estimate.low < 0.5 and estimate.high == 1
        assert (estimate.unweighted_low, estimate.unweighted_high) == pytest.approx(wilson_interval(1.0, 1))

    def test_domain_of_one_respondent(self):
        """A domain with one answer gets its share and an interval within [0, 1] that contains it."""
        samples = {"age_band": ["young", "young", "old", "old"]}
        estimates = estimate_shares(
            {"help": [True, False, False, True]}, rake(samples, [AGE]), samples, [AGE], domains=["a", "a", "a", "b"]
        )
        alone = estimates["help", "b"]
        assert (alone.respondents, alone.share) == (1, 1.0)
        assert 0 <= alone.low < alone.share <= alone.high <= 1

    def test_census_has_no_sampling_error(self):
        """When every household of the register answered, the raked share is exact."""
        samples = {"age_band": ["young"] * 6 + ["old"] * 4}
        margin = Margin("age_band", {"young": 6.0, "old": 4.0})
        needs = {"help": [True, False] * 5}
        estimate = estimate_shares(needs, rake(samples, [margin]), samples, [margin])["help", None]
        assert estimate.standard_error == 0
        assert estimate.low == estimate.share == estimate.high == 0.5

    @pytest.mark.parametrize("copies", [1, 4, 16])
    def test_interval_contains_estimate_and_narrows_with_n(self, copies):
        """The interval holds the estimate and shrinks as the same answers are repeated (register 100 times larger)."""
        base = {"age_band": ["young"] * 5 + ["old"] * 3, "household_size": ["alone", "several"] * 3 + ["alone"] * 2}
        help_ = [False, True, False, False, True, True, False, True]
        margins = [Margin(m.name, {c: t * 100 for c, t in m.totals.items()}) for m in (AGE, SIZE)]

        def estimate(repeat):
            samples = {name: values * repeat for name, values in base.items()}
            return estimate_shares({"help": help_ * repeat}, rake(samples, margins), samples, margins)["help", None]

        current = estimate(copies)
        assert current.low < current.share < current.high
        assert current.unweighted_low < current.unweighted_share < current.unweighted_high
        if copies > 1:
            previous = estimate(copies // 4)
            assert current.share == pytest.approx(previous.share, rel=1e-6)
            assert current.high - current.low < previous.high - previous.low
            assert (
                current.unweighted_high - current.unweighted_low < previous.unweighted_high - previous.unweighted_low
            )

    def test_reproducible(self):
        """The same inputs give the same estimates."""
        samples, margins = two_by_two()
        needs = {"help": [True, False, False, True, True]}
        first = estimate_shares(needs, rake(samples, margins), samples, margins, domains=list("aabbb"))
        assert first == estimate_shares(needs, rake(samples, margins), samples, margins, domains=list("aabbb"))

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"indicators": {"help": [True]}}, "Indicator 'help': 1 values, expected 2 (one per respondent)."),
            (
                {"indicators": {"help": [True, None]}},
                "Indicator 'help': expected booleans (or 0 and 1) for every respondent.",
            ),
            (
                {"indicators": {"help": [1, 2]}},
                "Indicator 'help': expected booleans (or 0 and 1) for every respondent.",
            ),
            ({"domains": ["a"]}, "Expected one domain per respondent: got 1 for 2 respondents."),
            ({"confidence": 1.0}, "Expected 0 < confidence < 1."),
            (
                {"raking": RakingResult(np.ones(3), 1, True, ())},
                "The raking has 3 weights but the samples have 2 respondents.",
            ),
            (
                {"samples": {"age_band": ["young", "40s"]}},
                "Margin 'age_band': category '40s' (respondent 1) is not in the margin's totals.",
            ),
        ],
    )
    def test_invalid(self, change, message):
        """Inputs that do not fit the answers are refused with a message saying which."""
        samples = {"age_band": ["young", "old"]}
        arguments = {
            "indicators": {"help": [True, False]},
            "raking": rake(samples, [AGE]),
            "samples": samples,
            "domains": None,
            "confidence": 0.95,
        } | change
        with pytest.raises(ValueError) as error:
            estimate_shares(
                arguments["indicators"],
                arguments["raking"],
                arguments["samples"],
                [AGE],
                domains=arguments["domains"],
                confidence=arguments["confidence"],
            )
        assert str(error.value) == message


class TestWilsonInterval:
    def test_known_values(self):
        """Wilson (1927) for 3 successes out of 10 at 95 %: [0.1078, 0.6032]."""
        assert wilson_interval(0.3, 10) == pytest.approx((0.10779, 0.60322), abs=1e-5)

    def test_zero_successes(self):
        """0 out of 10 gives [0, z^2 / (n + z^2)], not a point."""
        z2 = 1.959963984540054**2
        assert wilson_interval(0.0, 10) == pytest.approx((0.0, z2 / (10 + z2)))

    def test_infinite_size_is_the_point(self):
        """A proportion known without error has a point interval."""
        assert wilson_interval(0.25, math.inf) == (0.25, 0.25)


def dummies(samples, margins):
    """The n x k matrix X of the dummies of every margin's categories that have respondents."""
    columns = []
    for margin in margins:
        values = samples[margin.name]
        columns += [[value == category for value in values] for category in margin.totals if category in set(values)]
    return np.array(columns, dtype=float).T


def dense_estimates(indicators, raking, samples, margins, domains):
    """Shares and standard errors from the formula itself: one dense scaled pseudo-inverse of X'X, explicit residuals.

    This is the computation estimate_shares made before it solved all the domains' regressions at once through the
    block structure of X'X; it builds every respondent's residual for every domain, so it is for small cases only.
    """
    weights = raking.weights
    n = len(weights)
    x = dummies(samples, margins)
    normal = x.T @ x
    scale = 1 / np.sqrt(np.diag(normal))
    inverse = np.linalg.pinv(normal * scale[:, None] * scale[None, :], rtol=1e-10, hermitian=True)
    inverse *= scale[:, None] * scale[None, :]
    fpc = 1 - n / weights.sum()
    labels = [None] * n if domains is None else list(domains)
    results = {}
    for need, values in indicators.items():
        y = np.array(values, dtype=float)
        for label in set(labels):
            inside = np.array([d == label for d in labels], dtype=float)
            total = (weights * inside).sum()
            share = (weights * inside * y).sum() / total
            z = inside * (y - share) / total
            u = weights * (z - x @ (inverse @ (x.T @ z)))
            variance = fpc * n / (n - 1) * ((u - u.mean()) ** 2).sum()
            results[need, label] = (share, math.sqrt(max(variance, 0.0)))
    return results


def register_case(seed, respondents, structure):
    """A register drawn from ``structure(rng, households)`` (categories per margin), and a sample that over-represents
    the first category of every margin, as lists of strings; margins from the register's counts; needs that depend on
    every margin; and the raking."""
    rng = np.random.default_rng(seed)
    households = 4 * respondents
    categories = structure(rng, households)
    propensity = np.prod([1.0 + (codes == 0) for codes in categories.values()], axis=0)
    answered = rng.choice(households, respondents, replace=False, p=propensity / propensity.sum())
    samples = {name: [f"{name}{c}" for c in codes[answered]] for name, codes in categories.items()}
    margins = [
        Margin(name, {f"{name}{c}": float(t) for c, t in enumerate(np.bincount(codes)) if t})
        for name, codes in categories.items()
    ]
    effect = sum(rng.normal(0, 0.8, codes.max() + 1)[codes[answered]] for codes in categories.values())
    indicators = {
        f"need{j}": (rng.random(respondents) < 1 / (1 + np.exp(-(effect + rng.normal(-1, 0.5))))).tolist()
        for j in range(3)
    }
    return samples, margins, indicators, rake(samples, margins, RakingParams(tolerance=1e-10, max_iterations=1000))


def independent_margins(rng, households):
    """Age band (5), site (23, the largest margin, given second) and household size (4), drawn independently."""
    return {
        "age": rng.choice(5, households, p=[0.1, 0.2, 0.3, 0.25, 0.15]),
        "site": rng.choice(23, households, p=(sizes := rng.lognormal(0, 0.7, 23)) / sizes.sum()),
        "size": rng.choice(4, households),
    }


def disjoint_age_bands(rng, households):
    """Sites 0-5 house age bands 0-1 only, sites 6-9 age bands 2-3 only, sites 10-11 age band 4 only: the dummies
    of age bands 0 and 1 sum to those of sites 0-5 (and so on), a rank deficiency beyond the margins' own; and age band
    4 is the same within each site, so that the Schur complement has a zero row."""
    site = rng.choice(12, households)
    group = np.select([site < 6, site < 10], [0, 1], 2)
    age = np.where(group == 2, 4, 2 * group + rng.choice(2, households))
    return {"site": site, "age": age, "size": rng.choice(3, households, p=[0.5, 0.3, 0.2])}


class TestAgainstDenseComputation:
    """The block generalised inverse (all domains at once) gives the dense pseudo-inverse's results, to rounding."""

    def check(self, case, domains):
        samples, margins, indicators, raking = case
        ours = estimate_shares(indicators, raking, samples, margins, domains=domains)
        dense = dense_estimates(indicators, raking, samples, margins, domains)
        assert ours.keys() == dense.keys()
        for key, (share, standard_error) in dense.items():
            assert ours[key].share == pytest.approx(share, rel=1e-12)
            assert ours[key].standard_error == pytest.approx(standard_error, rel=1e-9, abs=1e-15)

    @pytest.fixture(scope="class")
    def independent(self):
        return register_case(1, 400, independent_margins)

    @pytest.fixture(scope="class")
    def disjoint(self):
        return register_case(2, 300, disjoint_age_bands)

    @pytest.mark.parametrize("by", [None, "site", "age", "size", "independent", "site x age"])
    def test_three_margins(self, independent, by):
        """Three margins, by the largest margin's categories, by another's, across margins, and independent of them."""
        samples = independent[0]
        assert independent[3].converged
        domains = {
            None: None,
            "independent": [f"D{d}" for d in np.random.default_rng(3).choice(17, len(samples["age"]))],
            "site x age": [f"{s}/{a}" for s, a in zip(samples["site"], samples["age"], strict=True)],
        }.get(by, samples.get(by))
        self.check(independent, domains)

    @pytest.mark.parametrize("by", [None, "site", "age", "independent"])
    def test_categories_that_never_meet(self, disjoint, by):
        """Groups of sites with disjoint age bands (X'X more singular than the margins make it): the same results."""
        samples, margins, _, raking = disjoint
        assert raking.converged
        # 12 sites + 5 age bands + 3 sizes; rank 16: each margin's dummies sum to one (2 relations between the three
        # margins), and so do ages 0-1 and sites 0-5, ages 2-3 and sites 6-9 (2 more, the third follows).
        assert np.linalg.matrix_rank(dummies(samples, margins)) == 20 - 4
        domains = {
            None: None,
            "independent": [f"D{d}" for d in np.random.default_rng(4).choice(9, len(samples["age"]))],
        }.get(by, samples.get(by))
        self.check(disjoint, domains)

    def test_one_margin(self, independent):
        """With one margin (post-stratification) the other block is empty."""
        samples, margins, indicators, _ = independent
        one = ({"site": samples["site"]}, [margins[1]], indicators, rake({"site": samples["site"]}, [margins[1]]))
        self.check(one, samples["age"])

    def test_numpy_inputs(self, independent):
        """NumPy arrays of categories and of booleans give the estimates of lists."""
        samples, margins, indicators, raking = independent
        arrays = {name: np.array(values) for name, values in samples.items()}
        needs = {need: np.array(values) for need, values in indicators.items()}
        ours = estimate_shares(needs, raking, arrays, margins, domains=arrays["site"])
        lists = estimate_shares(indicators, raking, samples, margins, domains=samples["site"])
        assert list(ours) == list(lists)
        for key, estimate in lists.items():
            assert ours[key].share == pytest.approx(estimate.share, rel=1e-12)
            assert ours[key].standard_error == pytest.approx(estimate.standard_error, rel=1e-9)


class TestAgainstReferenceImplementations:
    """svy 0.35.0 (successor of samplics; rake, then Taylor variance that credits the raking) and ipfn 1.4.4."""

    @pytest.fixture(scope="class")
    def example(self):
        inputs = weighting_svy_example.case()
        margins = [Margin(name, totals) for name, totals in inputs["margins"].items()]
        raking = rake(inputs["samples"], margins, RakingParams(tolerance=1e-12, max_iterations=1000))
        return inputs, margins, raking

    def check(self, example, reference):
        inputs, margins, raking = example
        assert raking.converged
        np.testing.assert_allclose(raking.weights, reference["weights"], rtol=1e-9)
        by_site = estimate_shares(
            inputs["needs"], raking, inputs["samples"], margins, domains=inputs["samples"]["site"]
        )
        overall = estimate_shares(inputs["needs"], raking, inputs["samples"], margins)
        for row in reference["estimates"]:
            ours = (overall if row["site"] is None else by_site)[row["need"], row["site"]]
            assert ours.share == pytest.approx(row["share"], rel=1e-9)
            assert ours.standard_error == pytest.approx(row["se"], rel=1e-7)
        assert len(reference["estimates"]) == len(by_site) + len(overall) == 8

    def test_recorded_svy_results(self, example):
        """Weights, shares and standard errors equal those svy computed (recorded in data/weighting_svy_example.json)."""
        self.check(example, json.loads(weighting_svy_example.PATH.read_text()))

    def test_svy_live(self, example):
        """Weights, shares and standard errors equal those of the installed svy on the same case."""
        pytest.importorskip("svy")
        self.check(example, weighting_svy_example.svy_results(example[0]))

    def test_ipfn_weights(self, example):
        """ipfn fits the same table of weighted counts per (age band, household size, site) cell."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pandas, imported by ipfn
            ipfn = pytest.importorskip("ipfn.ipfn")
        inputs, margins, raking = example
        codes = [np.array([list(m.totals).index(v) for v in inputs["samples"][m.name]]) for m in margins]
        seed = np.zeros([len(m.totals) for m in margins])
        np.add.at(seed, tuple(codes), 1.0)
        aggregates = [np.array(list(m.totals.values())) for m in margins]
        fitted = ipfn.ipfn(
            seed.copy(), aggregates, [[0], [1], [2]], convergence_rate=1e-12, max_iteration=1000
        ).iteration()
        np.testing.assert_allclose(fitted[tuple(codes)] / seed[tuple(codes)], raking.weights, rtol=1e-8)


def test_imports_no_django():
    """The module is pure: importing it loads nothing from Django."""
    code = "import sys, proxima.needs.weighting; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
