"""Needs versus offer, from the database: the households concerned by each need, the running services and the
partners, handed to the pure rules of :mod:`proxima.offer.gaps`.

A fixed number of queries whatever the number of households (about fifteen): the households an outreach rule
flags are found by the database (a filter, not a scan in Python), the survey responses are read as raw rows.
"""

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q

from proxima.core.memory import gc_paused
from proxima.households.models import Household
from proxima.needs import outreach
from proxima.needs.models import Response
from proxima.needs.outreach_services import get_outreach_settings
from proxima.offer import gaps
from proxima.offer.models import Partner, PartnerTheme, Service, ServiceHours, ServiceTheme
from proxima.territory.models import FranceServicesSite, Site

# Households read at once by id: well below SQLite's limit on query parameters.
CHUNK = 1000
# Degrees of latitude per km (great circle, mean Earth radius).
_DEG_PER_KM = 180 / (math.pi * gaps.EARTH_RADIUS_KM)


class Signals(NamedTuple):
    """Why a household is concerned: the needs its latest survey response signals, and its outreach reasons that
    are needs (codes of :data:`proxima.offer.gaps.OUTREACH_NEEDS`).

    A named tuple rather than a frozen dataclass: a large landlord has tens of thousands of households concerned,
    and a tuple is built several times faster (the page must answer in < 500 ms).
    """

    site_id: int
    survey_needs: frozenset[str]
    reasons: tuple[str, ...]

    @property
    def needs(self) -> frozenset[str]:
        return gaps.household_needs(self.survey_needs, self.reasons)


@dataclass(frozen=True)
class SitePlace:
    id: int
    name: str
    lat: float
    lon: float
    commune: str
    commune_name: str
    epci: str  # "" outside any EPCI
    epci_name: str


@dataclass(frozen=True)
class GapInputs:
    """Everything the rules read, and the names the page shows."""

    sites: dict[int, SitePlace]
    counts: list[gaps.NeedCount]
    services: list[gaps.ServiceOffer]
    partners: list[gaps.PartnerOffer]
    today: dt.date

    def territories(self, level: str) -> list[gaps.Territory]:
        return territories_of(self.sites, level)


def territories_of(sites: dict[int, "SitePlace"], level: str) -> list[gaps.Territory]:
    """The territories of one level (site, commune, EPCI) that the organisation's sites make up, by name."""
    return gaps.group_territories(
        {s.id: (s.commune, s.epci) for s in sites.values()},
        site_names={s.id: s.name for s in sites.values()},
        commune_names={s.commune: f"{s.commune_name} ({s.commune})" for s in sites.values()},
        epci_names={s.epci: s.epci_name for s in sites.values() if s.epci},
        level=level,
    )


