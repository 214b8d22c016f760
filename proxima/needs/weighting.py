"""Shares of households with a need, reweighted for non-response by raking on the register's margins.

Pure computation: plain data in, plain data out, nothing from Django. The adapter (the analysis views) reads the
responses and the landlord's register, calls :func:`rake` once per survey, then :func:`estimate_shares` once per way
of cutting the population (whole population, by site, by commune, by age band...).

Method (see docs/adr/005-survey-weighting.md for the reasons):

- **Raking** is iterative proportional fitting of the respondents' weights to the register's margins
  (Deming & Stephan 1940), which is calibration with the raking-ratio distance (Deville & Särndal 1992; Deville,
  Särndal & Sautory 1993). Respondents start from the weight N / n of a simple random sample of the register.
- **Variance** of a raked share: Taylor linearisation of the ratio (domain share = weighted total of the need over
  weighted count of the domain), then the residuals of that linearised variable regressed on the dummy variables of
  every margin's categories, with the weights before raking, multiplied by the final weights (Deville & Särndal
  1992, eq. 3.4; Lumley 2010, section 7.3). This is what R's ``survey`` (``rake()`` then ``svymean()``) and Python's
  ``svy`` compute; R stops its projection after 10 backfitting sweeps, this module solves it exactly, for every
  domain at once, through a block generalised inverse of the normal matrix (Marsaglia & Styan 1974) that exploits the
  dummies' structure. Respondents are treated as a simple random sample without replacement of the register, hence the
  correction 1 - n / N.
- **Interval**: Wilson's score interval (Wilson 1927) on the effective sample size p (1 - p) / v (Kish 1965;
  Korn & Graubard 1998 use the same effective size with Clopper-Pearson). It stays within [0, 1] and does not
  collapse to a point when no respondent, or every respondent, of a small domain has the need.

References
----------
- Deming, W. E. and Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency table when the
  expected marginal totals are known. *Annals of Mathematical Statistics* 11(4), 427-444.
- Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87(418), 376-382.
- Deville, J.-C., Särndal, C.-E. and Sautory, O. (1993). Generalized raking procedures in survey sampling.
  *JASA* 88(423), 1013-1020.
- Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size, design effect).
- Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions with small expected number of
  positive counts estimated from survey data. *Survey Methodology* 24(2), 193-201.
- Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, chapter 7 (post-stratification,
  raking and calibration).
- Marsaglia, G. and Styan, G. P. H. (1974). Rank conditions for generalized inverses of partitioned matrices.
  *Sankhyā* A 36(4), 437-442.
- Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *JASA* 22(158),
  209-212.
"""

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import sparse

# Two margins describe the same register when their totals agree to this relative precision (float sums of counts).
TOTALS_RELATIVE_TOLERANCE = 1e-9
# Eigenvalues of the (scaled) normal matrix below this fraction of the largest are treated as zero: they come from
# the dummies of each margin summing to one, i.e. from collinearity, not from information.
PSEUDO_INVERSE_RTOL = 1e-10


@dataclass(frozen=True)
class Margin:
    """Population count per category of one variable, from the landlord's register.

    Attributes
    ----------
    name
        Name of the variable, e.g. ``"age_band"``; the key of its sample in ``samples``.
    totals
        Number of households of the register in each category.
    """

    name: str
    totals: Mapping[Hashable, float]


@dataclass(frozen=True)
class RakingParams:
    """When iterative proportional fitting stops.

    Attributes
    ----------
    max_iterations
        Most full cycles over the margins.
    tolerance
        Raking has converged when the largest relative gap between a weighted category total and its population
        total, over every margin, is at most this.
    """

    max_iterations: int = 100
    tolerance: float = 1e-6

    def __post_init__(self):
        if self.max_iterations < 1:
            raise ValueError("Expected max_iterations >= 1.")
        if not self.tolerance > 0:
            raise ValueError("Expected tolerance > 0.")


