"""A large landlord's register for the benchmarks: sites in real low-demand communes, one building per
site, occupied dwellings and their households, written with ``bulk_create`` (Django must be set up)."""

import datetime as dt
from decimal import Decimal


def seed_register(organisation, rng, *, sites: int, households: int, batch: int, household_fields=None):
    """Create ``sites`` sites in the low-demand communes of Indre and Cher, ``households / sites`` occupied
    dwellings per site and one household in each, a tenth in arrears; ``household_fields(rng)`` adds fields.
    Returns the sites and the households (with their ids)."""
    from proxima.households.models import Household
    from proxima.territory.enums import DwellingKind, DwellingStatus, Financing
    from proxima.territory.models import Building, Commune, Dwelling, Site

    communes = list(
        Commune.objects.filter(department_id__in=["18", "36"], is_low_demand=True, latitude__isnull=False)
        .order_by("code")
        .values_list("code", "latitude", "longitude")
    )
    created_sites = Site.objects.bulk_create(
        Site(
            organisation=organisation,
            reference=f"S{i:05d}",
            name=f"Résidence {i:05d}",
            commune_id=code,
            latitude=lat,
            longitude=lon,
        )
        for i, (code, lat, lon) in enumerate(rng.choice(communes) for _ in range(sites))
    )
    buildings = Building.objects.bulk_create(
        Building(organisation=organisation, site=site, reference=f"B{i:05d}") for i, site in enumerate(created_sites)
    )
    per_site = households // sites
    dwellings = Dwelling.objects.bulk_create(
        (
            Dwelling(
                organisation=organisation,
                building=buildings[i // per_site],
                reference=f"L{i:06d}",
                kind=DwellingKind.T3,
                floor_area=Decimal("65.00"),
                rent=Decimal("380.00"),
                financing=Financing.PLUS,
                status=DwellingStatus.OCCUPIED,
            )
            for i in range(households)
        ),
        batch_size=batch,
    )
    created_households = Household.objects.bulk_create(
        (
            Household(
                organisation=organisation,
                reference=f"BAIL{i:06d}",
                dwelling=dwelling,
                move_in_date=dt.date(2015, 6, 1),
                rent=Decimal("380.00"),
                charges=Decimal("95.00"),
                arrears_amount=Decimal("950.00") if rng.random() < 0.1 else Decimal("0"),
                **(household_fields(rng) if household_fields else {}),
            )
            for i, dwelling in enumerate(dwellings)
        ),
        batch_size=batch,
    )
    return created_sites, created_households
