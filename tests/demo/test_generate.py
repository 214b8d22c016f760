"""The synthetic stock and households: reproducible, plausible, and in the import format. No database."""

import csv
import datetime as dt
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from proxima.demo.generate import (
    HOUSEHOLD_COLUMNS,
    STOCK_COLUMNS,
    CommuneInfo,
    DemoParams,
    choose_sites,
    dwelling_info,
    generate_households,
    generate_stock,
    write_demo_files,
)

DATA = Path(__file__).parent / "data"
REFERENCE = Path(__file__).resolve().parents[2] / "proxima" / "territory" / "data"
TODAY = dt.date(2026, 11, 1)


def read_communes(path: Path) -> list[CommuneInfo]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            CommuneInfo(r["code"], r["name"], int(r["population"]), float(r["latitude"]), float(r["longitude"]))
            for r in csv.DictReader(f, delimiter=";")
        ]


def berry_communes() -> list[CommuneInfo]:
    """The communes the demo uses: Indre and Cher, zone B2 or C, from the shipped reference files."""
    with open(REFERENCE / "zonage_abc_2025.csv", encoding="utf-8", newline="") as f:
        zones = {r["code_insee"]: r["zone_abc"] for r in csv.DictReader(f)}
    with open(REFERENCE / "communes_2026.csv", encoding="utf-8", newline="") as f:
        return [
            CommuneInfo(
                r["code_insee"], r["nom"], int(r["population"] or 0), float(r["latitude"]), float(r["longitude"])
            )
            for r in csv.DictReader(f)
            if r["dep_code"] in ("36", "18")
            and zones.get(r["code_insee"]) in ("B2", "C")
            and r["type"] != "arrondissement-municipal"
            and r["latitude"]
        ]


def generate(communes, params, seed=0):
    populations = {c.code: c.population for c in communes}
    stock = list(generate_stock(communes, params, seed=seed))
    households = list(generate_households([dwelling_info(r, populations) for r in stock], params, seed=seed))
    return stock, households


def km(lat1, lon1, lat2, lon2):
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def share(items, predicate):
    items = list(items)
    assert items, "empty population"
    return sum(1 for item in items if predicate(item)) / len(items)


@pytest.fixture(scope="module")
def small():
    """Eight communes of the Indre, from Châteauroux (43,000 inhabitants) to Aize (114)."""
    return read_communes(DATA / "communes.csv")


@pytest.fixture(scope="module")
def berry():
    return berry_communes()


@pytest.fixture(scope="module")
def demo(berry):
    """The default demo: 3,000 dwellings, seed 0."""
    stock, households = generate(berry, DemoParams(dwellings=3000, today=TODAY), seed=0)
    populations = {c.code: c.population for c in berry}
    leases = defaultdict(list)
    for row in households:
        leases[row["lease_reference"]].append(row)
    references = [row for row in households if row["role"] == "reference"]
    return {
        "communes": {c.code: c for c in berry},
        "populations": populations,
        "stock": stock,
        "households": households,
        "leases": leases,
        "references": references,
    }


def age(person):
    return TODAY.year - person["birth_year"]


class TestDemoParams:
    def test_defaults(self):
        """The default demo is 3,000 dwellings on 90 sites."""
        params = DemoParams()
        assert (params.dwellings, params.sites, params.reference_prefix) == (3000, 90, "DEMO")

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"dwellings": 9}, "Expected dwellings >= 10."),
            ({"dwellings": 0}, "Expected dwellings >= 10."),
            ({"dwellings": -5}, "Expected dwellings >= 10."),
            ({"sites": 0}, "Expected 1 <= sites <= dwellings / 2."),
            ({"sites": -1}, "Expected 1 <= sites <= dwellings / 2."),
            ({"dwellings": 50, "sites": 26}, "Expected 1 <= sites <= dwellings / 2."),
        ],
    )
    def test_rejects_bad_values(self, kwargs, message):
        """Impossible sizes are refused when the parameters are built."""
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            DemoParams(**kwargs)

    def test_smallest_valid_values(self):
        """Ten dwellings on one site is the smallest demo."""
        params = DemoParams(dwellings=10, sites=1)
        assert (params.dwellings, params.sites) == (10, 1)


