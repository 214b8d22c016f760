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
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from operator import attrgetter
from typing import NamedTuple

from django.db import connections
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q

from proxima.households.enums import PersonRole
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
    """Everything the analysis of one survey reads from the database, as plain data."""

    households: tuple[HouseholdRow, ...]
    responses: tuple[ResponseRow, ...]
    needs: tuple[str, ...]  # need codes some question of the survey measures, in the order of Need
    sites: Mapping[int, str]
    communes: Mapping[str, Place]
    epcis: Mapping[str, str]
    on: dt.date

    @cached_property
    def respondents(self) -> list[tuple[HouseholdRow, ResponseRow]]:
        """Targeted households with a response, in the register's order."""
        by_household = {r.household_id: r for r in self.responses if r.household_id is not None}
        return [(h, by_household[h.household_id]) for h in self.households if h.household_id in by_household]


def _raw(queryset) -> list[tuple]:
    """The rows of ``queryset`` as the database driver returns them, without Django's per-value converters.

    For 100,000 rows the converters cost more than the query itself. Only for columns whose raw
    values are already usable: integers, text, and booleans (0 and 1 on SQLite).
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_survey_data(survey, *, on: dt.date) -> SurveyData:
    """Read the population targeted by ``survey``, its responses and the places they lie in.

    The population is the households of the survey's sites and of the sites in its communes,
    or all the organisation's households when it targets neither. Six or seven queries, whatever the
    number of households: aggregates and ``values_list`` only.
    """
    organisation_id = survey.organisation_id
    households = Household.objects.filter(organisation_id=organisation_id)
    targets = survey.sites.values("pk")
    target_communes = survey.communes.values("pk")
    if targets.exists() or target_communes.exists():
        households = households.filter(
            Q(dwelling__building__site__in=targets) | Q(dwelling__building__site__commune__in=target_communes)
        )
    rows = _raw(
        households.annotate(in_arrears=ExpressionWrapper(Q(arrears_amount__gt=0), output_field=BooleanField()))
        .values("pk", "dwelling__building__site_id", "in_arrears")  # GROUP BY these only
        .annotate(
            persons_count=Count("persons"),
            holder_birth_year=Max("persons__birth_year", filter=Q(persons__role=PersonRole.REFERENCE)),
        )
        .values_list("pk", "dwelling__building__site_id", "in_arrears", "persons_count", "holder_birth_year")
        # The same respondents' order, hence the same figures to the last digit, on every database.
        .order_by("pk")
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
    household_rows = ()
    if rows:
        # Column by column with C-level maps: building 100,000 rows one by one in Python costs more than the query.
        ids, site_ids, arrears, persons, birth_years = zip(*rows, strict=True)
        commune_of = {pk: commune for pk, (_, commune) in sites.items()}
        epci_of_site = {pk: epci_of[commune] for pk, commune in commune_of.items()}
        age_of = {year: age_band(year, on.year) for year in set(birth_years)}
        size_of = {count: size_band(count) for count in set(persons)}
        household_rows = tuple(
            map(
                partial(tuple.__new__, HouseholdRow),
                zip(
                    ids,
                    site_ids,
                    map(commune_of.__getitem__, site_ids),
                    map(epci_of_site.__getitem__, site_ids),
                    map(age_of.__getitem__, birth_years),
                    map(size_of.__getitem__, persons),
                    map(bool, arrears),
                    strict=True,
                ),
            )
        )
    response_rows = _raw(
        Response.objects.filter(survey=survey).order_by("pk").values_list("household_id", "channel", "needs")
    )
    needs_lists = [needs for _, _, needs in response_rows]
    if needs_lists and isinstance(needs_lists[0], str):  # JSON text (SQLite): one parse for all, not 30,000
        needs_lists = json.loads("[" + ",".join(needs_lists) + "]")
    responses = tuple(
        ResponseRow(household_id, channel, frozenset(needs or ()))
        for (household_id, channel, _), needs in zip(response_rows, needs_lists, strict=True)
    )
    measured = set(
        Question.objects.filter(version__survey=survey)
        .exclude(need="")
        .order_by()
        .values_list("need", flat=True)
        .distinct()
    )
    return SurveyData(
        households=household_rows,
        responses=responses,
        needs=tuple(n for n in Need.values if n in measured),
        sites={pk: name for pk, (name, _) in sites.items()},
        communes=communes,
        epcis=epcis,
        on=on,
    )


def restricted(data: SurveyData, keep: Callable[[HouseholdRow], bool]) -> SurveyData:
    """The same survey data for the households ``keep`` accepts (one territory's summary)."""
    return replace(data, households=tuple(h for h in data.households if keep(h)))


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
    population = len(data.households)
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
    for dimension in DIMENSIONS.values():
        totals = Counter(map(dimension.key, data.households))
        answered = Counter(dimension.key(h) for h, _ in respondents)
        by_dimension[dimension.code] = tuple(
            Rate(key=k, label=dimension.name(data, k), respondents=answered[k], households=totals[k])
            for k in _ordered_keys(data, dimension, totals)
        )
    targeted = {h.household_id for h in data.households}
    return ResponseRates(
        overall=Rate(key=None, label="ensemble", respondents=n, households=population),
        by_channel=by_channel,
        by_dimension=by_dimension,
        anonymous=sum(r.household_id is None for r in data.responses),
        outside=sum(r.household_id is not None and r.household_id not in targeted for r in data.responses),
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
    totals = Counter(map(dimension.key, data.households))
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
    return Margin(name=dimension.code, totals=dict(merged)), categories, used


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
    every_site_enough = all(sites_answered[h.site_id] >= params.min_cell_respondents for h in data.households)
    territory = "site" if every_site_enough else "commune"
    margins, samples, used = [], {}, []
    for code in ("age", "size", territory):
        margin, categories, margin_used = _margin(data, DIMENSIONS[code], rows, params.min_cell_respondents)
        margins.append(margin)
        samples[code] = categories
        used.append(margin_used)
    raking = rake(samples, margins, params.raking)
    empty = tuple(
        f"{DIMENSIONS[name].label} : "
        + ("catégories regroupées" if key == POOLED else DIMENSIONS[name].name(data, key))
        for name, key in raking.empty_categories
    )
    weighting = Weighting(
        margins=tuple(used),
        territory=territory,
        iterations=raking.iterations,
        converged=raking.converged,
        empty_categories=empty,
    )
    indicators = {need: [need in r.needs for _, r in respondents] for need in data.needs}
    estimates = {}
    for code in [None, *dict.fromkeys(dimensions)]:
        dimension = DIMENSIONS[code] if code else None
        domains = list(map(dimension.key, rows)) if dimension else None
        shares = estimate_shares(indicators, raking, samples, margins, domains=domains, confidence=params.confidence)
        if dimension:
            totals = Counter(map(dimension.key, data.households))
            keys = _ordered_keys(data, dimension, totals)
        else:
            totals, keys = {None: len(data.households)}, [None]
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
