"""Needs versus offer: for each territory and need, whether the services of the catalogue cover the households
concerned, and the gaps ranked by the households they leave concerned.

Pure module: plain data in, plain data out, nothing imported from Django. The adapter
(:mod:`proxima.offer.gap_services`) counts the households concerned from the database and describes the
services; this module applies the rules below.

What a need is
--------------
A need is a code of ``proxima.needs.enums.Need`` (:data:`NEEDS`, in that order). A household is *concerned* by a
need when its latest survey response signals it (a response's ``needs``), or when an outreach rule flags a
situation that is that need (:data:`OUTREACH_NEEDS`: an elderly person living alone is isolated, a young tenant in
arrears struggles with rent and charges, a household without a car far from services has a mobility need).
"Dissatisfaction with services" is about the landlord's own services, not something a partner fills: it has no
themes and no gap.

Which services answer a need
----------------------------
A service answers a need when one of its themes is in :data:`NEED_THEMES` for that need: the committed mapping
from the needs' codes to the data·inclusion thématiques (v1), and to the landlord's own themes where
data·inclusion has none (``bailleur--economies-energie``). docs/referrals-and-gaps.md lists it with its reasons.

Coverage of a (territory, need)
-------------------------------
A territory is a site, a commune or an EPCI: the sites it holds. A household is *within reach* of a service when
the site it lives on is at most ``max_distance_km`` (great circle) from one of the service's places, or when the
service is rendered remotely (``remote_reaches_all``). With ``h`` households concerned in the territory, of whom
``r`` are within reach of at least one service answering the need:

``not_covered`` / ``no_service``
    no running service of the catalogue answers the need;
``not_covered`` / ``too_far``
    some do, but none is within reach of any household concerned (``r = 0``; the nearest is ``nearest_km`` away);
``partly_covered``, with one reason or more:
    ``distance``: some households concerned are beyond reach (``0 < r < h``);
    ``capacity``: the services within reach can follow fewer households at once than ``capacity_share × r``
    (a service of unknown capacity counts as unlimited; a service reaching two territories counts in full for
    each, and once for the larger territory that holds both);
    ``opening_days``: the services within reach are open on fewer than ``min_open_days`` distinct weekdays
    (judged only when each of them has opening hours recorded: "on appointment" is not "rarely open");
``covered``
    otherwise.

Gaps are the (territory, need) pairs not covered or partly covered, ranked by households concerned (most first),
then not covered before partly covered, then by territory name and need order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0  # as proxima.territory.geo.EARTH_RADIUS_KM

SITE, COMMUNE, EPCI = "site", "commune", "epci"
LEVELS = (SITE, COMMUNE, EPCI)

COVERED = "covered"
PARTLY_COVERED = "partly_covered"
NOT_COVERED = "not_covered"
STATUSES = (NOT_COVERED, PARTLY_COVERED, COVERED)

NO_SERVICE = "no_service"
TOO_FAR = "too_far"
DISTANCE = "distance"
CAPACITY = "capacity"
OPENING_DAYS = "opening_days"
REASONS = (NO_SERVICE, TOO_FAR, DISTANCE, CAPACITY, OPENING_DAYS)

# The codes of proxima.needs.enums.Need, in its order (a test checks they match), and the themes that answer each.
NEED_THEMES: Mapping[str, frozenset[str]] = {
    # Isolation: meeting people, being visited.
    "isolation": frozenset({"remobilisation--lien-social", "remobilisation--bien-etre-confiance-en-soi"}),
    # Daily help at home: household help, care of a dependent person.
    "home_help": frozenset(
        {"equipement-et-alimentation--aide-menagere", "famille--prise-en-charge-personne-dependante"}
    ),
    # Struggling to pay rent and charges: arrears prevention, debt.
    "charges_burden": frozenset(
        {
            "logement-hebergement--reduire-les-impayes-de-loyer",
            "logement-hebergement--se-maintenir-dans-le-logement",
            "difficultes-financieres--situation-dendettement-surendettement",
            "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
        }
    ),
    # Fuel poverty: data·inclusion has no energy theme; the landlord's own theme says it.
    "energy_poverty": frozenset({"bailleur--economies-energie"}),
    # Rights and benefits to check (unclaimed benefits).
    "benefits_access": frozenset({"difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"}),
    # Budget coaching.
    "budget_help": frozenset(
        {
            "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
            "difficultes-financieres--acquerir-une-autonomie-budgetaire",
        }
    ),
    # Getting about: every mobility theme (transport on demand, car sharing, driving licence, repairs, funding).
    "mobility": frozenset(
        {
            "mobilite--acceder-a-un-vehicule",
            "mobilite--entretenir-reparer-son-vehicule",
            "mobilite--etre-accompagne-dans-son-parcours-mobilite",
            "mobilite--financer-ma-mobilite",
            "mobilite--mobilite-douce-partagee-collective",
            "mobilite--preparer-un-permis",
        }
    ),
    # Digital help: basic skills, online procedures.
    "digital_help": frozenset(
        {"numerique--maitriser-les-fondamentaux-du-numerique", "numerique--acceder-a-des-services-en-ligne"}
    ),
    # Digital access: a connection, a device.
    "digital_access": frozenset({"numerique--acceder-a-une-connexion-internet", "numerique--acquerir-un-equipement"}),
    "health_access": frozenset({"sante--acces-aux-soins"}),
    "paperwork_help": frozenset(
        {"difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"}
    ),
    "social_activities": frozenset(
        {"remobilisation--activites-sportives-et-culturelles", "remobilisation--lien-social"}
    ),
    # Dissatisfaction with the landlord's services: no partner's service fills it.
    "service_quality": frozenset(),
}
NEEDS = tuple(NEED_THEMES)

# Outreach reasons (proxima.needs.outreach) that are a need in themselves.
OUTREACH_NEEDS: Mapping[str, str] = {
    "elderly_alone": "isolation",
    "young_in_arrears": "charges_burden",
    "no_car_far": "mobility",
}


@dataclass(frozen=True)
class GapParams:
    """The rules' thresholds, checked on creation.

    Parameters
    ----------
    max_distance_km
        A household is within reach of a service at most this far (great circle, km) from one of its places (> 0).
    min_open_days
        Fewer distinct weekdays open than this make a territory partly covered (0 to 7; 0: never).
    capacity_share
        Share of the households concerned within reach that the services' capacity must cover at once (> 0, <= 1).
    remote_reaches_all
        Whether a service rendered remotely (phone, video) reaches every household.
    survey_months
        A survey response older than this many months no longer says what a household needs (>= 1; the adapter
        applies it).
    max_partners
        Partners suggested for each gap (>= 0).
    """

    max_distance_km: float = 15.0
    min_open_days: int = 2
    capacity_share: float = 1.0
    remote_reaches_all: bool = True
    survey_months: int = 24
    max_partners: int = 5

    def __post_init__(self):
        if not isinstance(self.max_distance_km, int | float) or not math.isfinite(self.max_distance_km):
            raise ValueError("Expected max_distance_km to be a finite number.")
        if self.max_distance_km <= 0:
            raise ValueError("Expected max_distance_km > 0.")
        if not isinstance(self.min_open_days, int) or not 0 <= self.min_open_days <= 7:
            raise ValueError("Expected min_open_days between 0 and 7.")
        if not isinstance(self.capacity_share, int | float) or not 0 < self.capacity_share <= 1:
            raise ValueError("Expected 0 < capacity_share <= 1.")
        if not isinstance(self.survey_months, int) or self.survey_months < 1:
            raise ValueError("Expected survey_months >= 1.")
        if not isinstance(self.max_partners, int) or self.max_partners < 0:
            raise ValueError("Expected max_partners >= 0.")


@dataclass(frozen=True)
class Site:
    """A place where households live: a landlord's site, with its position (decimal degrees)."""

    id: int
    lat: float
    lon: float


