"""Synthetic housing stock and households for the demo and the benchmarks.

Pure module: nothing imported from Django; plain data in, rows out, reproducible with
``seed``. The rows have the columns of the import files, so the demo is loaded through
the same import as a landlord's real export.

The distributions follow the published profile of social housing in low-demand rural
territories (orders of magnitude, not a model of any real landlord): about 30 % of
tenants aged 65 or more, many people living alone (most of those aged 75 or more),
5-10 % of households in arrears (more among the young), vacancy of 5-15 % and highest in
the smallest communes, fewer cars among the oldest residents.
"""

import csv
import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from proxima.demo.names import LAST_NAMES, first_names_for

STOCK_COLUMNS = [
    "site_reference",
    "site_name",
    "site_address",
    "commune_code",
    "latitude",
    "longitude",
    "building_reference",
    "building_address",
    "dwelling_reference",
    "kind",
    "floor_area",
    "rent",
    "financing",
    "status",
    "vacant_since",
]
HOUSEHOLD_COLUMNS = [
    "lease_reference",
    "dwelling_reference",
    "move_in_date",
    "rent",
    "charges",
    "arrears_amount",
    "arrears_months",
    "has_car",
    "contact_channel",
    "last_name",
    "first_name",
    "birth_year",
    "role",
    "phone",
]

STREET_NAMES = [
    "rue des Tilleuls",
    "allée des Peupliers",
    "rue Jean-Jaurès",
    "avenue de la Gare",
    "rue du Stade",
    "place de la Mairie",
    "rue des Écoles",
    "chemin des Vignes",
    "rue Victor-Hugo",
    "allée des Acacias",
    "rue Pasteur",
    "rue des Lilas",
    "rue de la Fontaine",
    "impasse des Roses",
    "rue du Moulin",
    "avenue Jean-Moulin",
    "rue Émile-Zola",
    "rue des Charmes",
    "rue du Château",
    "square des Marronniers",
]
SITE_WORDS = [
    "Les Tilleuls",
    "Les Peupliers",
    "Le Clos",
    "Les Acacias",
    "Beauregard",
    "Les Charmilles",
    "Le Parc",
    "La Fontaine",
    "Les Rosiers",
    "Bellevue",
    "Le Moulin",
    "Les Vignes",
    "Le Verger",
    "Les Chênes",
    "La Prairie",
    "Les Marronniers",
    "Champ-Fleuri",
    "Les Lilas",
    "Le Bourg",
    "Les Hauts",
]

KINDS = [
    ("T1", 0.08, 31),
    ("T2", 0.22, 48),
    ("T3", 0.36, 66),
    ("T4", 0.25, 80),
    ("T5", 0.07, 95),
    ("T6", 0.02, 110),
]
FINANCINGS = [("PLUS", 0.70, 5.90), ("PLAI", 0.18, 5.30), ("PLS", 0.10, 7.90), ("PLI", 0.02, 8.60)]
# Age bands of the reference person: (low, high, share). 30 % aged 65 or more.
AGE_BANDS = [((19, 29), 0.10), ((30, 44), 0.22), ((45, 64), 0.38), ((65, 74), 0.15), ((75, 97), 0.15)]

MIN_SITE_SIZE = 2  # dwellings

# ARCEP reserves these ranges for works of fiction: no real subscriber can be reached.
FICTION_MOBILE = "063998"
FICTION_LANDLINE = "026191"