@dataclass(frozen=True)
class RakingResult:
    """Weights of the respondents after raking.

    Attributes
    ----------
    weights
        One per respondent, in the order of the samples; they sum to the population total. A household stands for
        ``weights[i]`` households of the register.
    iterations
        Full cycles over the margins that were run.
    converged
        Whether the largest relative gap fell within the tolerance. If not, ``weights`` are the last iterate: they
        match the last margin exactly and the others only approximately.
    empty_categories
        (margin name, category) that have population but no respondent: their population is spread proportionally
        over the margin's other categories, and the estimates stand for those categories.
    largest_gap
        Largest relative gap between a weighted category total and its (spread) population total, at the end.
    """

    weights: np.ndarray
    iterations: int
    converged: bool
    empty_categories: tuple[tuple[str, Hashable], ...]
    largest_gap: float = math.nan


@dataclass(frozen=True)
class ShareEstimate:
    """Share of the households of a domain that have a need.

    Attributes
    ----------
    respondents
        Respondents in the domain.
    with_need
        Of whom have the need (unweighted count).
    share
        Raked estimate of the share of the domain's households with the need.
    low, high
        Confidence interval of the raked share (Wilson on the effective sample size), within [0, 1].
    unweighted_share
        ``with_need / respondents``.
    unweighted_low, unweighted_high
        Wilson score interval of the unweighted share.
    standard_error
        Linearised standard error of the raked share, with the finite population correction; NaN with a single
        respondent in the whole survey (no variance can be estimated from one answer).
    """

    respondents: int
    with_need: int
    share: float
    low: float
    high: float
    unweighted_share: float
    unweighted_low: float
    unweighted_high: float
    standard_error: float = math.nan


@dataclass(frozen=True)
class _Design:
    """The samples coded against the margins, once validated."""

    respondents: int
    population: float
    codes: tuple[np.ndarray, ...]  # per margin: index of each respondent's category among the kept categories
    targets: tuple[np.ndarray, ...]  # per margin: population of each kept category, empty categories spread over
    empty_categories: tuple[tuple[str, Hashable], ...]


def _encode(values: Sequence[Hashable]) -> tuple[list[Hashable], np.ndarray]:
    """Distinct values (in order of first appearance) and, for each value, the index of its distinct value.

    Values are compared as dictionary keys, exactly as the margins' totals are, so ``1`` and ``"1"`` stay apart
    (``np.unique`` on a list would turn a mix of numbers and strings into strings). NumPy arrays of numbers or
    strings take the vectorised path.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuUS":
        uniques, inverse = np.unique(values, return_inverse=True)
        return uniques.tolist(), inverse.astype(np.intp, copy=False).reshape(-1)
    index = {value: j for j, value in enumerate(dict.fromkeys(values))}
    inverse = np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
    return list(index), inverse


def _prepare(samples: Mapping[str, Sequence[Hashable]], margins: Sequence[Margin]) -> _Design:
    """Validate the margins and samples, and code each respondent's categories."""
    if not margins:
        raise ValueError("Expected at least one margin.")
    names = [margin.name for margin in margins]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"Margin {name!r} is given twice.")
    population = None
    for margin in margins:
        if not margin.totals:
            raise ValueError(f"Margin {margin.name!r} has no category.")
        for category, total in margin.totals.items():
            if not (isinstance(total, int | float | np.integer | np.floating) and math.isfinite(total) and total >= 0):
                raise ValueError(
                    f"Margin {margin.name!r}: category {category!r} has total {total!r}, expected a number >= 0."
                )
        margin_total = math.fsum(margin.totals.values())
        if population is None:
            if margin_total <= 0:
                raise ValueError(f"Margin {margin.name!r}: the population total is 0, expected > 0.")
            population, first = margin_total, margin.name
        elif not math.isclose(margin_total, population, rel_tol=TOTALS_RELATIVE_TOLERANCE):
            raise ValueError(
                f"Margins {first!r} and {margin.name!r} have different population totals "
                f"({population:g} and {margin_total:g})."
            )
    for name in names:
        if name not in samples:
            raise ValueError(f"No sample for margin {name!r}.")
    respondents = len(samples[names[0]])
    if respondents == 0:
        raise ValueError("No respondent.")
    codes, targets, empty = [], [], []
    for margin in margins:
        values = samples[margin.name]
        if len(values) != respondents:
            raise ValueError(
                f"Margin {margin.name!r}: {len(values)} respondent categories, expected {respondents} "
                f"(one per respondent, as for margin {names[0]!r})."
            )
        seen, inverse = _encode(values)
        position = {category: j for j, category in enumerate(margin.totals)}
        for k, category in enumerate(seen):
            if category not in position:
                first_respondent = int(np.argmax(inverse == k))
                raise ValueError(
                    f"Margin {margin.name!r}: category {category!r} (respondent {first_respondent}) "
                    "is not in the margin's totals."
                )
            if margin.totals[category] == 0:
                raise ValueError(
                    f"Margin {margin.name!r}: category {category!r} has respondents but a population total of 0."
                )
        # Keep the categories that have respondents, in the totals' order; spread the others' population over them.
        observed = set(seen)
        kept = [category for category in margin.totals if category in observed]
        kept_position = {category: j for j, category in enumerate(kept)}
        lookup = np.array([kept_position[category] for category in seen], dtype=np.intp)
        totals = np.array([float(margin.totals[category]) for category in kept])
        targets.append(totals * (population / totals.sum()))
        codes.append(lookup[inverse])
        empty += [(margin.name, c) for c, total in margin.totals.items() if total > 0 and c not in kept_position]
    return _Design(respondents, population, tuple(codes), tuple(targets), tuple(empty))