@dataclass(frozen=True)
class NeedCount:
    """How many households of one site are concerned by one need."""

    site_id: int
    need: str
    households: int


@dataclass(frozen=True)
class Territory:
    """A site, a commune or an EPCI: the sites it holds and the communes (INSEE codes) they lie in."""

    level: str
    key: str
    name: str
    site_ids: tuple[int, ...]
    communes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ServiceOffer:
    """A running service, as the rules see it.

    Parameters
    ----------
    places
        ``(latitude, longitude)`` of every place it is offered at: its sites, mobile-agency stops, communes
        (their centre) and reception address (its commune's centre).
    remote
        Rendered remotely (phone, video) as well as, or instead of, in person.
    capacity
        Households it can follow at once; None when unknown (no limit known).
    open_weekdays
        Weekdays (0 Monday … 6 Sunday) it opens; None when it has no opening hours recorded.
    """

    id: int
    name: str
    themes: frozenset[str]
    places: tuple[tuple[float, float], ...] = ()
    remote: bool = False
    capacity: int | None = None
    open_weekdays: frozenset[int] | None = None


@dataclass(frozen=True)
class PartnerOffer:
    """A partner of the landlord: the themes and the communes (INSEE codes) it covers."""

    id: int
    name: str
    themes: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PartnerMatch:
    """A partner present in a gap's area that could fill it: it covers the need's themes, the area, or both."""

    partner_id: int
    name: str
    covers_theme: bool
    covers_area: bool


