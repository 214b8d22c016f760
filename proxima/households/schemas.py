import datetime as dt
from decimal import Decimal

from ninja import Schema

from proxima.territory.schemas import Page


class HouseholdOut(Schema):
    """A household without names: names are only in the audited detail."""

    id: int
    reference: str
    dwelling_id: int
    dwelling_reference: str
    site_id: int
    move_in_date: dt.date
    rent: Decimal
    charges: Decimal
    arrears_amount: Decimal
    arrears_months: int
    has_car: bool | None
    contact_channel: str
    persons_count: int

    @staticmethod
    def from_household(h, persons_count: int) -> "HouseholdOut":
        return HouseholdOut(
            id=h.pk,
            reference=h.reference,
            dwelling_id=h.dwelling_id,
            dwelling_reference=h.dwelling.reference,
            site_id=h.dwelling.building.site_id,
            move_in_date=h.move_in_date,
            rent=h.rent,
            charges=h.charges,
            arrears_amount=h.arrears_amount,
            arrears_months=h.arrears_months,
            has_car=h.has_car,
            contact_channel=h.contact_channel,
            persons_count=persons_count,
        )


class PersonOut(Schema):
    first_name: str
    last_name: str
    birth_year: int | None
    role: str
    phone: str


class HouseholdDetailOut(HouseholdOut):
    persons: list[PersonOut]


class HouseholdPage(Page):
    items: list[HouseholdOut]