@dataclass(frozen=True)
class CommuneInfo:
    code: str
    name: str
    population: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class DemoParams:
    """What to generate. ``dwellings`` is a target; the result is within a few percent of it."""

    dwellings: int = 3000
    sites: int | None = None  # default: one site per ~33 dwellings, between 1 and 120
    today: dt.date = dt.date(2026, 11, 1)
    reference_prefix: str = "DEMO"

    def __post_init__(self):
        if self.dwellings < 10:
            raise ValueError("Expected dwellings >= 10.")
        if self.sites is None:
            object.__setattr__(self, "sites", max(1, min(120, self.dwellings // 33)))
        if not 1 <= self.sites <= self.dwellings // MIN_SITE_SIZE:
            raise ValueError(f"Expected 1 <= sites <= dwellings / {MIN_SITE_SIZE}.")


@dataclass(frozen=True)
class DwellingInfo:
    """What household generation needs to know of a dwelling."""

    reference: str
    kind: str
    floor_area: float
    rent: float
    status: str
    commune_population: int


def _weighted(rng: random.Random, options):
    """Draw one of ``options``, tuples whose second item is the option's weight."""
    return rng.choices(options, weights=[o[1] for o in options])[0]


def _vacancy_rate(population: int) -> float:
    # Vacancy is highest where demand is weakest: the smallest communes.
    if population < 1000:
        return 0.14
    if population < 5000:
        return 0.10
    if population < 20000:
        return 0.08
    return 0.05


def choose_sites(communes: list[CommuneInfo], params: DemoParams, rng: random.Random):
    """Spread ``params.sites`` sites over the communes: towns get several, villages one."""
    by_size = sorted(communes, key=lambda c: -c.population)
    towns = [c for c in by_size if c.population >= 5000]
    villages = [c for c in by_size if 300 <= c.population < 5000]
    chosen = []
    for town in towns:
        chosen.extend([town] * max(2, min(8, round(math.sqrt(town.population / 2000)))))
    remaining = max(params.sites - len(chosen), 0)
    if villages and remaining:
        picks = rng.choices(villages, weights=[math.sqrt(v.population) for v in villages], k=remaining)
        chosen.extend(picks)
    chosen = chosen[: params.sites]
    # Dwellings per site grow with the commune: blocks of flats in towns, a few houses in villages.
    weights = [math.sqrt(c.population) * rng.uniform(0.6, 1.4) for c in chosen]
    total = sum(weights)
    sizes = [max(MIN_SITE_SIZE, round(params.dwellings * w / total)) for w in weights]
    return list(zip(chosen, sizes, strict=True))


def generate_stock(communes: list[CommuneInfo], params: DemoParams, *, seed: int = 0) -> Iterator[dict]:
    """Yield one row per dwelling, in the stock import format."""
    rng = random.Random(seed)
    p = params.reference_prefix
    for site_no, (commune, size) in enumerate(choose_sites(communes, params, rng), start=1):
        spread = 0.012 if commune.population >= 5000 else 0.004  # degrees: about 1 km and 300 m
        lat = round(commune.latitude + rng.uniform(-spread, spread), 6)
        lon = round(commune.longitude + rng.uniform(-spread, spread) * 1.4, 6)
        site_ref = f"{p}-R{site_no:04d}"
        street = rng.choice(STREET_NAMES)
        site = {
            "site_reference": site_ref,
            "site_name": f"{rng.choice(SITE_WORDS)} ({commune.name})",
            "site_address": f"{rng.randint(1, 60)} {street}",
            "commune_code": commune.code,
            "latitude": lat,
            "longitude": lon,
        }
        per_building = 16 if commune.population >= 5000 else 8
        vacancy = _vacancy_rate(commune.population)
        site_number = int(site["site_address"].split()[0])
        for n in range(size):
            building_no = n // per_building + 1
            building_number = site_number + 2 * (building_no - 1)  # same side of the street
            kind, _, area = _weighted(rng, KINDS)
            financing, _, rent_m2 = _weighted(rng, FINANCINGS)
            floor_area = round(area * rng.uniform(0.88, 1.12), 1)
            rent = round(floor_area * rent_m2 * rng.uniform(0.92, 1.06), 2)
            draw = rng.random()
            if draw < vacancy:
                status = "vacant"
                # Long vacancies are the norm where demand is low: most last months, some years.
                vacant_since = params.today - dt.timedelta(days=int(rng.expovariate(1 / 200)) + 15)
            elif draw < vacancy + 0.02:
                status, vacant_since = "unavailable", None
            else:
                status, vacant_since = "occupied", None
            yield {
                **site,
                "building_reference": f"{site_ref}-B{building_no:02d}",
                "building_address": f"{building_number} {street}",
                "dwelling_reference": f"{site_ref}-L{n + 1:03d}",
                "kind": kind,
                "floor_area": floor_area,
                "rent": rent,
                "financing": financing,
                "status": status,
                "vacant_since": vacant_since.isoformat() if vacant_since else "",
            }


def _phone(rng: random.Random, mobile: bool) -> str:
    prefix = FICTION_MOBILE if mobile else FICTION_LANDLINE
    return prefix + f"{rng.randint(0, 9999):04d}"


def _person(rng, last_name, birth_year, sex, role, with_phone, mobile):
    return {
        "last_name": last_name,
        "first_name": rng.choice(first_names_for(birth_year, sex)),
        "birth_year": birth_year,
        "role": role,
        "phone": _phone(rng, mobile) if with_phone else "",
    }


def _composition(rng: random.Random, age: int, kind: str, year: int, last_name: str):
    """The persons of a household whose reference person is ``age``: (persons, single-person?)."""
    rooms = int(kind[1])
    sex = rng.choice("FM") if age < 75 else ("F" if rng.random() < 0.72 else "M")  # women live longer
    ref = _person(rng, last_name, year - age, sex, "reference", True, age < 70 or rng.random() < 0.4)
    alone_share = 0.70 if age >= 75 else 0.55 if age >= 65 else 0.35
    if rooms == 1 or rng.random() < alone_share:
        return [ref]
    persons = [ref]

    def add(person):
        # Two members with the same name and birth year would be one person to the import: draw again.
        while any((p["first_name"], p["birth_year"]) == (person["first_name"], person["birth_year"]) for p in persons):
            person["first_name"] = rng.choice(first_names_for(person["birth_year"], rng.choice("FM")))
        persons.append(person)

    if rng.random() < (0.55 if age >= 45 else 0.6):
        spouse_age = max(19, age + rng.randint(-5, 5))
        spouse_sex = "M" if sex == "F" else "F"
        add(_person(rng, last_name, year - spouse_age, spouse_sex, "spouse", rng.random() < 0.5, spouse_age < 70))
    if age < 60:
        children = min(rooms - 1, rng.choices([0, 1, 2, 3, 4], weights=[15, 35, 30, 15, 5])[0])
        for _ in range(children):
            child_age = rng.randint(0, max(0, min(age - 18, 24)))
            add(_person(rng, last_name, year - child_age, rng.choice("FM"), "child", False, True))
    return persons


def generate_households(dwellings: list[DwellingInfo], params: DemoParams, *, seed: int = 0) -> Iterator[dict]:
    """Yield one row per person of the household of each occupied dwelling (households import format)."""
    rng = random.Random(seed + 1)
    year = params.today.year
    lease_no = 0
    for dwelling in dwellings:
        if dwelling.status != "occupied":
            continue
        lease_no += 1
        (low, high), _ = _weighted(rng, AGE_BANDS)
        age = rng.randint(low, high)
        last_name = rng.choice(LAST_NAMES)
        persons = _composition(rng, age, dwelling.kind, year, last_name)

        # Older tenants have been there longer; nobody moved in before turning 18.
        mean_tenure = 2 + (age - 19) * 0.35
        tenure = min(rng.expovariate(1 / mean_tenure), age - 18, 50)
        move_in = params.today - dt.timedelta(days=int(tenure * 365.25) + 1)
        charges = round(dwelling.floor_area * rng.uniform(1.1, 1.8), 2)

        arrears_p = 0.18 if age < 30 else 0.09 if age < 65 else 0.03
        if rng.random() < arrears_p:
            months = min(1 + int(rng.expovariate(1 / 2.5)), 24)
            arrears = round((dwelling.rent + charges) * months * rng.uniform(0.4, 1.0), 2)
        else:
            months, arrears = 0, 0.0

        if rng.random() < 0.3:
            has_car = ""  # unknown: not every landlord records it
        else:
            town = dwelling.commune_population >= 5000
            car_p = (0.40 if age >= 75 else 0.68 if age >= 65 else 0.86) - (0.12 if town else 0)
            has_car = "oui" if rng.random() < car_p else "non"

        if age >= 75:
            channel = _weighted(rng, [("phone", 0.55), ("letter", 0.30), ("in_person", 0.15)])[0]
        elif age >= 65:
            channel = _weighted(rng, [("phone", 0.50), ("letter", 0.25), ("sms", 0.15), ("in_person", 0.10)])[0]
        else:
            channel = _weighted(rng, [("sms", 0.35), ("phone", 0.30), ("email", 0.25), ("letter", 0.10)])[0]

        household = {
            "lease_reference": f"{params.reference_prefix}-B{lease_no:06d}",
            "dwelling_reference": dwelling.reference,
            "move_in_date": move_in.isoformat(),
            "rent": dwelling.rent,
            "charges": charges,
            "arrears_amount": arrears,
            "arrears_months": months,
            "has_car": has_car,
            "contact_channel": channel,
        }
        for person in persons:
            yield {**household, **person}


def dwelling_info(stock_row: dict, populations: dict[str, int]) -> DwellingInfo:
    return DwellingInfo(
        reference=stock_row["dwelling_reference"],
        kind=stock_row["kind"],
        floor_area=stock_row["floor_area"],
        rent=stock_row["rent"],
        status=stock_row["status"],
        commune_population=populations[stock_row["commune_code"]],
    )


def write_csv(path: Path, columns: list[str], rows) -> int:
    """Write ``rows`` (dicts) as a UTF-8 CSV with ``;`` separators, as French spreadsheets do."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, delimiter=";")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_demo_files(
    directory: Path, communes: list[CommuneInfo], params: DemoParams, *, seed: int = 0
) -> tuple[Path, Path]:
    """Write ``stock.csv`` and ``households.csv`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    populations = {c.code: c.population for c in communes}
    dwellings: list[DwellingInfo] = []

    def stock_rows():
        for row in generate_stock(communes, params, seed=seed):
            dwellings.append(dwelling_info(row, populations))
            yield row

    stock_path, households_path = directory / "stock.csv", directory / "households.csv"
    write_csv(stock_path, STOCK_COLUMNS, stock_rows())
    write_csv(households_path, HOUSEHOLD_COLUMNS, generate_households(dwellings, params, seed=seed))
    return stock_path, households_path
