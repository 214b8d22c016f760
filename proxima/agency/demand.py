"""Demand of the mobile agency's stops: whom each stop reaches, and what each household weighs.

Pure module: nothing imported from Django. A household is reached by a stop when the place it lives (its
site) is within the walking radius of the stop, as the crow flies. A household's weight is the base weight
plus the weight of each of its situations; staff set the weights (``agency.AgencySettings``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from proxima.territory.geo import EARTH_RADIUS_KM


@dataclass(frozen=True)
class HouseholdDemand:
    """What makes a household matter to the bus: where it lives and its situations.

    Parameters
    ----------
    id
        Household identifier.
    lat, lon
        Where it lives (its site), in decimal degrees.
    elderly_alone, no_car, far_from_services, in_arrears, survey_need
        Its situations: an elderly person living alone, no car, far from France services, rent owed, a need
        signalled in its survey response.
    """

    id: int
    lat: float
    lon: float
    elderly_alone: bool = False
    no_car: bool = False
    far_from_services: bool = False
    in_arrears: bool = False
    survey_need: bool = False


@dataclass(frozen=True)
class DemandWeights:
    """Weight of every household (``base``) and added weight of each situation; all >= 0."""

    base: float = 1.0
    elderly_alone: float = 3.0
    no_car: float = 2.0
    far_from_services: float = 1.0
    arrears: float = 2.0
    survey_needs: float = 2.0

    def __post_init__(self):
        for name in ("base", "elderly_alone", "no_car", "far_from_services", "arrears", "survey_needs"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Expected weight {name} >= 0.")


@dataclass(frozen=True)
class StopPlace:
    """A candidate stop's identifier and position (decimal degrees)."""

    id: int | str
    lat: float
    lon: float


def household_weight(household: HouseholdDemand, weights: DemandWeights) -> float:
    """The need weight of a household: the base plus the weight of each of its situations."""
    return (
        weights.base
        + weights.elderly_alone * household.elderly_alone
        + weights.no_car * household.no_car
        + weights.far_from_services * household.far_from_services
        + weights.arrears * household.in_arrears
        + weights.survey_needs * household.survey_need
    )


def stop_households(
    stops: Sequence[StopPlace], households: Sequence[HouseholdDemand], radius_m: float
) -> dict[int | str, tuple[int, ...]]:
    """The households within ``radius_m`` metres (great circle) of each stop.

    Parameters
    ----------
    stops
        Candidate stops.
    households
        Households with the position of the place they live.
    radius_m
        Walking radius in metres (> 0).

    Returns
    -------
    dict
        For each stop id, the ids of the households it reaches, in the order of ``households``.
    """
    if not radius_m > 0:
        raise ValueError("Expected radius_m > 0.")
    reached: dict[int | str, tuple[int, ...]] = {stop.id: () for stop in stops}
    if not stops or not households:
        return reached
    # Households of one site share its position: measure each distinct position once.
    points: dict[tuple[float, float], list[int]] = {}
    for h in households:
        points.setdefault((h.lat, h.lon), []).append(h.id)
    coords = np.radians(np.array(list(points), dtype=float))
    members = list(points.values())
    lat2, lon2 = coords[:, 0], coords[:, 1]
    limit_km = radius_m / 1000
    for stop in stops:
        lat1, lon1 = math.radians(stop.lat), math.radians(stop.lon)
        a = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        reached[stop.id] = tuple(hid for i in np.flatnonzero(km <= limit_km) for hid in members[i])
    return reached
