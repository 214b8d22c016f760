import datetime as dt
from decimal import Decimal

from ninja import Schema


class SiteOut(Schema):
    id: int
    reference: str
    name: str
    address: str
    commune_code: str
    commune_name: str
    zone_abc: str
    low_demand: bool
    latitude: float
    longitude: float
    location_precision: str
    dwellings_count: int
    vacant_count: int

    @staticmethod
    def from_site(site) -> "SiteOut":
        return SiteOut(
            id=site.pk,
            reference=site.reference,
            name=site.name,
            address=site.address,
            commune_code=site.commune_id,
            commune_name=site.commune.name,
            zone_abc=site.commune.zone_abc,
            low_demand=site.commune.is_low_demand,
            latitude=site.latitude,
            longitude=site.longitude,
            location_precision=site.location_precision,
            dwellings_count=site.dwellings_count,
            vacant_count=site.vacant_count,
        )


class DwellingOut(Schema):
    id: int
    reference: str
    site_id: int
    building_reference: str
    kind: str
    floor_area: Decimal
    rent: Decimal
    financing: str
    status: str
    vacant_since: dt.date | None

    @staticmethod
    def from_dwelling(d) -> "DwellingOut":
        return DwellingOut(
            id=d.pk,
            reference=d.reference,
            site_id=d.building.site_id,
            building_reference=d.building.reference,
            kind=d.kind,
            floor_area=d.floor_area,
            rent=d.rent,
            financing=d.financing,
            status=d.status,
            vacant_since=d.vacant_since,
        )


class Page(Schema):
    count: int
    limit: int
    offset: int


class SitePage(Page):
    items: list[SiteOut]


class DwellingPage(Page):
    items: list[DwellingOut]