def _largest_gap(weights: np.ndarray, design: _Design) -> float:
    gaps = [
        np.max(np.abs(np.bincount(codes, weights=weights, minlength=len(target)) - target) / target)
        for codes, target in zip(design.codes, design.targets, strict=True)
    ]
    return float(max(gaps))


def rake(
    samples: Mapping[str, Sequence[Hashable]], margins: Sequence[Margin], params: RakingParams = RakingParams()
) -> RakingResult:
    """Weight the respondents so that their weighted counts match every margin of the register.

    Iterative proportional fitting (Deming & Stephan 1940): starting from N / n, each cycle multiplies the weights
    of each margin's category by the ratio of its population total to its weighted count, margin after margin. The
    limit is the calibration estimator with the raking-ratio distance (Deville & Särndal 1992, case 2). With one
    margin it is post-stratification (weights N_h / n_h) after one cycle.

    Parameters
    ----------
    samples
        ``samples[margin.name][i]`` is respondent i's category on that margin. Other keys are ignored.
    margins
        Population counts per category; every margin must add up to the same population total N.
    params
        Stopping rule.

    Returns
    -------
    RakingResult
        Weights summing to N, iterations run, whether the tolerance was reached, and the categories with population
        but no respondent (their population is spread proportionally over the margin's other categories).

    Raises
    ------
    ValueError
        A respondent category that is not in the margin's totals, or that has a population of 0; margins whose
        totals differ; no respondent; a sample missing for a margin or of another length; a negative total.
    """
    design = _prepare(samples, margins)
    weights = np.full(design.respondents, design.population / design.respondents)
    iterations, gap = 0, math.inf
    while iterations < params.max_iterations and gap > params.tolerance:
        iterations += 1
        for codes, target in zip(design.codes, design.targets, strict=True):
            weights *= (target / np.bincount(codes, weights=weights, minlength=len(target)))[codes]
        gap = _largest_gap(weights, design)
    return RakingResult(
        weights=weights,
        iterations=iterations,
        converged=gap <= params.tolerance,
        empty_categories=design.empty_categories,
        largest_gap=gap,
    )


