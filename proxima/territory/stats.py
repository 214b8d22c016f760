"""Key figures of a landlord's stock and households, computed in the database (a few grouped queries)."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from proxima.households.models import Household
from proxima.territory.enums import DwellingStatus
from proxima.territory.models import Commune, Dwelling, Site


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class StockFigures:
    dwellings: int = 0
    occupied: int = 0
    vacant: int = 0
    unavailable: int = 0
    households: int = 0
    households_in_arrears: int = 0
    arrears_total: object = 0

    @property
    def vacancy_rate(self):
        """Vacant dwellings among those offered for rent (occupied or vacant; unavailable ones excluded)."""
        return rate(self.vacant, self.occupied + self.vacant)

    @property
    def arrears_rate(self):
        """Households owing rent among all households."""
        return rate(self.households_in_arrears, self.households)


@dataclass
class CommuneFigures(StockFigures):
    commune: Commune | None = None
    sites: int = 0


def _status_counts() -> dict:
    return {
        "dwellings": Count("id"),
        "occupied": Count("id", filter=Q(status=DwellingStatus.OCCUPIED)),
        "vacant": Count("id", filter=Q(status=DwellingStatus.VACANT)),
        "unavailable": Count("id", filter=Q(status=DwellingStatus.UNAVAILABLE)),
    }


def _household_counts() -> dict:
    return {
        "households": Count("id"),
        "households_in_arrears": Count("id", filter=Q(arrears_amount__gt=0)),
        "arrears_total": Sum("arrears_amount"),
    }


def total(rows: list[StockFigures]) -> StockFigures:
    """The organisation's figures, summed from its communes' (no second pass over the tables)."""
    figures = StockFigures()
    for row in rows:
        for name in ("dwellings", "occupied", "vacant", "unavailable", "households", "households_in_arrears"):
            setattr(figures, name, getattr(figures, name) + getattr(row, name))
        figures.arrears_total += row.arrears_total
    return figures


def site_figures(site: Site) -> StockFigures:
    figures = StockFigures(**Dwelling.objects.filter(building__site=site).aggregate(**_status_counts()))
    h = Household.objects.filter(dwelling__building__site=site).aggregate(**_household_counts())
    figures.households, figures.households_in_arrears = h["households"], h["households_in_arrears"]
    figures.arrears_total = h["arrears_total"] or 0
    return figures


def figures_by_commune(organisation) -> list[CommuneFigures]:
    """One row per commune where the landlord has sites, largest stock first."""
    by_code: dict[str, CommuneFigures] = {}
    for row in (
        Dwelling.objects.for_organisation(organisation)
        .values("building__site__commune_id")
        .annotate(**_status_counts())
    ):
        code = row.pop("building__site__commune_id")
        by_code[code] = CommuneFigures(**row)
    for row in (
        Household.objects.for_organisation(organisation)
        .values("dwelling__building__site__commune_id")
        .annotate(**_household_counts())
    ):
        figures = by_code.get(row["dwelling__building__site__commune_id"])
        if figures is not None:
            figures.households = row["households"]
            figures.households_in_arrears = row["households_in_arrears"]
            figures.arrears_total = row["arrears_total"] or 0
    for row in Site.objects.for_organisation(organisation).values("commune_id").annotate(n=Count("id")):
        by_code.setdefault(row["commune_id"], CommuneFigures()).sites = row["n"]
    communes = Commune.objects.select_related("department", "epci").in_bulk(list(by_code))
    for code, figures in by_code.items():
        figures.commune = communes[code]
    return sorted(by_code.values(), key=lambda f: (-f.dwellings, f.commune.name))