@dataclass(frozen=True)
class Coverage:
    """The coverage of one need in one territory.

    Attributes
    ----------
    households
        Households of the territory concerned by the need.
    reached
        Those of them within reach of at least one service answering the need.
    services
        Ids of the services answering the need within reach of a household concerned, in the input's order.
    capacity
        Sum of those services' capacities; None when one of them has no known limit, or there is none.
    open_days
        Distinct weekdays those services open; None when one has no hours recorded, or there is none.
    nearest_km
        Distance from the nearest household concerned to the nearest service answering the need; None without any.
    partners
        For a gap, the partners that could fill it, best first.
    """

    territory: Territory
    need: str
    households: int
    reached: int
    status: str
    reasons: tuple[str, ...]
    services: tuple[int, ...]
    capacity: int | None
    open_days: int | None
    nearest_km: float | None
    partners: tuple[PartnerMatch, ...] = ()

    @property
    def beyond_reach(self) -> int:
        return self.households - self.reached

    @property
    def is_gap(self) -> bool:
        return self.status != COVERED


@dataclass(frozen=True)
class GapReport:
    """Every (territory, need) with households concerned, in the territories' then the needs' order; and the gaps
    among them, ranked."""

    coverages: tuple[Coverage, ...]
    gaps: tuple[Coverage, ...]


def household_needs(survey_needs: Iterable[str], outreach_reasons: Iterable[str]) -> frozenset[str]:
    """The needs of a household: those its survey response signals, and those its outreach reasons are."""
    return frozenset(survey_needs) | {OUTREACH_NEEDS[r] for r in outreach_reasons if r in OUTREACH_NEEDS}


def _distances_km(sites: Sequence[Site], services: Sequence[ServiceOffer], params: GapParams) -> np.ndarray:
    """``[site, service]``: great-circle km from each site to the service's nearest place (inf without places;
    0 for a remote service when it reaches every household)."""
    result = np.full((len(sites), len(services)), np.inf)
    if not sites:
        return result
    coords = np.radians(np.array([(s.lat, s.lon) for s in sites], dtype=float))
    lat1, lon1 = coords[:, 0][:, None], coords[:, 1][:, None]
    for j, service in enumerate(services):
        if service.remote and params.remote_reaches_all:
            result[:, j] = 0.0
            continue
        if not service.places:
            continue
        places = np.radians(np.array(service.places, dtype=float))
        lat2, lon2 = places[:, 0][None, :], places[:, 1][None, :]
        a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        result[:, j] = (2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))).min(axis=1)
    return result


def _bits(row: np.ndarray) -> int:
    """A row of booleans as an integer whose bit ``j`` is ``row[j]``."""
    return int.from_bytes(np.packbits(row, bitorder="little").tobytes(), "little")


def _indices(bits: int) -> list[int]:
    found, j = [], 0
    while bits:
        if bits & 1:
            found.append(j)
        bits >>= 1
        j += 1
    return found