def wilson_interval(share: float, size: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion observed on ``size`` (possibly effective, non-integer) trials.

    Parameters
    ----------
    share
        Observed proportion, in [0, 1].
    size
        Number of trials, > 0; ``math.inf`` for a proportion known without error (the interval is the point).
    confidence
        Coverage of the interval, in (0, 1).

    Returns
    -------
    tuple of float
        ``(low, high)`` within [0, 1] (Wilson 1927).
    """
    if math.isinf(size):
        return share, share
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    z2_n = z * z / size
    centre = (share + z2_n / 2) / (1 + z2_n)
    half = z * math.sqrt(share * (1 - share) / size + z2_n / (4 * size)) / (1 + z2_n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _generalised_inverse(matrix: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A generalised inverse of a positive semi-definite matrix, from its pseudo-inverse scaled to unit diagonal.

    Used on the Schur complement T of the normal matrix X'X of the margins' dummies (see :class:`_Residuals`). X'X is
    singular by construction (each margin's dummies sum to one), and so is T; residuals do not depend on which
    generalised inverse is used. Scaling by the diagonal makes the zero eigenvalues stand out from small but real ones.
    A zero diagonal entry (computed exactly, see :class:`_Residuals`) means a zero row and column (the matrix is
    positive semi-definite): they are left out.

    Parameters
    ----------
    matrix
        The k x k positive semi-definite matrix.
    counts
        Respondents of each of the k categories: a diagonal entry below ``PSEUDO_INVERSE_RTOL`` times this is zero.
    """
    diagonal = np.diag(matrix)
    kept = np.flatnonzero(diagonal > PSEUDO_INVERSE_RTOL * counts)
    inverse = np.zeros_like(matrix)
    if kept.size:
        scale = 1 / np.sqrt(diagonal[kept])
        block = np.ix_(kept, kept)
        scaled = np.linalg.pinv(
            matrix[block] * scale[:, None] * scale[None, :], rtol=PSEUDO_INVERSE_RTOL, hermitian=True
        )
        inverse[block] = scaled * scale[:, None] * scale[None, :]
    return inverse


def _cross_sums(codes_a: np.ndarray, size_a: int, codes_b: np.ndarray, size_b: int, values=None) -> np.ndarray:
    """Sum of ``values`` (default 1) over the respondents of each pair (category a, category b): size_a x size_b."""
    pairs = np.bincount(codes_a * size_b + codes_b, weights=values, minlength=size_a * size_b)
    return pairs.reshape(size_a, size_b).astype(float, copy=False)


class _Residuals:
    """Sums over each domain's linearised variable of its residuals on the margins' dummies, for every domain at once.

    For domain d, with z_d = 1{i in d} z_i, the regression coefficients are b_d = (X'X)^- X'z_d and the residuals
    e = z_d - X b_d; what the variance needs is sum_i (w_i e_i)^2 and sum_i w_i e_i, expanded as
    sum (w z_d)^2 - 2 b_d' X'W^2 z_d + b_d' X'W^2X b_d and sum w z_d - b_d' X'w, so that no respondents x domains
    matrix is built.

    X = [X1, X2]: X1 holds the dummies of the margin with the most categories (k1 of them: communes or sites), X2 those
    of the other margins (k2, a dozen). Each respondent has one category per margin, so the block X1'X1 is diagonal,
    D1 = the respondents per category (all > 0). With C = X1'X2, S = X2'X2, E = D1^-1 C and the Schur complement
    T = S - C'E (k2 x k2), for any generalised inverse T^- of T

        G = [[D1^-1 + E T^- E', -E T^-], [-T^- E', T^-]]

    is a generalised inverse of X'X (Marsaglia & Styan 1974): X'X = L diag(D1, T) L' with L = [[I, 0], [E', I]].
    Residuals do not depend on which generalised inverse is used, so they are those of the dense pseudo-inverse, up to
    rounding. With g = X'z_d split into (g1, g2): t = T^- (E'g1 - g2), b1 = D1^-1 g1 + E t, b2 = -t. For every domain
    at once, g1 is a sparse domains x k1 matrix (a domain's respondents fall in few categories of margin 1): every
    product below costs O(nonzeros x k2 + domains x k2^2), never O(domains x k1^2) nor O(k1^3). X'W^2X has the same
    block structure (diagonal q1 for margin 1, Q12, Q22), so b'X'W^2X b = sum q1 b1^2 + 2 b1'Q12 b2 + b2'Q22 b2
    expands with b1 = a + E t (a = D1^-1 g1, sparse) into sparse and k2-sized terms.
    """

    def __init__(self, design: _Design, weights: np.ndarray, domain_codes: np.ndarray, domains: int):
        sizes = [len(target) for target in design.targets]
        first = int(np.argmax(sizes))  # margin 1: the one with the most categories
        codes1, k1 = design.codes[first], sizes[first]
        others = [(codes, size) for m, (codes, size) in enumerate(zip(design.codes, sizes, strict=True)) if m != first]
        k2 = sum(size for _, size in others)
        squared = weights * weights

        # Blocks of X'X and X'W^2X: D1 and q1 (diagonal), C and Q12 (k1 x k2), S and Q22 (k2 x k2); X1'w and X2'w.
        counts1 = np.bincount(codes1, minlength=k1).astype(float)
        q1 = np.bincount(codes1, weights=squared, minlength=k1)
        empty = np.zeros((k1, 0))
        cross = np.hstack([empty] + [_cross_sums(codes1, k1, codes, size) for codes, size in others])
        cross_squared = np.hstack([empty] + [_cross_sums(codes1, k1, codes, size, squared) for codes, size in others])
        other, other_squared = (
            np.block([[_cross_sums(a, size_a, b, size_b, values) for b, size_b in others] for a, size_a in others])
            if others
            else np.zeros((0, 0))
            for values in (None, squared)
        )
        c1 = np.bincount(codes1, weights=weights, minlength=k1)
        c2 = np.concatenate(
            [np.zeros(0)] + [np.bincount(codes, weights=weights, minlength=size) for codes, size in others]
        )

        e = cross / counts1[:, None]
        schur = other - cross.T @ e
        schur = (schur + schur.T) / 2
        # Its diagonal, sum over margin 1's categories of C (D1 - C) / D1, without cancellation: exactly zero for a
        # category that is, within each of margin 1's categories, shared by all respondents or by none.
        schur[np.diag_indices(k2)] = (e * (counts1[:, None] - cross)).sum(axis=0)
        self._schur_inverse = _generalised_inverse(schur, np.diag(other))
        self._e = e
        # g1 @ [E | D1^-1 (diag(q1) E - Q12)]: the first half for t, the second for the cross term a' (q1 E - Q12) t.
        self._e_f = np.hstack([e, (q1[:, None] * e - cross_squared) / counts1[:, None]])
        # The quadratic form in t of b'X'W^2X b once b1 = a + E t and b2 = -t are substituted (the terms without a).
        self._k = e.T @ (q1[:, None] * e) - e.T @ cross_squared - cross_squared.T @ e + other_squared
        self._r = e.T @ c1 - c2  # b'X'w = a'c1 + t'(E'c1 - c2)

        # Respondents grouped by (domain, category of margin 1): the nonzeros of the sparse domains x k1 matrices,
        # sorted by domain (compressed sparse rows; every domain has respondents, hence nonzeros).
        pairs, pair = np.unique(domain_codes * k1 + codes1, return_inverse=True)
        self._pair = pair.reshape(-1)
        self._pair_domain, self._pair_category = pairs // k1, pairs % k1
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(self._pair_domain, minlength=domains))])
        self._inverse_count = 1 / counts1[self._pair_category]  # a = D1^-1 g1 on the nonzeros
        self._q1 = q1[self._pair_category]
        self._c1 = c1[self._pair_category]
        # Each respondent's column among the domains x k2 sums, for each of the other margins.
        offsets = np.cumsum([0] + [size for _, size in others])
        self._index2 = np.concatenate(
            [np.zeros(0, np.intp)]
            + [domain_codes * k2 + offset + codes for (codes, _), offset in zip(others, offsets[:-1], strict=True)]
        )
        self._shape = (domains, k1)
        self._k2 = k2
        self._domain_codes = domain_codes
        self._weights = weights

    def _block1(self, values: np.ndarray) -> sparse.csr_array:
        """Sum of ``values`` per (domain, category of margin 1), as a sparse domains x k1 matrix."""
        data = np.bincount(self._pair, weights=values, minlength=len(self._pair_category))
        return sparse.csr_array((data, self._pair_category, self._indptr), shape=self._shape)

    def _block2(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` per (domain, category of the other margins), dense domains x k2."""
        domains, k2 = self._shape[0], self._k2
        sums = np.bincount(
            self._index2, weights=np.tile(values, len(self._index2) // len(values)), minlength=domains * k2
        )
        return sums.reshape(domains, k2)

    def sums(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per domain d, sum_i u_i^2 and sum_i u_i, with u = w e the final weights times the residuals of z_d."""
        domains, k2 = self._shape[0], self._k2
        wz = self._weights * z
        w2z = self._weights * wz
        g1, h1 = self._block1(z), self._block1(w2z)  # X1'z_d and X1'W^2 z_d, one row per domain (sparse)
        a = g1.data * self._inverse_count  # the sparse part of b1 = a + E t
        g1_e_f, h1_e = g1 @ self._e_f, h1 @ self._e
        t = (g1_e_f[:, :k2] - self._block2(z)) @ self._schur_inverse  # T^- (E'g1 - g2), one row per domain
        quadratic = (  # b'X'W^2X b
            np.bincount(self._pair_domain, weights=self._q1 * a * a, minlength=domains)
            + 2 * (t * g1_e_f[:, k2:]).sum(axis=1)
            + ((t @ self._k) * t).sum(axis=1)
        )
        cross = (  # b'X'W^2 z_d
            np.bincount(self._pair_domain, weights=a * h1.data, minlength=domains)
            + (t * (h1_e - self._block2(w2z))).sum(axis=1)
        )
        fitted = np.bincount(self._pair_domain, weights=a * self._c1, minlength=domains) + t @ self._r  # b'X'w
        sum_squares = np.bincount(self._domain_codes, weights=wz * wz, minlength=domains) - 2 * cross + quadratic
        sum_u = np.bincount(self._domain_codes, weights=wz, minlength=domains) - fitted
        return sum_squares, sum_u


def _wilson_intervals(share: np.ndarray, size: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson_interval` on arrays, with the same operations (hence the same results); ``z`` the quantile."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z2_n = z * z / size
        centre = (share + z2_n / 2) / (1 + z2_n)
        half = z * np.sqrt(share * (1 - share) / size + z2_n / (4 * size)) / (1 + z2_n)
    infinite = np.isinf(size)
    low = np.where(infinite, share, np.maximum(0.0, centre - half))
    high = np.where(infinite, share, np.minimum(1.0, centre + half))
    return low, high


def estimate_shares(
    indicators: Mapping[str, Sequence[bool]],
    raking: RakingResult,
    samples: Mapping[str, Sequence[Hashable]],
    margins: Sequence[Margin],
    *,
    domains: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    finite_population_correction: bool = True,
) -> dict[tuple[str, Hashable | None], ShareEstimate]:
    """Raked and unweighted share of households with each need, in each domain, with confidence intervals.

    The raked share of domain d is the ratio p_d = sum_{i in d} w_i y_i / sum_{i in d} w_i. Its variance is
    estimated by Taylor linearisation: with z_i = 1{i in d} (y_i - p_d) / sum_{i in d} w_i, let e_i be the residual of
    z regressed on the dummies of every margin's categories (ordinary least squares: the weights before raking are
    all N / n), and u_i = w_i e_i with the final weights; then v = (1 - n / N) n / (n - 1) sum_i (u_i - mean(u))^2, the
    variance of an estimated total under simple random sampling without replacement of n households among the
    register's N (Deville & Särndal 1992, eq. 3.4; Lumley 2010, section 7.3; R ``survey``'s ``svyrecvar``).
    Respondents contribute to a domain's variance even outside it, through the margins. The regressions of every
    domain are solved together through a block generalised inverse of the normal matrix (:class:`_Residuals`), in
    time linear in the respondents and the domains.

    Parameters
    ----------
    indicators
        Per need: ``indicators[need][i]`` says whether respondent i has it (booleans, or 0 and 1).
    raking
        The result of :func:`rake` on the same ``samples`` and ``margins``.
    samples, margins
        As given to :func:`rake`. NumPy arrays of numbers or strings are encoded faster than lists.
    domains
        ``domains[i]`` is respondent i's domain (a site id, a commune code, an age band...). None: the whole
        population, under the domain key None.
    confidence
        Coverage of the intervals, in (0, 1).
    finite_population_correction
        Multiply the variance by 1 - n / N, treating respondents as drawn without replacement from the register.

    Returns
    -------
    dict
        ``{(need, domain): ShareEstimate}``, needs in the order given, domains sorted when they can be (else in
        order of first appearance). Domains without respondents are absent.

    Raises
    ------
    ValueError
        The raking's weights do not match the samples, an indicator or the domains have the wrong length, an
        indicator holds something other than booleans, or ``confidence`` is outside (0, 1); and every error of
        :func:`rake` about the samples and margins.
    """
    if not 0 < confidence < 1:
        raise ValueError("Expected 0 < confidence < 1.")
    design = _prepare(samples, margins)
    n = design.respondents
    weights = np.asarray(raking.weights, dtype=float)
    if weights.shape != (n,):
        raise ValueError(f"The raking has {weights.size} weights but the samples have {n} respondents.")
    if domains is None:
        labels, domain_codes = [None], np.zeros(n, dtype=np.intp)
    elif len(domains) != n:
        raise ValueError(f"Expected one domain per respondent: got {len(domains)} for {n} respondents.")
    else:
        labels, domain_codes = _encode(domains)
    try:
        order = sorted(range(len(labels)), key=labels.__getitem__)
    except TypeError:  # domains of types that cannot be compared: keep the order of first appearance
        order = list(range(len(labels)))
    D = len(labels)
    ordered_labels = [labels[d] for d in order]
    order = np.array(order, dtype=np.intp)

    population = weights.sum()
    sampling_fraction = min(n / population, 1.0) if finite_population_correction else 0.0
    fpc = 1 - sampling_fraction
    quantile = NormalDist().inv_cdf((1 + confidence) / 2)
    # The regression uses the weights respondents had before raking (all N / n, so ordinary least squares), as in
    # Deville & Särndal (1992, eq. 3.4) and R survey's svyrecvar for raked designs; the residuals are then
    # multiplied by the final weights.
    residuals = _Residuals(design, weights, domain_codes, D)
    respondents = np.bincount(domain_codes, minlength=D)
    domain_weights = np.bincount(domain_codes, weights=weights, minlength=D)
    kish_size = domain_weights**2 / np.bincount(domain_codes, weights=weights * weights, minlength=D)
    # Effective size when there is no spread to measure (nobody or everybody has the need, or a single answer):
    # Kish's, with the finite population correction (a census gives the point).
    kish_size = kish_size / fpc if fpc > 0 else np.full(D, math.inf)

    estimates = {}
    for need, values in indicators.items():
        y = _as_indicator(need, values, n)
        with_need = np.rint(np.bincount(domain_codes, weights=y, minlength=D)).astype(np.int64)
        share = np.bincount(domain_codes, weights=weights * y, minlength=D) / domain_weights
        z = (y - share[domain_codes]) / domain_weights[domain_codes]  # linearises the ratio of respondent i's domain
        sum_squares, sum_u = residuals.sums(z)
        if n > 1:
            variance = np.maximum(fpc * n / (n - 1) * (sum_squares - sum_u**2 / n), 0.0)
        else:
            variance = np.full(D, math.nan)
        inside = (share > 0) & (share < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.where(
                inside & (variance > 0),
                share * (1 - share) / variance,
                # v = 0 with 0 < p < 1: the need is a function of the margins, the register gives it exactly.
                np.where(inside & (variance == 0), math.inf, kish_size),
            )
        low, high = _wilson_intervals(share, size, quantile)
        unweighted_share = with_need / respondents
        unweighted_low, unweighted_high = _wilson_intervals(unweighted_share, respondents.astype(float), quantile)
        # The fields of ShareEstimate, in their order, one value per domain (sorted), as Python numbers.
        fields = (
            respondents,
            with_need,
            share,
            np.minimum(low, share),
            np.maximum(high, share),
            unweighted_share,
            unweighted_low,
            unweighted_high,
            np.sqrt(variance),
        )
        keys = [(need, label) for label in ordered_labels]
        estimates.update(zip(keys, map(ShareEstimate, *(field[order].tolist() for field in fields)), strict=True))
    return estimates


def _as_indicator(need: str, values: Sequence[bool], respondents: int) -> np.ndarray:
    if len(values) != respondents:
        raise ValueError(f"Indicator {need!r}: {len(values)} values, expected {respondents} (one per respondent).")
    array = np.asarray(values)
    if array.dtype != bool and not (array.dtype.kind in "iuf" and np.isin(array, (0, 1)).all()):
        raise ValueError(f"Indicator {need!r}: expected booleans (or 0 and 1) for every respondent.")
    return array.astype(float)
