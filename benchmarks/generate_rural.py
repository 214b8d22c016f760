"""Seeded generator of rural planning instances for the tour planner's benchmark (``bench_planning.py``).

A territory is an 80 km square of the Berry (centred near Châteauroux) with a few towns, each a cluster of
candidate stops (sites, squares, markets), and stops scattered between them (villages, hamlets). A stop's value
stands for its need-weighted households: town stops gather more households than village ones. The bus leaves
from the agency, in the largest town, and tours 8:30–17:30; each stop takes 1 to 3 hours. With time windows,
about two stops in five may start only at certain times (market morning, afternoon, school exit, morning or
afternoon). Travel times are great-circle distances × 1.3 at 50 km/h.

The territory and its stops depend only on ``(seed, stops)``: the instances with 3, 6 or 12 days, with or without
windows, share them, so the figures can be compared across the grid. Pure and deterministic: the same arguments
give the same instance, on any machine (``random.Random`` seeded by a string).

Usage: ``.venv/bin/python benchmarks/generate_rural.py`` (re)writes ``benchmarks/data/rural/*.json``.
"""

import argparse
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proxima.agency.planning import (  # noqa: E402
    Day,
    Depot,
    GreatCircleTravelTimes,
    Instance,
    Location,
    PlanParams,
    Stop,
    write_instance,
)

DATA = ROOT / "benchmarks" / "data" / "rural"
#: The benchmark grid: candidate stops, tour days, with time windows.
SIZES = (50, 150, 400)
DAYS = (3, 6, 12)
WINDOWS = (False, True)
#: Centre of the square (near Châteauroux, Indre) and its side.
CENTRE = (46.81, 1.69)
SIDE_KM = 80.0
KM_PER_DEGREE = 111.2
DAY_START, DAY_END = 8 * 3600 + 1800, 17 * 3600 + 1800
#: Service durations: 1 to 3 hours by half hours.
DURATIONS = (3600, 5400, 7200, 9000, 10800)
#: Share of the stops in towns (the others are scattered), and of the stops with windows when windows are on.
TOWN_SHARE = 0.6
WINDOW_SHARE = 0.4
#: Windows on the start of service: market morning, afternoon, school exit, morning or afternoon.
WINDOW_KINDS = (
    ((8 * 3600 + 1800, 11 * 3600),),
    ((13 * 3600 + 1800, 16 * 3600),),
    ((15 * 3600, 16 * 3600),),
    ((8 * 3600 + 1800, 10 * 3600 + 1800), (13 * 3600 + 1800, 15 * 3600 + 1800)),
)


def instance_name(stops: int, days: int, windows: bool) -> str:
    """File stem of an instance of the grid, e.g. ``rural-400-12-tw``."""
    return f"rural-{stops:03d}-{days:02d}{'-tw' if windows else ''}"


def _to_lat_lon(x_km: float, y_km: float) -> tuple[float, float]:
    """Coordinates of a point ``(x, y)`` km east and north of the square's south-west corner."""
    lat0, lon0 = CENTRE
    lat = lat0 + (y_km - SIDE_KM / 2) / KM_PER_DEGREE
    lon = lon0 + (x_km - SIDE_KM / 2) / (KM_PER_DEGREE * math.cos(math.radians(lat0)))
    return round(lat, 5), round(lon, 5)


def _inside(value: float) -> float:
    return min(SIDE_KM, max(0.0, value))


def generate_rural(stops: int, days: int, windows: bool, seed: int = 0) -> Instance:
    """A rural territory with ``stops`` candidate stops toured over ``days`` days.

    Parameters
    ----------
    stops
        Number of candidate stops (>= 1).
    days
        Number of tour days (>= 1), 8:30–17:30 each.
    windows
        Whether about 40 % of the stops get time windows on the start of their service.
    seed
        Seed of the territory (>= 0).

    Returns
    -------
    Instance
        Depot in the largest town, stops with coordinates, values (need-weighted households, one decimal) and
        durations (seconds), great-circle travel times, time limit 10 s and seed 0.
    """
    if not isinstance(stops, int) or stops < 1:
        raise ValueError("Expected stops >= 1.")
    if not isinstance(days, int) or days < 1:
        raise ValueError("Expected days >= 1.")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError("Expected seed >= 0.")
    rng = random.Random(f"rural-{seed}-{stops}")
    towns = []  # (x, y, spread in km, households per stop)
    for t in range(4 + stops // 50):
        spread = 2.5 if t == 0 else rng.uniform(0.8, 2.0)
        households = 40 if t == 0 else rng.uniform(12, 30)
        towns.append((rng.uniform(10, SIDE_KM - 10), rng.uniform(10, SIDE_KM - 10), spread, households))
    town_weights = [2.5] + [1.0] * (len(towns) - 1)
    places = []  # (x, y, mean households)
    for _ in range(stops):
        if rng.random() < TOWN_SHARE:
            x, y, spread, households = rng.choices(towns, town_weights)[0]
            places.append((_inside(rng.gauss(x, spread)), _inside(rng.gauss(y, spread)), households))
        else:
            places.append((rng.uniform(0, SIDE_KM), rng.uniform(0, SIDE_KM), 6.0))
    result = []
    for i, (x, y, households) in enumerate(places):
        # Households within walking distance, times a mean need weight between 1 and 2.
        count = max(1, round(rng.lognormvariate(math.log(households), 0.6)))
        value = round(count * rng.uniform(1.0, 2.0), 1)
        lat, lon = _to_lat_lon(x, y)
        result.append((f"S{i + 1:03d}", lat, lon, value, rng.choice(DURATIONS)))
    window_rng = random.Random(f"rural-windows-{seed}-{stops}")
    chosen = [window_rng.choice(WINDOW_KINDS) if window_rng.random() < WINDOW_SHARE else () for _ in result]
    depot_lat, depot_lon = _to_lat_lon(towns[0][0], towns[0][1])
    return Instance(
        depot=Depot(Location(depot_lat, depot_lon)),
        stops=tuple(
            Stop(sid, Location(lat, lon), value, duration, chosen[i] if windows else ())
            for i, (sid, lat, lon, value, duration) in enumerate(result)
        ),
        days=tuple(Day(f"day-{d + 1:02d}", DAY_START, DAY_END) for d in range(days)),
        travel_times=GreatCircleTravelTimes(detour_factor=1.3, speed_kmh=50.0),
        params=PlanParams(10.0, 0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for stops in SIZES:
        for days in DAYS:
            for windows in WINDOWS:
                path = args.out / f"{instance_name(stops, days, windows)}.json"
                write_instance(generate_rural(stops, days, windows, args.seed), path)
                print(f"Written: {path}")


if __name__ == "__main__":
    main()