def compute_gaps(
    sites: Sequence[Site],
    counts: Iterable[NeedCount],
    territories: Sequence[Territory],
    services: Sequence[ServiceOffer],
    partners: Sequence[PartnerOffer] = (),
    params: GapParams = GapParams(),
) -> GapReport:
    """The coverage of every need in every territory, and the gaps ranked.

    Parameters
    ----------
    sites
        The places where households live, with their positions.
    counts
        Households concerned per site and need; needs outside :data:`NEEDS` and zero counts are ignored.
    territories
        The territories to assess, each a group of ``sites``; a site id unknown to ``sites`` is ignored.
    services
        The running services of the catalogue.
    partners
        The landlord's current partners, suggested for the gaps they could fill.
    params
        The rules' thresholds.

    Returns
    -------
    GapReport
        One coverage per territory and need with households concerned; the gaps among them, ranked.
    """
    index = {site.id: i for i, site in enumerate(sites)}
    need_order = {need: k for k, need in enumerate(NEEDS)}
    per_site: dict[int, dict[str, int]] = {}
    for count in counts:
        if count.households > 0 and count.need in need_order and count.site_id in index:
            site_counts = per_site.setdefault(count.site_id, {})
            site_counts[count.need] = site_counts.get(count.need, 0) + count.households

    km = _distances_km(sites, services, params)
    within = km <= params.max_distance_km
    answering = {
        need: [j for j, s in enumerate(services) if not s.themes.isdisjoint(themes)]
        for need, themes in NEED_THEMES.items()
    }
    need_bits = {need: sum(1 << j for j in cols) for need, cols in answering.items()}
    site_bits = {site_id: _bits(within[index[site_id]]) for site_id in per_site}
    # Plain floats per site: indexing a NumPy array one value at a time costs more than the rules themselves.
    nearest = {need: km[:, cols].min(axis=1).tolist() if cols else None for need, cols in answering.items()}
    reach = _ReachCache(services)
    suggest = _PartnerSuggestions(partners, params.max_partners) if params.max_partners and partners else None

    coverages = []
    for territory in territories:
        totals: dict[str, list] = {}  # need -> [households, reached, service bits, nearest km]
        for site_id in territory.site_ids:
            site_counts = per_site.get(site_id)
            if not site_counts:
                continue
            i = index[site_id]
            for need, households in site_counts.items():
                bits = site_bits[site_id] & need_bits[need]
                entry = totals.get(need)
                if entry is None:
                    entry = totals[need] = [0, 0, 0, math.inf]
                entry[0] += households
                if bits:
                    entry[1] += households
                    entry[2] |= bits
                if nearest[need] is not None and nearest[need][i] < entry[3]:
                    entry[3] = nearest[need][i]
        for need in sorted(totals, key=need_order.__getitem__):
            households, reached, bits, nearest_km = totals[need]
            coverages.append(
                _coverage(
                    territory,
                    need,
                    households,
                    reached,
                    reach(bits),
                    nearest_km,
                    bool(answering[need]),
                    params,
                    suggest,
                )
            )

    gaps = sorted(
        (c for c in coverages if c.is_gap),
        key=lambda c: (
            -c.households,
            STATUSES.index(c.status),
            LEVELS.index(c.territory.level) if c.territory.level in LEVELS else len(LEVELS),
            c.territory.name.casefold(),
            c.territory.key,
            need_order[c.need],
        ),
    )
    return GapReport(coverages=tuple(coverages), gaps=tuple(gaps))


class _ReachCache:
    """The services within reach, their capacity and their opening days, for each set of services (as bits) met:
    many territories share the same set."""

    def __init__(self, services: Sequence[ServiceOffer]):
        self.services = services
        self.found: dict[int, tuple[tuple[int, ...], int | None, int | None]] = {}

    def __call__(self, bits: int) -> tuple[tuple[int, ...], int | None, int | None]:
        found = self.found.get(bits)
        if found is None:
            in_reach = [self.services[j] for j in _indices(bits)]
            capacity = (
                None
                if not in_reach or any(s.capacity is None for s in in_reach)
                else sum(s.capacity for s in in_reach)
            )
            hours_known = bool(in_reach) and all(s.open_weekdays is not None for s in in_reach)
            open_days = len(frozenset().union(*(s.open_weekdays for s in in_reach))) if hours_known else None
            found = self.found[bits] = (tuple(s.id for s in in_reach), capacity, open_days)
        return found