def _raw(queryset) -> list[tuple]:
    """The rows as the database driver returns them, without Django's per-value converters (as the needs
    analysis reads its 100,000 households): only for integers, text, booleans and JSON."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_sites(organisation) -> dict[int, SitePlace]:
    rows = Site.objects.for_organisation(organisation).values_list(
        "pk", "name", "latitude", "longitude", "commune_id", "commune__name", "commune__epci_id", "commune__epci__name"
    )
    return {
        pk: SitePlace(pk, name, lat, lon, commune, commune_name, epci or "", epci_name or "")
        for pk, name, lat, lon, commune, commune_name, epci, epci_name in rows
    }


def far_sites(sites: Collection[SitePlace], far_km: float) -> set[int]:
    """The sites more than ``far_km`` from the nearest France services site (the outreach rule ``no_car_far``).

    Only the France services sites inside the sites' bounding box widened by ``far_km`` can be nearer than that:
    the others are not even loaded.
    """
    if not sites:
        return set()
    margin = far_km * _DEG_PER_KM
    lats = [s.lat for s in sites]
    max_abs_lat = min(max(abs(min(lats)), abs(max(lats))) + margin, 89.0)
    lon_margin = margin / math.cos(math.radians(max_abs_lat))
    lons = [s.lon for s in sites]
    nearby = list(
        FranceServicesSite.objects.filter(
            latitude__range=(min(lats) - margin, max(lats) + margin),
            longitude__range=(min(lons) - lon_margin, max(lons) + lon_margin),
        ).values_list("latitude", "longitude")
    )
    distances = outreach.nearest_distances_km({s.id: (s.lat, s.lon) for s in sites}, nearby)
    return {s.id for s in sites if distances.get(s.id, math.inf) > far_km}


@gc_paused()
def load_signals(
    *, organisation, today: dt.date, params: gaps.GapParams, site_ids: Collection[int] | None = None, sites=None
) -> dict[int, Signals]:
    """The households concerned by at least one need, with why: ``{household id: Signals}``.

    Parameters
    ----------
    organisation
        Whose households.
    today
        Ages are counted in its year; survey responses older than ``params.survey_months`` months are not read.
    params
        The rules' parameters.
    site_ids
        Only the households of these sites (None: all the organisation's).
    sites
        The organisation's sites, if already loaded (:func:`load_sites`).
    """
    sites = sites if sites is not None else load_sites(organisation)
    if site_ids is not None:
        sites = {pk: site for pk, site in sites.items() if pk in set(site_ids)}
    if not sites:
        return {}
    settings = get_outreach_settings(organisation)
    rules = outreach.OutreachParams(
        today=today, no_contact_months=settings.no_contact_months, far_km=float(settings.far_km)
    )
    far = far_sites(list(sites.values()), rules.far_km)
    households = Household.objects.filter(organisation=organisation)
    if site_ids is not None:
        households = households.filter(dwelling__building__site_id__in=list(sites))
    year = today.year
    # The outreach rules of proxima.needs.outreach that are needs, as filters. A household of one person: its
    # lease holder is that person, so the holder's birth year is the eldest's.
    elderly_alone = Q(size=1, holder_birth_year__lte=year - rules.elderly_age)
    young_in_arrears = Q(holder_birth_year__gt=year - rules.young_age, arrears_amount__gt=0)
    no_car_far = Q(has_car=False, dwelling__building__site_id__in=sorted(far))
    flagged = _raw(
        households.filter(elderly_alone | young_in_arrears | (no_car_far if far else Q(pk__in=[])))
        .annotate(
            is_elderly_alone=ExpressionWrapper(elderly_alone, output_field=BooleanField()),
            is_young_in_arrears=ExpressionWrapper(young_in_arrears, output_field=BooleanField()),
        )
        .values_list("pk", "dwelling__building__site_id", "is_elderly_alone", "is_young_in_arrears", "has_car")
        .order_by()
    )
    cutoff = outreach.months_before(today, params.survey_months)
    # Driven by the organisation's surveys, not its households: only the responses are read. Their dates come raw
    # (ISO text on SQLite, dates on PostgreSQL): compared with each other only, never with ``cutoff``.
    answered = Response.objects.filter(
        survey__organisation=organisation, household__isnull=False, collected_on__gte=cutoff
    )
    if site_ids is not None:
        answered = answered.filter(household__dwelling__building__site_id__in=list(sites))
    responses = _raw(
        answered.order_by().values_list(
            "household_id",
            "collected_on",
            "pk",
            "household__dwelling__building__site_id",
            "needs",
        )
    )
    needs_lists = [row[4] for row in responses]
    if needs_lists and isinstance(needs_lists[0], str):  # JSON text (SQLite): one parse for all
        needs_lists = json.loads("[" + ",".join(needs_lists) + "]")
    latest = {}  # household id: ((date, response id), site id, needs) of its latest response
    for (household_id, collected_on, pk, site_id, _), needs in zip(responses, needs_lists, strict=True):
        if site_id not in sites:  # not one of the organisation's households (or not of the sites asked)
            continue
        found = latest.get(household_id)
        if found is None or (collected_on, pk) > found[0]:
            latest[household_id] = ((collected_on, pk), site_id, needs or ())

    signals = {}
    for pk, site_id, is_elderly_alone, is_young, has_car in flagged:
        reasons = []
        if is_elderly_alone:
            reasons.append(outreach.ELDERLY_ALONE)
        if is_young:
            reasons.append(outreach.YOUNG_IN_ARREARS)
        if has_car is not None and not has_car and site_id in far:
            reasons.append(outreach.NO_CAR_FAR)
        survey = latest.pop(pk, None)
        signals[pk] = Signals(site_id, frozenset(survey[2]) if survey else frozenset(), tuple(reasons))
    empty = ()
    for pk, (_, site_id, needs) in latest.items():
        if needs:
            signals[pk] = Signals(site_id, frozenset(needs), empty)
    return signals


def count_needs(signals: dict[int, Signals]) -> list[gaps.NeedCount]:
    """Households concerned per site and need (in no particular order)."""
    outreach_needs = gaps.OUTREACH_NEEDS
    # One (site, need) pair per household and need, counted at C speed.
    counter = Counter(
        [
            (site_id, need)
            for site_id, survey_needs, reasons in signals.values()
            for need in (survey_needs.union([outreach_needs[r] for r in reasons]) if reasons else survey_needs)
        ]
    )
    return [gaps.NeedCount(site_id, need, n) for (site_id, need), n in counter.items()]


def load_services(organisation, *, today: dt.date, sites: dict[int, SitePlace]) -> list[gaps.ServiceOffer]:
    """The services running today, the landlord's own and those of its current partners, with their places."""
    running = (
        Service.objects.for_organisation(organisation)
        .running_on(today)
        .filter(Q(partner__isnull=True) | Q(partner__is_active=True))
    )
    rows = list(
        running.order_by("name", "pk").values_list(
            "pk", "name", "in_person", "remote", "capacity", "address_commune__latitude", "address_commune__longitude"
        )
    )
    ids = [row[0] for row in rows]
    themes, places, weekdays = {}, {}, {}
    for service_id, code in ServiceTheme.objects.filter(service_id__in=ids).values_list("service_id", "code"):
        themes.setdefault(service_id, set()).add(code)
    for service_id, site_id in Service.sites.through.objects.filter(service_id__in=ids).values_list(
        "service_id", "site_id"
    ):
        if site_id in sites:
            places.setdefault(service_id, []).append((sites[site_id].lat, sites[site_id].lon))
    for through, lat, lon in (
        (Service.stops.through, "stop__latitude", "stop__longitude"),
        (Service.communes.through, "commune__latitude", "commune__longitude"),
    ):
        for service_id, latitude, longitude in through.objects.filter(service_id__in=ids).values_list(
            "service_id", lat, lon
        ):
            if latitude is not None and longitude is not None:
                places.setdefault(service_id, []).append((latitude, longitude))
    for service_id, weekday in ServiceHours.objects.filter(service_id__in=ids).values_list("service_id", "weekday"):
        weekdays.setdefault(service_id, set()).add(weekday)
    offers = []
    for pk, name, in_person, remote, capacity, address_lat, address_lon in rows:
        own_places = places.get(pk, [])
        if address_lat is not None and address_lon is not None:
            own_places.append((address_lat, address_lon))
        offers.append(
            gaps.ServiceOffer(
                id=pk,
                name=name,
                themes=frozenset(themes.get(pk, ())),
                places=tuple(dict.fromkeys(own_places)) if in_person else (),
                remote=remote,
                capacity=capacity,
                open_weekdays=frozenset(weekdays[pk]) if pk in weekdays else None,
            )
        )
    return offers


def load_partners(organisation) -> list[gaps.PartnerOffer]:
    """The landlord's current partners, with the themes and communes they cover."""
    rows = list(
        Partner.objects.for_organisation(organisation).active().order_by("name", "pk").values_list("pk", "name")
    )
    ids = [pk for pk, _ in rows]
    themes, communes = {}, {}
    for partner_id, code in PartnerTheme.objects.filter(partner_id__in=ids).values_list("partner_id", "code"):
        themes.setdefault(partner_id, set()).add(code)
    for partner_id, commune in Partner.communes.through.objects.filter(partner_id__in=ids).values_list(
        "partner_id", "commune_id"
    ):
        communes.setdefault(partner_id, set()).add(commune)
    return [
        gaps.PartnerOffer(pk, name, frozenset(themes.get(pk, ())), frozenset(communes.get(pk, ())))
        for pk, name in rows
    ]


@gc_paused()
def load_gap_inputs(*, organisation, today: dt.date, params: gaps.GapParams) -> GapInputs:
    """Read everything the needs-versus-offer rules need for ``organisation``.

    The cyclic garbage collector is paused meanwhile: tens of thousands of small objects are built, none in a
    cycle, and each collection would scan them all again for nothing.
    """
    sites = load_sites(organisation)
    signals = load_signals(organisation=organisation, today=today, params=params, sites=sites)
    return GapInputs(
        sites=sites,
        counts=count_needs(signals),
        services=load_services(organisation, today=today, sites=sites),
        partners=load_partners(organisation),
        today=today,
    )


@gc_paused()
def compute_organisation_gaps(
    inputs: GapInputs, *, level: str, params: gaps.GapParams
) -> tuple[gaps.GapReport, list[gaps.Territory]]:
    """Apply the rules at one level (site, commune or EPCI) to the loaded inputs."""
    territories = inputs.territories(level)
    sites = [gaps.Site(s.id, s.lat, s.lon) for s in inputs.sites.values()]
    report = gaps.compute_gaps(sites, inputs.counts, territories, inputs.services, inputs.partners, params)
    return report, territories


def households_concerned(
    *, organisation, today: dt.date, params: gaps.GapParams, site_ids: Collection[int], need: str
) -> list[tuple[int, Signals]]:
    """The households of ``site_ids`` concerned by ``need``, by lease reference: ``[(household id, Signals)]``."""
    signals = load_signals(organisation=organisation, today=today, params=params, site_ids=site_ids)
    concerned = [pk for pk, s in signals.items() if need in s.needs]
    references = {}
    for start in range(0, len(concerned), CHUNK):
        references.update(
            Household.objects.filter(pk__in=concerned[start : start + CHUNK]).values_list("pk", "reference")
        )
    concerned.sort(key=lambda pk: (references.get(pk, ""), pk))
    return [(pk, signals[pk]) for pk in concerned]
