"""Needs analysis of one survey: who answered, and the share of households with each need.

The population is the register's households targeted by the survey; the respondents are
those of them with a response. Shares are reweighted for non-response by raking the
respondents on the register's margins (age band of the lease holder, household size, and
site or commune), through :mod:`proxima.needs.weighting`, and come with 95 % confidence
intervals, the unweighted share beside them.

:func:`load_survey_data` reads the database in a few aggregate queries and returns plain
rows; everything after it works on those rows only.
"""

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import NamedTuple

import numpy as np
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q

from proxima.core.memory import gc_paused
from proxima.households.models import Household
from proxima.needs.enums import Channel, Need
from proxima.needs.models import Question, Response
from proxima.needs.weighting import Margin, RakingParams, estimate_shares, rake
from proxima.territory.models import Commune, Site

UNKNOWN = "unknown"
POOLED = "pooled"
# Age of the lease holder reached during the analysis year, lower bound of each band.
AGE_BANDS = (("<30", 0), ("30-44", 30), ("45-59", 45), ("60-74", 60), ("75+", 75))
AGE_BAND_LABELS = {
    "<30": "moins de 30 ans",
    "30-44": "30 à 44 ans",
    "45-59": "45 à 59 ans",
    "60-74": "60 à 74 ans",
    "75+": "75 ans et plus",
    UNKNOWN: "âge inconnu",
}
SIZE_BANDS = ("1", "2", "3", "4", "5+")
SIZE_BAND_LABELS = {
    "1": "1 personne",
    "2": "2 personnes",
    "3": "3 personnes",
    "4": "4 personnes",
    "5+": "5 personnes et plus",
    UNKNOWN: "aucun occupant enregistré",
}
ARREARS_LABELS = {True: "en impayé", False: "sans impayé"}


def age_band(birth_year: int | None, year: int) -> str:
    """The age band of someone born in ``birth_year`` during ``year`` (``"unknown"`` without a year)."""
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    band = AGE_BANDS[0][0]
    for name, lower in AGE_BANDS:
        if age >= lower:
            band = name
    return band


def size_band(persons: int) -> str:
    """The household size band: 1, 2, 3, 4, 5+ persons (``"unknown"`` when no person is recorded)."""
    if persons <= 0:
        return UNKNOWN
    return SIZE_BANDS[min(persons, 5) - 1]


class HouseholdRow(NamedTuple):
    """A targeted household, reduced to what the analysis cuts by.

    A named tuple rather than a frozen dataclass: a large landlord has 100,000 of them per
    page, and a tuple is built several times faster (the page must answer in < 500 ms).
    """

    household_id: int
    site_id: int
    commune_code: str
    epci_siren: str  # "" when the commune belongs to no EPCI
    age_band: str
    size_band: str
    in_arrears: bool


class ResponseRow(NamedTuple):
    household_id: int | None  # None for an anonymous response (public link)
    channel: str
    needs: frozenset[str]


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SurveyData:
    """Everything the analysis of one survey reads from the database, as plain data.

    The population enters only through its counts by dimension: a large landlord has 100,000
    households, and the page must answer in < 500 ms, so only the respondents are kept as rows.
    """

    population: int  # targeted households
    totals: Mapping[str, Mapping[Hashable, int]]  # per code of DIMENSIONS: targeted households per category
    respondents: tuple[tuple[HouseholdRow, ResponseRow], ...]  # targeted households with a response, register order
    anonymous: int  # responses with no household (public link): not in the rates nor the estimates
    outside: int  # responses of households the survey does not target (moved, or targets changed)
    needs: tuple[str, ...]  # need codes some question of the survey measures, in the order of Need
    sites: Mapping[int, str]
    communes: Mapping[str, Place]
    epcis: Mapping[str, str]
    on: dt.date


