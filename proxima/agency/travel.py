"""Travel times of the bus: from an OSRM server's table service, or great-circle distance with a detour factor.

Pure module: nothing imported from Django; the caller reads the settings (``PROXIMA_OSRM_URL``) and passes them.
Both providers follow :class:`proxima.agency.planning.TravelTimes`.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from proxima.agency.planning import GreatCircleTravelTimes, Location, TravelTimes

#: Travel time given to a pair of places OSRM finds no road between: more than any tour day, so the planner
#: never uses it and reports the stop as too far.
UNREACHABLE = 10_000_000
#: Places per side of one table request: an OSRM server accepts 100 coordinates per request by default
#: (``--max-table-size``), and a block request sends the places of both sides.
OSRM_BLOCK = 50


class TravelTimesError(RuntimeError):
    """Travel times could not be obtained; the message says from where and why."""


def fetch_json(url: str, timeout: float = 30.0) -> dict:
    """GET ``url`` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


@dataclass(frozen=True)
class OsrmTravelTimes:
    """Travel times from the table service of an OSRM server (``/table/v1/<profile>/``).

    Parameters
    ----------
    base_url
        Server address, for example ``http://osrm.internal:5000``.
    profile
        Routing profile of the server (``driving``).
    fetch
        Function that GETs a URL and returns the decoded JSON; replaced by a fake in tests.
    block
        Places per side of a request (<= half the server's ``--max-table-size``).
    """

    base_url: str
    profile: str = "driving"
    fetch: Callable[[str], dict] = field(default=fetch_json, compare=False)
    block: int = OSRM_BLOCK

    def __post_init__(self):
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("Expected the OSRM URL to start with http:// or https://.")
        if self.block < 1:
            raise ValueError("Expected block >= 1.")

    def durations(self, locations: Sequence[Location]) -> list[list[int]]:
        for loc in locations:
            if loc.lat is None:
                raise ValueError("Expected coordinates (lat, lon) for every place.")
        n = len(locations)
        matrix = [[0] * n for _ in range(n)]
        blocks = [list(range(i, min(i + self.block, n))) for i in range(0, n, self.block)]
        for sources in blocks:
            for destinations in blocks:
                places = sources + [j for j in destinations if j not in sources]
                position = {p: k for k, p in enumerate(places)}
                table = self._table(
                    [locations[p] for p in places],
                    [position[i] for i in sources],
                    [position[j] for j in destinations],
                )
                for a, i in enumerate(sources):
                    for b, j in enumerate(destinations):
                        seconds = table[a][b]
                        matrix[i][j] = 0 if i == j else (UNREACHABLE if seconds is None else math.ceil(seconds))
        return matrix

    def _table(self, places: Sequence[Location], sources: list[int], destinations: list[int]) -> list[list]:
        coordinates = ";".join(f"{loc.lon:.6f},{loc.lat:.6f}" for loc in places)
        url = (
            f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coordinates}"
            f"?sources={';'.join(map(str, sources))}&destinations={';'.join(map(str, destinations))}"
            "&annotations=duration"
        )
        try:
            data = self.fetch(url)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TravelTimesError(f"The OSRM server {self.base_url} did not answer ({exc}).") from exc
        if not isinstance(data, dict) or data.get("code") != "Ok":
            message = data.get("message", data.get("code")) if isinstance(data, dict) else data
            raise TravelTimesError(f"The OSRM server {self.base_url} refused the request: {message}.")
        durations = data.get("durations")
        if (
            not isinstance(durations, list)
            or len(durations) != len(sources)
            or any(not isinstance(row, list) or len(row) != len(destinations) for row in durations)
        ):
            raise TravelTimesError(f"The OSRM server {self.base_url} sent a table of the wrong size.")
        return durations


def travel_times_for(
    osrm_url: str | None, *, detour_factor: float = 1.3, speed_kmh: float = 50.0, fetch=None
) -> TravelTimes:
    """OSRM when a server is configured, otherwise great-circle distance × detour factor at an average speed."""
    if osrm_url:
        return OsrmTravelTimes(osrm_url, fetch=fetch or fetch_json)
    return GreatCircleTravelTimes(detour_factor=detour_factor, speed_kmh=speed_kmh)