class TestReproducibility:
    def test_same_seed_same_rows(self, small):
        """The same seed gives exactly the same stock and households."""
        params = DemoParams(dwellings=200, sites=12, today=TODAY)
        assert generate(small, params, seed=7) == generate(small, params, seed=7)

    def test_different_seed_different_rows(self, small):
        """Another seed gives another stock and other households."""
        params = DemoParams(dwellings=200, sites=12, today=TODAY)
        stock_a, households_a = generate(small, params, seed=0)
        stock_b, households_b = generate(small, params, seed=1)
        assert stock_a != stock_b
        assert households_a != households_b

    def test_same_seed_same_files(self, small, tmp_path):
        """The written files are identical byte for byte for the same seed."""
        params = DemoParams(dwellings=200, sites=12, today=TODAY)
        first = write_demo_files(tmp_path / "a", small, params, seed=3)
        second = write_demo_files(tmp_path / "b", small, params, seed=3)
        assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


class TestChooseSites:
    def test_villages_under_300_inhabitants_get_no_site(self, small):
        """Aize (114 inhabitants) is too small for a residence."""
        chosen = choose_sites(small, DemoParams(dwellings=500, sites=40, today=TODAY), random.Random(0))
        assert len(chosen) == 40
        assert "36002" not in {commune.code for commune, _ in chosen}

    def test_towns_get_several_sites(self, small):
        """Châteauroux gets several residences, each at least four dwellings."""
        chosen = choose_sites(small, DemoParams(dwellings=500, sites=20, today=TODAY), random.Random(0))
        codes = Counter(commune.code for commune, _ in chosen)
        assert codes["36044"] >= 2
        assert codes["36088"] >= 2
        assert min(size for _, size in chosen) >= 4


class TestSizes:
    @pytest.mark.parametrize(("dwellings", "sites"), [(3000, 90), (1000, 40), (300, 15)])
    def test_total_close_to_target_and_sites_as_asked(self, berry, dwellings, sites):
        """The number of dwellings is within 5 % of the target; the number of sites is exact."""
        stock = list(generate_stock(berry, DemoParams(dwellings=dwellings, sites=sites, today=TODAY), seed=0))
        assert abs(len(stock) - dwellings) <= 0.05 * dwellings
        assert len({row["site_reference"] for row in stock}) == sites

    def test_valid_params_honour_the_target(self, berry):
        """Parameters DemoParams accepts give a stock within 5 % of the target (or are refused)."""
        try:
            params = DemoParams(dwellings=200, today=TODAY)
        except ValueError:
            return
        stock = list(generate_stock(berry, params, seed=0))
        assert abs(len(stock) - 200) <= 0.05 * 200

    def test_sites_close_to_their_commune(self, demo):
        """Every residence lies within a few kilometres of its commune's centre."""
        communes = demo["communes"]
        for row in demo["stock"]:
            commune = communes[row["commune_code"]]
            assert km(row["latitude"], row["longitude"], commune.latitude, commune.longitude) < 3, row