def _raw(queryset) -> list[tuple]:
    """The rows of ``queryset`` as the database driver returns them, without Django's per-value converters.

    For 100,000 rows the converters cost more than the query itself. Only for columns whose raw
    values are already usable: integers, text, and booleans (0 and 1 on SQLite).
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _count_by(counts: Mapping[Hashable, int], key: Callable[[Hashable], Hashable]) -> Counter:
    merged = Counter()
    for value, count in counts.items():
        merged[key(value)] += count
    return merged


@gc_paused()
def load_survey_data(survey, *, on: dt.date, territory: tuple[str, Hashable] | None = None) -> SurveyData:
    """Read the population targeted by ``survey``, its responses and the places they lie in.

    The population is the households of the survey's sites and of the sites in its communes,
    or all the organisation's households when it targets neither; ``territory`` (a territory
    code of :data:`DIMENSIONS` and a key) keeps only the households of one site, commune or EPCI.
    Six or seven queries, whatever the number of households: aggregates and ``values_list`` only.
    """
    organisation_id = survey.organisation_id
    households = Household.objects.filter(organisation_id=organisation_id)
    targets = survey.sites.values("pk")
    target_communes = survey.communes.values("pk")
    if targets.exists() or target_communes.exists():
        households = households.filter(
            Q(dwelling__building__site__in=targets) | Q(dwelling__building__site__commune__in=target_communes)
        )
    if territory is not None:
        code, key = territory
        field_name = {"site": "site_id", "commune": "site__commune_id", "epci": "site__commune__epci_id"}[code]
        households = households.filter(**{f"dwelling__building__{field_name}": key or None})
    rows = _raw(
        households.annotate(in_arrears=ExpressionWrapper(Q(arrears_amount__gt=0), output_field=BooleanField()))
        # size and holder_birth_year are kept on the household: no join with its persons.
        .values_list("pk", "dwelling__building__site_id", "in_arrears", "size", "holder_birth_year")
        .order_by()  # counted, not listed: the respondents are sorted by id below
    )
    site_rows = Site.objects.filter(organisation_id=organisation_id).values_list("pk", "name", "commune_id")
    sites = {pk: (name, commune) for pk, name, commune in site_rows}
    commune_rows = (
        Commune.objects.filter(sites__organisation_id=organisation_id)
        .distinct()
        .values_list("code", "name", "latitude", "longitude", "epci_id", "epci__name")
    )
    communes, epcis, epci_of = {}, {}, {}
    for code, name, latitude, longitude, siren, epci_name in commune_rows:
        communes[code] = Place(name=name, latitude=latitude, longitude=longitude)
        epci_of[code] = siren or ""
        if siren:
            epcis[siren] = epci_name
    commune_of = {pk: commune for pk, (_, commune) in sites.items()}
    epci_of_site = {pk: epci_of[commune] for pk, commune in commune_of.items()}

    response_rows = _raw(
        Response.objects.filter(survey=survey).order_by("pk").values_list("household_id", "channel", "needs")
    )
    needs_lists = [needs for _, _, needs in response_rows]
    if needs_lists and isinstance(needs_lists[0], str):  # JSON text (SQLite): one parse for all, not 30,000
        needs_lists = json.loads("[" + ",".join(needs_lists) + "]")
    responses = [
        ResponseRow(household_id, channel, frozenset(needs or ()))
        for (household_id, channel, _), needs in zip(response_rows, needs_lists, strict=True)
    ]
    by_household = {r.household_id: r for r in responses if r.household_id is not None}

    # Counts of the population by dimension, column by column at C speed: no object per household.
    site_ids, arrears, persons, birth_years = (list(map(itemgetter(i), rows)) for i in range(1, 5))
    by_site, by_year, by_size = Counter(site_ids), Counter(birth_years), Counter(persons)
    by_commune = _count_by(by_site, commune_of.__getitem__)
    age_of = {year: age_band(year, on.year) for year in by_year}
    size_of = {count: size_band(count) for count in by_size}
    totals = {
        "site": by_site,
        "commune": by_commune,
        "epci": _count_by(by_commune, epci_of.__getitem__),
        "age": _count_by(by_year, age_of.__getitem__),
        "size": _count_by(by_size, size_of.__getitem__),
        "arrears": _count_by(Counter(arrears), bool),
    }
    row_of = {row[0]: row for row in rows}
    # In id order: the same respondents' order, hence the same figures to the last digit, on every database.
    respondents = tuple(
        (
            HouseholdRow(
                pk, site_id, commune_of[site_id], epci_of_site[site_id], age_of[year], size_of[count], bool(owes)
            ),
            by_household[pk],
        )
        for pk, site_id, owes, count, year in map(row_of.get, sorted(row_of.keys() & by_household.keys()))
    )
    measured = set(
        Question.objects.filter(version__survey=survey)
        .exclude(need="")
        .order_by()
        .values_list("need", flat=True)
        .distinct()
    )
    return SurveyData(
        population=len(rows),
        totals=totals,
        respondents=respondents,
        anonymous=sum(r.household_id is None for r in responses),
        outside=len(by_household) - len(respondents) if territory is None else 0,
        needs=tuple(n for n in Need.values if n in measured),
        sites={pk: name for pk, (name, _) in sites.items()},
        communes=communes,
        epcis=epcis,
        on=on,
    )


# Ways to cut the population: what each household's category is, and how to name it.
@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    key: Callable[[HouseholdRow], Hashable]
    name: Callable[[SurveyData, Hashable], str]
    is_territory: bool = False


def _commune_name(data: SurveyData, code) -> str:
    place = data.communes.get(code)
    return f"{place.name} ({code})" if place else str(code)


DIMENSIONS = {
    d.code: d
    for d in [
        Dimension(
            "site", "résidence", attrgetter("site_id"), lambda data, k: data.sites.get(k, str(k)), is_territory=True
        ),
        Dimension("commune", "commune", attrgetter("commune_code"), _commune_name, is_territory=True),
        Dimension(
            "epci",
            "EPCI",
            attrgetter("epci_siren"),
            lambda data, k: data.epcis.get(k, "commune hors EPCI") if k else "commune hors EPCI",
            is_territory=True,
        ),
        Dimension(
            "age", "tranche d'âge du titulaire du bail", attrgetter("age_band"), lambda data, k: AGE_BAND_LABELS[k]
        ),
        Dimension("size", "taille du ménage", attrgetter("size_band"), lambda data, k: SIZE_BAND_LABELS[k]),
        Dimension("arrears", "impayés", attrgetter("in_arrears"), lambda data, k: ARREARS_LABELS[k]),
    ]
}
# The natural order of the segments' categories; territories are sorted by name.
_SEGMENT_ORDER = {
    "age": [b for b, _ in AGE_BANDS] + [UNKNOWN],
    "size": [*SIZE_BANDS, UNKNOWN],
    "arrears": [True, False],
}


def _ordered_keys(data: SurveyData, dimension: Dimension, keys: Iterable[Hashable]) -> list[Hashable]:
    keys = set(keys)
    if dimension.code in _SEGMENT_ORDER:
        return [k for k in _SEGMENT_ORDER[dimension.code] if k in keys]
    return sorted(keys, key=lambda k: (dimension.name(data, k).casefold(), str(k)))


# Response rates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: Hashable
    label: str
    respondents: int
    households: int

    @property
    def rate(self) -> float | None:
        return self.respondents / self.households if self.households else None


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    label: str
    responses: int  # respondents of the population who answered through this channel
    share: float | None  # of the respondents
    rate: float | None  # of the population


@dataclass(frozen=True)
class ResponseRates:
    overall: Rate
    by_channel: tuple[ChannelCount, ...]
    by_dimension: Mapping[str, tuple[Rate, ...]]
    anonymous: int  # responses with no household (public link): not in the rates nor the estimates
    outside: int  # responses of households the survey does not target (moved, or targets changed)


def response_rates(data: SurveyData) -> ResponseRates:
    """Respondents over targeted households, overall, by channel and along every dimension."""
    respondents = data.respondents
    population = data.population
    n = len(respondents)
    channels = Counter(r.channel for _, r in respondents)
    by_channel = tuple(
        ChannelCount(
            channel=c.value,
            label=str(c.label),
            responses=channels[c.value],
            share=channels[c.value] / n if n else None,
            rate=channels[c.value] / population if population else None,
        )
        for c in Channel
        if channels[c.value]
    )
    by_dimension = {}
    rows = [h for h, _ in respondents]
    for dimension in DIMENSIONS.values():
        totals = data.totals[dimension.code]
        answered = Counter(map(dimension.key, rows))
        by_dimension[dimension.code] = tuple(
            Rate(key=k, label=dimension.name(data, k), respondents=answered[k], households=totals[k])
            for k in _ordered_keys(data, dimension, totals)
        )
    return ResponseRates(
        overall=Rate(key=None, label="ensemble", respondents=n, households=population),
        by_channel=by_channel,
        by_dimension=by_dimension,
        anonymous=data.anonymous,
        outside=data.outside,
    )


# Needs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisParams:
    """Thresholds of the needs analysis.

    Parameters
    ----------
    min_respondents
        Below this number of respondents an estimate is flagged as unreliable and not shown.
    min_cell_respondents
        The raking uses sites as its territory margin only when every site has at least this
        many respondents, otherwise communes; and in every margin, the categories with fewer
        respondents are pooled into one, so that no handful of households carries a huge weight.
    """

    min_respondents: int = 10
    min_cell_respondents: int = 10
    confidence: float = 0.95
    raking: RakingParams = field(default_factory=RakingParams)

    def __post_init__(self):
        if self.min_respondents < 1:
            raise ValueError("Expected min_respondents >= 1.")
        if self.min_cell_respondents < 1:
            raise ValueError("Expected min_cell_respondents >= 1.")
        if not 0 < self.confidence < 1:
            raise ValueError("Expected 0 < confidence < 1.")


@dataclass(frozen=True)
class MarginUsed:
    code: str  # a key of DIMENSIONS
    label: str
    pooled: tuple[str, ...]  # names of the categories pooled together for lack of respondents


@dataclass(frozen=True)
class Weighting:
    """How the respondents were reweighted: said on the page next to the figures."""

    margins: tuple[MarginUsed, ...]
    territory: str  # "site" or "commune"
    iterations: int
    converged: bool
    empty_categories: tuple[str, ...]  # "margin: category" of the population with no respondent at all


@dataclass(frozen=True)
class Estimate:
    """The share of households with one need in one domain (None: all targeted households)."""

    need: str
    domain: Hashable | None
    label: str
    households: int
    respondents: int
    with_need: int
    share: float | None
    low: float | None
    high: float | None
    unweighted_share: float | None
    unweighted_low: float | None
    unweighted_high: float | None
    reliable: bool

    @property
    def need_label(self) -> str:
        return str(Need(self.need).label)


@dataclass(frozen=True)
class NeedsAnalysis:
    weighting: Weighting | None  # None when nobody answered
    # By dimension code (None for the whole population), the estimates: one per (need, domain).
    estimates: Mapping[str | None, tuple[Estimate, ...]]

    def for_need(self, dimension: str | None, need: str) -> tuple[Estimate, ...]:
        return tuple(e for e in self.estimates.get(dimension, ()) if e.need == need)

    def for_domain(self, dimension: str | None, domain: Hashable | None) -> tuple[Estimate, ...]:
        return tuple(e for e in self.estimates.get(dimension, ()) if e.domain == domain)


def _margin(
    data: SurveyData, dimension: Dimension, respondents: list[HouseholdRow], min_cell: int
) -> tuple[Margin, list[Hashable], MarginUsed]:
    """The register's totals and the respondents' categories, small categories pooled together."""
    totals = data.totals[dimension.code]
    answered = Counter(map(dimension.key, respondents))
    small = [k for k in totals if answered[k] < min_cell]
    pooled = set(small) if len(small) > 1 else set()  # pooling a single category changes nothing

    def category(key):
        return POOLED if key in pooled else key

    merged = defaultdict(float)
    for key, count in totals.items():
        merged[category(key)] += count
    used = MarginUsed(
        code=dimension.code,
        label=dimension.label,
        pooled=tuple(dimension.name(data, k) for k in _ordered_keys(data, dimension, pooled)),
    )
    keys = map(dimension.key, respondents)
    categories = [POOLED if k in pooled else k for k in keys] if pooled else list(keys)
    # Categories as text in a NumPy array: the weighting codes them at C speed (30,000 respondents, several passes).
    return (
        Margin(name=dimension.code, totals={str(k): v for k, v in merged.items()}),
        np.array([str(k) for k in categories]),
        used,
    )


@gc_paused()
def analyse_needs(
    data: SurveyData, *, dimensions: Iterable[str] = (), params: AnalysisParams = AnalysisParams()
) -> NeedsAnalysis:
    """Rake the respondents on the register's margins, then estimate each need's share overall and by ``dimensions``.

    Parameters
    ----------
    data
        The survey's population and responses (:func:`load_survey_data`).
    dimensions
        Codes of :data:`DIMENSIONS` to break the estimates down by, besides the whole population.
    params
        Thresholds: reliability and pooling of small categories.

    Returns
    -------
    NeedsAnalysis
        The weighting used, and for the whole population (key None) and each dimension one
        estimate per need and domain, domains without respondents included (no figures).
    """
    respondents = data.respondents
    if not respondents or not data.needs:
        return NeedsAnalysis(weighting=None, estimates={})
    rows = [h for h, _ in respondents]
    sites_answered = Counter(h.site_id for h in rows)
    every_site_enough = all(sites_answered[site] >= params.min_cell_respondents for site in data.totals["site"])
    territory = "site" if every_site_enough else "commune"
    margins, samples, used = [], {}, []
    for code in ("age", "size", territory):
        margin, categories, margin_used = _margin(data, DIMENSIONS[code], rows, params.min_cell_respondents)
        margins.append(margin)
        samples[code] = categories
        used.append(margin_used)
    raking = rake(samples, margins, params.raking)
    original = {code: {str(k): k for k in data.totals[code]} for code in samples}
    empty = tuple(
        f"{DIMENSIONS[name].label} : "
        + ("catégories regroupées" if key == POOLED else DIMENSIONS[name].name(data, original[name][key]))
        for name, key in raking.empty_categories
    )
    weighting = Weighting(
        margins=tuple(used),
        territory=territory,
        iterations=raking.iterations,
        converged=raking.converged,
        empty_categories=empty,
    )
    indicators = {
        need: np.fromiter((need in r.needs for _, r in respondents), bool, len(respondents)) for need in data.needs
    }
    estimates = {}
    for code in [None, *dict.fromkeys(dimensions)]:
        dimension = DIMENSIONS[code] if code else None
        domains = list(map(dimension.key, rows)) if dimension else None
        shares = estimate_shares(indicators, raking, samples, margins, domains=domains, confidence=params.confidence)
        if dimension:
            totals = data.totals[dimension.code]
            keys = _ordered_keys(data, dimension, totals)
        else:
            totals, keys = {None: data.population}, [None]
        estimates[code] = tuple(
            _estimate(need, key, dimension.name(data, key) if dimension else "ensemble", totals[key], shares, params)
            for need in data.needs
            for key in keys
        )
    return NeedsAnalysis(weighting=weighting, estimates=estimates)


def _estimate(need, key, label, households, shares, params) -> Estimate:
    found = shares.get((need, key))
    if found is None:
        return Estimate(need, key, label, households, 0, 0, None, None, None, None, None, None, reliable=False)
    return Estimate(
        need=need,
        domain=key,
        label=label,
        households=households,
        respondents=found.respondents,
        with_need=found.with_need,
        share=found.share,
        low=found.low,
        high=found.high,
        unweighted_share=found.unweighted_share,
        unweighted_low=found.unweighted_low,
        unweighted_high=found.unweighted_high,
        reliable=found.respondents >= params.min_respondents,
    )
