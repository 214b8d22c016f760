"""Import of the housing stock: one row per dwelling, with its building and its site.

Site and building columns repeat on every dwelling row; they must agree with the first
row that names the same site or building. Rows are upserted by the landlord's own
references (site, building, dwelling), so the import can be repeated after each export.
"""

from decimal import Decimal

from proxima.imports import schema as s
from proxima.imports.bulk import upsert_by_reference
from proxima.imports.engine import Importer, ImportReport, Row
from proxima.territory.enums import DwellingStatus, Financing, LocationPrecision
from proxima.territory.geo import distance_km
from proxima.territory.models import Building, Commune, Dwelling, Site

# A site more than this far from its commune's centre is almost surely a data error
# (latitude and longitude swapped, wrong commune): communes are at most ~30 km across.
MAX_DISTANCE_TO_COMMUNE_KM = 40

COLUMNS = [
    s.Column(
        "site_reference",
        "Référence résidence",
        s.reference,
        aliases=("reference_residence", "code_residence"),
    ),
    s.Column("site_name", "Nom résidence", s.text(200), aliases=("nom_residence", "residence")),
    s.Column(
        "site_address",
        "Adresse résidence",
        s.text(255),
        required=False,
        default="",
        aliases=("adresse_residence", "adresse"),
    ),
    s.Column("commune_code", "Code INSEE commune", s.insee_code, aliases=("code_insee", "insee", "commune_insee")),
    s.Column("latitude", "Latitude", s.latitude, required=False, aliases=("lat",)),
    s.Column("longitude", "Longitude", s.longitude, required=False, aliases=("lon", "lng")),
    s.Column(
        "building_reference",
        "Référence bâtiment",
        s.reference,
        aliases=("reference_batiment", "code_batiment", "batiment"),
    ),
    s.Column(
        "building_address",
        "Adresse bâtiment",
        s.text(255),
        required=False,
        default="",
        aliases=("adresse_batiment",),
    ),
    s.Column(
        "dwelling_reference",
        "Référence logement",
        s.reference,
        aliases=("reference_logement", "code_logement", "logement"),
    ),
    s.Column("kind", "Typologie", s.dwelling_kind, aliases=("type", "type_logement")),
    s.Column(
        "floor_area",
        "Surface habitable",
        s.positive_amount(maximum=Decimal(1000), unit="m²"),
        aliases=("surface", "surface_m2", "shab"),
    ),
    s.Column("rent", "Loyer", s.amount(maximum=Decimal(10000)), aliases=("loyer_hors_charges", "loyer_mensuel")),
    s.Column(
        "financing",
        "Financement",
        s.choice({f.value: [f.value] for f in Financing}),
        aliases=("type_financement",),
    ),
    s.Column(
        "status",
        "Statut",
        s.choice(
            {
                DwellingStatus.OCCUPIED: ["occupé", "loué", "occupe", "occupied"],
                DwellingStatus.VACANT: ["vacant", "libre", "vide"],
                DwellingStatus.UNAVAILABLE: ["indisponible", "hors location", "travaux", "unavailable"],
            }
        ),
        aliases=("statut_logement", "etat"),
    ),
    s.Column(
        "vacant_since",
        "Vacant depuis",
        s.date,
        required=False,
        aliases=("date_debut_vacance", "debut_vacance", "date_vacance"),
    ),
]

SITE_FIELDS = ("site_name", "site_address", "commune_code", "latitude", "longitude")