def _coverage(territory, need, households, reached, reach, nearest_km, answered, params, suggest) -> Coverage:
    services, capacity, open_days = reach
    reasons: list[str] = []
    if not answered:
        status, reasons = NOT_COVERED, [NO_SERVICE]
    elif reached == 0:
        status, reasons = NOT_COVERED, [TOO_FAR]
    else:
        if reached < households:
            reasons.append(DISTANCE)
        if capacity is not None and capacity < params.capacity_share * reached:
            reasons.append(CAPACITY)
        if open_days is not None and open_days < params.min_open_days:
            reasons.append(OPENING_DAYS)
        status = PARTLY_COVERED if reasons else COVERED
    return Coverage(
        territory=territory,
        need=need,
        households=households,
        reached=reached,
        status=status,
        reasons=tuple(reasons),
        services=services,
        capacity=capacity,
        open_days=open_days,
        nearest_km=None if math.isinf(nearest_km) else round(nearest_km, 1),
        partners=suggest(territory.communes, need) if suggest is not None and status != COVERED else (),
    )


class _PartnerSuggestions:
    """The partners that could fill a gap: those covering the need's themes or one of the territory's communes,
    both first, then the theme, then the area; by name. Computed once per (communes, need)."""

    def __init__(self, partners: Sequence[PartnerOffer], limit: int):
        self.partners = partners
        self.limit = limit
        self.by_need = {
            need: {i for i, p in enumerate(partners) if not p.themes.isdisjoint(themes)}
            for need, themes in NEED_THEMES.items()
        }
        self.by_commune: dict[str, set[int]] = {}
        for i, partner in enumerate(partners):
            for commune in partner.communes:
                self.by_commune.setdefault(commune, set()).add(i)
        self.found: dict[tuple[frozenset[str], str], tuple[PartnerMatch, ...]] = {}

    def __call__(self, communes: frozenset[str], need: str) -> tuple[PartnerMatch, ...]:
        key = (communes, need)
        found = self.found.get(key)
        if found is None:
            area = set().union(*(self.by_commune.get(c, ()) for c in communes))
            theme = self.by_need[need]
            matches = [
                PartnerMatch(self.partners[i].id, self.partners[i].name, i in theme, i in area) for i in area | theme
            ]
            matches.sort(
                key=lambda m: (
                    not (m.covers_theme and m.covers_area),
                    not m.covers_theme,
                    m.name.casefold(),
                    m.partner_id,
                )
            )
            found = self.found[key] = tuple(matches[: self.limit])
        return found


def group_territories(
    sites: Mapping[int, tuple[str, str]],
    *,
    site_names: Mapping[int, str],
    commune_names: Mapping[str, str],
    epci_names: Mapping[str, str],
    level: str,
) -> list[Territory]:
    """The territories of one level, from each site's commune and EPCI.

    Parameters
    ----------
    sites
        ``{site id: (commune INSEE code, EPCI SIREN or "")}``.
    site_names, commune_names, epci_names
        Names to show; a commune without EPCI falls in the EPCI territory ``""``, "communes hors EPCI".
    level
        ``"site"``, ``"commune"`` or ``"epci"``.

    Returns
    -------
    list of Territory
        Sorted by name, then key.
    """
    if level not in LEVELS:
        raise ValueError(f"Expected level in {LEVELS}.")
    groups: dict[str, list[int]] = {}
    communes: dict[str, set[str]] = {}
    for site_id, (commune, epci) in sites.items():
        key = {SITE: str(site_id), COMMUNE: commune, EPCI: epci}[level]
        groups.setdefault(key, []).append(site_id)
        communes.setdefault(key, set()).add(commune)

    def name(key: str) -> str:
        if level == SITE:
            return site_names.get(int(key), key)
        if level == COMMUNE:
            return commune_names.get(key, key)
        return epci_names.get(key, key) if key else "communes hors EPCI"

    territories = [
        Territory(level=level, key=key, name=name(key), site_ids=tuple(sorted(ids)), communes=frozenset(communes[key]))
        for key, ids in groups.items()
    ]
    territories.sort(key=lambda t: (t.name.casefold(), t.key))
    return territories
