"""Distances on the Earth's surface. Pure module: nothing imported from Django."""

import math
from collections.abc import Iterable

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in decimal degrees (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest(lat: float, lon: float, points: Iterable[tuple[object, float, float]]):
    """Return ``(key, distance_km)`` of the point nearest to (lat, lon), or None if there is none."""
    best = None
    for key, plat, plon in points:
        d = distance_km(lat, lon, plat, plon)
        if best is None or d < best[1]:
            best = (key, d)
    return best
