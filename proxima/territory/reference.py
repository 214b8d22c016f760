"""Load the shipped reference data (communes, zonage ABC, France services) into the database.

Each file is loaded with one upsert per table and remembered by its SHA-256, so loading
the same files again is a no-op and a newer file replaces the rows it describes.
Sources and licences: ``proxima/territory/data/README.md``.
"""

import csv
import hashlib
from pathlib import Path

from django.db import transaction

from proxima.territory.enums import LOW_DEMAND_ZONES
from proxima.territory.models import (
    Commune,
    Department,
    Epci,
    FranceServicesSite,
    ReferenceDataset,
    Region,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

FILES = {
    "regions": "regions_2026.csv",
    "departments": "departements_2026.csv",
    "communes": "communes_2026.csv",
    "zonage": "zonage_abc_2025.csv",
    "france_services": "france_services_2024-08.csv",
}


def _rows(name: str):
    with open(DATA_DIR / FILES[name], encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _float(value: str):
    return float(value) if value else None


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in sorted(FILES):
        digest.update((DATA_DIR / FILES[name]).read_bytes())
    return digest.hexdigest()


def _upsert(model, objects, fields, batch_size=2000):
    model.objects.bulk_create(
        objects,
        batch_size=batch_size,
        update_conflicts=True,
        unique_fields=[model._meta.pk.name],
        update_fields=fields,
    )
    return len(objects)


def reference_data_loaded(fingerprint: str | None = None) -> bool:
    """Whether the shipped files, as they are now, are what the database holds."""
    return ReferenceDataset.objects.filter(name="territory", sha256=fingerprint or _fingerprint()).exists()


@transaction.atomic
def load_reference_data(*, force: bool = False) -> dict[str, int]:
    """Load or refresh every reference table; return the number of rows per table (0 if unchanged)."""
    fingerprint = _fingerprint()
    if not force and reference_data_loaded(fingerprint):
        return {}

    counts = {}
    counts["regions"] = _upsert(
        Region, [Region(code=r["reg_code"], name=r["reg_nom"]) for r in _rows("regions")], ["name"]
    )
    counts["departments"] = _upsert(
        Department,
        [Department(code=r["dep_code"], name=r["dep_nom"], region_id=r["reg_code"]) for r in _rows("departments")],
        ["name", "region"],
    )

    communes = list(_rows("communes"))
    epcis = {
        r["epci_siren"]: Epci(siren=r["epci_siren"], name=r["epci_nom"], kind=r["epci_type"])
        for r in communes
        if r["epci_siren"]
    }
    counts["epcis"] = _upsert(Epci, list(epcis.values()), ["name", "kind"])

    zonage = {r["code_insee"]: r for r in _rows("zonage")}
    objects = []
    for r in communes:
        zone = zonage.get(r["code_insee"], {})
        zone_abc = zone.get("zone_abc", "")
        objects.append(
            Commune(
                code=r["code_insee"],
                name=r["nom"],
                is_arrondissement=r["type"] == "arrondissement-municipal",
                department_id=r["dep_code"],
                epci_id=r["epci_siren"] or None,
                population=int(r["population"]) if r["population"] else None,
                postcodes=r["codes_postaux"],
                latitude=_float(r["latitude"]),
                longitude=_float(r["longitude"]),
                zone_abc=zone_abc,
                is_low_demand=zone_abc in LOW_DEMAND_ZONES,
                zone_apl=zone.get("zone_apl", ""),
            )
        )
    counts["communes"] = _upsert(
        Commune,
        objects,
        [
            "name",
            "is_arrondissement",
            "department",
            "epci",
            "population",
            "postcodes",
            "latitude",
            "longitude",
            "zone_abc",
            "is_low_demand",
            "zone_apl",
        ],
    )

    known = {c.code for c in objects}
    sites = [
        FranceServicesSite(
            id=int(r["id_fs"]),
            name=r["lib_fs"],
            address=" ".join(filter(None, [r["adresse"], r["complement_adresse"]]))[:255],
            # Three sites carry a code merged away since 2024: kept, without a commune.
            commune_id=r["insee_com"] if r["insee_com"] in known else None,
            postcode=r["code_postal"],
            latitude=_float(r["latitude"]),
            longitude=_float(r["longitude"]),
            phone=r["telephone"],
            email=r["mail"],
            format=r["format_fs"],
        )
        for r in _rows("france_services")
    ]
    counts["france_services"] = _upsert(
        FranceServicesSite,
        sites,
        ["name", "address", "commune", "postcode", "latitude", "longitude", "phone", "email", "format"],
    )
    ReferenceDataset.objects.update_or_create(
        name="territory", defaults={"sha256": fingerprint, "rows": sum(counts.values())}
    )
    return counts