class TestDistributions:
    """The default demo looks like social housing in low-demand rural territories."""

    def test_a_third_of_reference_persons_aged_65_or_more(self, demo):
        """Between 25 % and 35 % of reference persons are aged 65 or more."""
        assert 0.25 <= share(demo["references"], lambda p: age(p) >= 65) <= 0.35

    def test_households_in_arrears(self, demo):
        """Between 5 % and 10 % of households are in arrears."""
        assert len(demo["references"]) == len(demo["leases"])
        assert 0.05 <= share(demo["references"], lambda p: p["arrears_months"] > 0) <= 0.10

    def test_arrears_amounts_match_months(self, demo):
        """A household has an amount in arrears if and only if it has months in arrears."""
        for person in demo["references"]:
            assert (person["arrears_months"] > 0) == (person["arrears_amount"] > 0)

    def test_vacancy_rate(self, demo):
        """Between 5 % and 15 % of dwellings are vacant."""
        assert 0.05 <= share(demo["stock"], lambda r: r["status"] == "vacant") <= 0.15

    def test_vacancy_highest_in_small_communes(self, demo):
        """Vacancy is higher in communes under 1,000 inhabitants than in towns of 20,000 or more."""
        populations = demo["populations"]
        small = [r for r in demo["stock"] if populations[r["commune_code"]] < 1000]
        large = [r for r in demo["stock"] if populations[r["commune_code"]] >= 20000]

        def vacant(rows):
            return share(rows, lambda r: r["status"] == "vacant")

        assert vacant(small) > vacant(large)

    def test_vacant_since_only_for_vacant_dwellings(self, demo):
        """Vacant dwellings, and only they, have a past vacancy start date."""
        for row in demo["stock"]:
            if row["status"] == "vacant":
                assert dt.date.fromisoformat(row["vacant_since"]) < TODAY
            else:
                assert row["vacant_since"] == ""

    def test_oldest_live_alone_more_often(self, demo):
        """People aged 75 or more live alone more often than those under 65."""
        leases = demo["leases"]

        def alone(people):
            return share(people, lambda p: len(leases[p["lease_reference"]]) == 1)

        oldest = [p for p in demo["references"] if age(p) >= 75]
        youngest = [p for p in demo["references"] if age(p) < 65]
        assert alone(oldest) > alone(youngest)

    def test_fewer_cars_among_the_oldest(self, demo):
        """Among households whose car is known, fewer have one when aged 75 or more than under 65."""
        known = [p for p in demo["references"] if p["has_car"] in ("oui", "non")]
        assert {p["has_car"] for p in demo["references"]} <= {"oui", "non", ""}

        def with_car(people):
            return share(people, lambda p: p["has_car"] == "oui")

        assert with_car([p for p in known if age(p) >= 75]) < with_car([p for p in known if age(p) < 65])

    def test_only_occupied_dwellings_have_households(self, demo):
        """Each household lives in one occupied dwelling of the stock, one household per dwelling."""
        status = {r["dwelling_reference"]: r["status"] for r in demo["stock"]}
        dwellings = Counter(p["dwelling_reference"] for p in demo["references"])
        assert set(dwellings) == {ref for ref, s in status.items() if s == "occupied"}
        assert max(dwellings.values()) == 1

    def test_one_reference_person_per_household(self, demo):
        """Every lease has exactly one reference person."""
        for rows in demo["leases"].values():
            assert [r["role"] for r in rows].count("reference") == 1


class TestRows:
    def test_no_duplicate_person(self, demo):
        """No two persons of a lease share last name, first name and birth year: the import would merge them."""
        keys = Counter(
            (p["lease_reference"], p["last_name"], p["first_name"], p["birth_year"]) for p in demo["households"]
        )
        assert [key for key, n in keys.items() if n > 1] == []

    def test_phone_numbers_are_fictional(self, demo):
        """Phone numbers are only in the ranges ARCEP reserves for fiction."""
        phones = [p["phone"] for p in demo["households"] if p["phone"]]
        assert phones
        for phone in phones:
            assert phone[:6] in ("063998", "026191"), phone
            assert len(phone) == 10 and phone.isdigit(), phone

    def test_stock_rows_have_the_import_columns(self, demo):
        """Every stock row has exactly the stock import's columns."""
        for row in demo["stock"]:
            assert list(row) == STOCK_COLUMNS

    def test_household_rows_have_the_import_columns(self, demo):
        """Every household row has exactly the households import's columns."""
        for row in demo["households"]:
            assert list(row) == HOUSEHOLD_COLUMNS

    def test_references_use_the_prefix(self, small):
        """Every reference starts with the chosen prefix, so demo rows never clash with a landlord's."""
        params = DemoParams(dwellings=100, sites=5, today=TODAY, reference_prefix="ESSAI")
        stock, households = generate(small, params)
        for row in stock:
            for column in ("site_reference", "building_reference", "dwelling_reference"):
                assert row[column].startswith("ESSAI-"), row
        for row in households:
            assert row["lease_reference"].startswith("ESSAI-"), row


class TestWriteDemoFiles:
    def test_writes_the_generated_rows(self, small, tmp_path):
        """The two files hold the generated rows, with the import's columns and ``;`` separators."""
        params = DemoParams(dwellings=120, sites=8, today=TODAY)
        stock, households = generate(small, params, seed=2)
        stock_path, households_path = write_demo_files(tmp_path / "demo", small, params, seed=2)
        assert (stock_path.name, households_path.name) == ("stock.csv", "households.csv")
        with open(stock_path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        assert list(rows[0]) == STOCK_COLUMNS
        assert [r["dwelling_reference"] for r in rows] == [r["dwelling_reference"] for r in stock]
        with open(households_path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        assert list(rows[0]) == HOUSEHOLD_COLUMNS
        assert [(r["lease_reference"], r["first_name"]) for r in rows] == [
            (r["lease_reference"], r["first_name"]) for r in households
        ]
