"""The map of a plan: each day's tour, its stops, and per site the households reached and never reached.

The map is an enhancement: the page gives the same information as tables, and the data reach the map as JSON
embedded in the page (no other request but the tiles). Households are counted per site, never placed one by
one nor named: every landlord role reads this page (``can_view_agency``).
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.formats import date_format

from proxima.accounts import perms
from proxima.agency.models import AgencySettings, TourPlan, Visit
from proxima.core.decorators import require
from proxima.households.models import Household
from proxima.territory.models import Site

# Okabe-Ito colours, told apart with the common colour-vision deficiencies (yellow left out: unreadable on
# light tiles). Beyond eight days the colours repeat with another line pattern.
DAY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C510A")
DAY_DASHES = ("", "10 6", "2 6")


@dataclass(frozen=True)
class MapStop:
    position: int
    stop_id: int
    name: str
    lat: float
    lon: float
    start: str
    end: str


@dataclass(frozen=True)
class MapDay:
    date: str
    label: str
    colour: str
    dash: str
    departure: str
    return_time: str
    stops: list[MapStop]
    route: list[list[float]]  # [lat, lon] from the depot through the stops in order back to the depot


@dataclass(frozen=True)
class MapSite:
    site_id: int
    name: str
    commune: str
    lat: float
    lon: float
    reached: int
    never_reached: int


def _hhmm(value) -> str:
    return value.strftime("%H:%M") if value else ""


def _depot(plan: TourPlan) -> dict | None:
    agency = AgencySettings.objects.filter(organisation_id=plan.organisation_id).first()
    if agency is None or agency.depot_latitude is None or agency.depot_longitude is None:
        return None
    return {"name": agency.depot_name or "Dépôt", "lat": agency.depot_latitude, "lon": agency.depot_longitude}


def _days(plan: TourPlan, depot: dict | None) -> list[MapDay]:
    visits = Visit.objects.select_related("stop").order_by("position", "pk")
    days = []
    for i, day in enumerate(plan.days.order_by("date").prefetch_related(Prefetch("visits", queryset=visits))):
        stops = [
            MapStop(
                position=n,
                stop_id=v.stop_id,
                name=v.stop.name,
                lat=v.stop.latitude,
                lon=v.stop.longitude,
                start=_hhmm(v.start),
                end=_hhmm(v.end),
            )
            for n, v in enumerate(day.visits.all(), start=1)
        ]
        ends = [[depot["lat"], depot["lon"]]] if depot and stops else []
        days.append(
            MapDay(
                date=day.date.isoformat(),
                label=date_format(day.date, "l j F Y"),
                colour=DAY_COLOURS[i % len(DAY_COLOURS)],
                dash=DAY_DASHES[(i // len(DAY_COLOURS)) % len(DAY_DASHES)],
                departure=_hhmm(day.departure),
                return_time=_hhmm(day.return_time),
                stops=stops,
                route=ends + [[s.lat, s.lon] for s in stops] + ends,
            )
        )
    return days


def _stops(days: list[MapDay]) -> list[dict]:
    """Each stop once, with the days and hours of its visits (the popup of its marker)."""
    stops: dict[int, dict] = {}
    for day in days:
        for s in day.stops:
            entry = stops.setdefault(s.stop_id, {"stop_id": s.stop_id, "name": s.name, "lat": s.lat, "lon": s.lon})
            entry.setdefault("visits", []).append(f"{day.label}, {s.start}–{s.end}")
    return sorted(stops.values(), key=lambda s: (s["name"].lower(), s["stop_id"]))


def _sites(plan: TourPlan) -> list[MapSite]:
    """Households reached and never reached in the plan's horizon, counted per site (ids from ``plan.result``)."""
    result = plan.result or {}
    reached = set(result.get("reached_household_ids") or ())
    never = set(result.get("never_reached_household_ids") or ())
    counts: dict[int, list[int]] = {}
    if reached or never:
        for household_id, site_id in Household.objects.for_organisation(plan.organisation_id).values_list(
            "pk", "dwelling__building__site_id"
        ):
            if household_id in reached:
                counts.setdefault(site_id, [0, 0])[0] += 1
            elif household_id in never:
                counts.setdefault(site_id, [0, 0])[1] += 1
    sites = [
        MapSite(
            site_id=pk,
            name=name,
            commune=commune,
            lat=lat,
            lon=lon,
            reached=counts[pk][0],
            never_reached=counts[pk][1],
        )
        for pk, name, commune, lat, lon in Site.objects.for_organisation(plan.organisation_id).values_list(
            "pk", "name", "commune__name", "latitude", "longitude"
        )
        if pk in counts
    ]
    return sorted(sites, key=lambda s: (-s.never_reached, s.name.lower(), s.site_id))


def plan_map_data(plan: TourPlan) -> dict:
    """What the map of ``plan`` shows, as plain JSON-ready data: depot, days with their routes, stops, sites."""
    depot = _depot(plan)
    days = _days(plan, depot)
    return {
        "tiles": {"url": settings.PROXIMA_TILE_URL, "attribution": settings.PROXIMA_TILE_ATTRIBUTION},
        "depot": depot,
        "days": [asdict(d) for d in days],
        "stops": _stops(days),
        "sites": [asdict(s) for s in _sites(plan)],
    }


@require(perms.can_view_agency)
def plan_map(request, pk):
    plan = get_object_or_404(TourPlan.objects.for_organisation(request.user.organisation), pk=pk)
    data = plan_map_data(plan)
    return render(
        request,
        "agency/map.html",
        {
            "plan": plan,
            "data": data,
            "reached": sum(s["reached"] for s in data["sites"]),
            "never_reached": sum(s["never_reached"] for s in data["sites"]),
            "computed": bool(plan.result),
        },
    )


urlpatterns = [
    path("tournees/<int:pk>/carte/", plan_map, name="plan_map"),
]