class StockImporter(Importer):
    kind = "stock"
    columns = COLUMNS
    models = (Site, Building, Dwelling)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.communes = {
            code: (lat, lon) for code, lat, lon in Commune.objects.values_list("code", "latitude", "longitude")
        }
        self.site_first: dict[str, tuple] = {}  # reference -> (values, line)
        self.building_first: dict[str, tuple] = {}  # reference -> (site reference, address, line)
        self.dwelling_lines: dict[str, int] = {}
        self.site_ids: dict[str, int] = {}
        self.building_ids: dict[str, int] = {}

    def check(self, row: Row) -> list:
        d = row.data
        issues = []
        if d["commune_code"] not in self.communes:
            issues.append(
                self.issue(
                    row,
                    "commune_code",
                    "le code INSEE d'une commune du Code officiel géographique 2026",
                    "commune inconnue",
                )
            )
        if (d["latitude"] is None) != (d["longitude"] is None):
            missing = "latitude" if d["latitude"] is None else "longitude"
            issues.append(
                self.issue(row, missing, "la latitude et la longitude, ou aucune des deux", "coordonnée incomplète")
            )
        elif not issues:
            clat, clon = self.communes[d["commune_code"]]
            if clat is None and d["latitude"] is None:
                issues.append(
                    self.issue(
                        row,
                        "latitude",
                        "la latitude et la longitude de la résidence",
                        "la commune n'a pas de centre connu",
                        value="",
                    )
                )
            elif clat is not None and d["latitude"] is not None:
                km = distance_km(d["latitude"], d["longitude"], clat, clon)
                if km > MAX_DISTANCE_TO_COMMUNE_KM:
                    issues.append(
                        self.issue(
                            row,
                            "latitude",
                            f"un point à moins de {MAX_DISTANCE_TO_COMMUNE_KM} km de la commune {d['commune_code']}",
                            f"position à {km:.0f} km de la commune (latitude et longitude inversées ?)",
                        )
                    )
        if d["status"] == DwellingStatus.VACANT:
            if d["vacant_since"] is None:
                issues.append(
                    self.issue(
                        row,
                        "vacant_since",
                        "la date de début de vacance d'un logement vacant",
                        "date manquante",
                        value="",
                    )
                )
            elif d["vacant_since"] > self.today:
                issues.append(self.issue(row, "vacant_since", "une date passée", "date dans le futur"))
        else:
            # The column holds the start of the current vacancy only: an old date on an occupied dwelling is moot.
            d["vacant_since"] = None
        if issues:
            return issues

        site_values = tuple(d[f] for f in SITE_FIELDS)
        first = self.site_first.get(d["site_reference"])
        if first is None:
            self.site_first[d["site_reference"]] = (site_values, row.line)
        elif first[0] != site_values:
            field = next(f for f, a, b in zip(SITE_FIELDS, first[0], site_values, strict=True) if a != b)
            issues.append(
                self.issue(
                    row,
                    field,
                    f"la même valeur qu'à la ligne {first[1]} pour la résidence {d['site_reference']}",
                    "valeur différente pour la même résidence",
                )
            )
        building = self.building_first.get(d["building_reference"])
        if building is None:
            self.building_first[d["building_reference"]] = (
                d["site_reference"],
                d["building_address"],
                row.line,
            )
        elif building[0] != d["site_reference"]:
            issues.append(
                self.issue(
                    row,
                    "site_reference",
                    f"la résidence {building[0]} (bâtiment {d['building_reference']}, ligne {building[2]})",
                    "bâtiment rattaché à deux résidences",
                )
            )
        elif building[1] != d["building_address"]:
            issues.append(
                self.issue(
                    row,
                    "building_address",
                    f"la même adresse qu'à la ligne {building[2]} pour ce bâtiment",
                    "adresse différente pour le même bâtiment",
                )
            )
        seen = self.dwelling_lines.get(d["dwelling_reference"])
        if seen is not None:
            issues.append(
                self.issue(
                    row,
                    "dwelling_reference",
                    "une référence de logement unique dans le fichier",
                    f"référence déjà vue ligne {seen}",
                )
            )
        else:
            self.dwelling_lines[d["dwelling_reference"]] = row.line
        return issues

    # Writing ---------------------------------------------------------------------------

    def _site_fields(self, d) -> dict:
        if d["latitude"] is None:
            lat, lon = self.communes[d["commune_code"]]
            precision = LocationPrecision.COMMUNE
        else:
            lat, lon, precision = d["latitude"], d["longitude"], LocationPrecision.ADDRESS
        return {
            "name": d["site_name"],
            "address": d["site_address"],
            "commune_id": d["commune_code"],
            "latitude": lat,
            "longitude": lon,
            "location_precision": precision,
        }

    def write(self, rows: list[Row], report: ImportReport, *, apply: bool) -> None:
        def upsert(model, wanted, counts):
            return upsert_by_reference(model, self.organisation, wanted, counts, apply=apply)[0]

        new_sites = {}
        for row in rows:
            ref = row.data["site_reference"]
            if ref not in self.site_ids and ref not in new_sites:
                new_sites[ref] = self._site_fields(row.data)
        self.site_ids.update(upsert(Site, new_sites, report.count("sites")))

        new_buildings = {}
        for row in rows:
            ref = row.data["building_reference"]
            if ref not in self.building_ids and ref not in new_buildings:
                new_buildings[ref] = {
                    "site_id": self.site_ids.get(row.data["site_reference"]),
                    "address": row.data["building_address"],
                }
        self.building_ids.update(upsert(Building, new_buildings, report.count("buildings")))

        dwellings = {
            row.data["dwelling_reference"]: {
                "building_id": self.building_ids.get(row.data["building_reference"]),
                "kind": row.data["kind"],
                "floor_area": row.data["floor_area"],
                "rent": row.data["rent"],
                "financing": row.data["financing"],
                "status": row.data["status"],
                "vacant_since": row.data["vacant_since"],
            }
            for row in rows
        }
        upsert(Dwelling, dwellings, report.count("dwellings"))
