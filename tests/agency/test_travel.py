"""Travel times from OSRM (faked: no request leaves the tests) or from great-circle distance."""

import urllib.error

import pytest

from proxima.agency.planning import GreatCircleTravelTimes, Location
from proxima.agency.travel import UNREACHABLE, OsrmTravelTimes, TravelTimesError, travel_times_for

PLACES = [Location(46.80, 1.70), Location(46.90, 1.60), Location(46.70, 1.80)]


class FakeOsrm:
    """Answers table requests with 100.4 s × |i - j| between places numbered by longitude (1.6° → 1, 1.7° → 2…)."""

    def __init__(self, unreachable=()):
        self.urls = []
        self.unreachable = set(unreachable)

    def __call__(self, url):
        self.urls.append(url)
        path, query = url.split("?")
        coords = path.rsplit("/", 1)[1].split(";")
        params = dict(p.split("=") for p in query.split("&"))
        number = [round((float(c.split(",")[0]) - 1.5) * 10) for c in coords]
        sources = [int(i) for i in params["sources"].split(";")]
        destinations = [int(j) for j in params["destinations"].split(";")]
        rows = []
        for i in sources:
            row = []
            for j in destinations:
                pair = (number[i], number[j])
                row.append(None if pair in self.unreachable else 100.4 * abs(number[i] - number[j]))
            rows.append(row)
        return {"code": "Ok", "durations": rows}


class TestOsrm:
    def test_table_in_seconds_rounded_up(self):
        """Durations are OSRM's seconds rounded up; the diagonal is 0."""
        osrm = OsrmTravelTimes("http://osrm.test:5000", fetch=FakeOsrm())
        assert osrm.durations(PLACES) == [[0, 101, 101], [101, 0, 201], [101, 201, 0]]

    def test_requests_split_in_blocks(self):
        """With blocks of 2 places, 3 places take 4 requests, none with more than 4 coordinates."""
        fake = FakeOsrm()
        matrix = OsrmTravelTimes("http://osrm.test:5000/", fetch=fake, block=2).durations(PLACES)
        assert matrix == OsrmTravelTimes("http://osrm.test:5000", fetch=FakeOsrm()).durations(PLACES)
        assert len(fake.urls) == 4
        assert all(url.startswith("http://osrm.test:5000/table/v1/driving/") for url in fake.urls)
        assert max(len(url.split("?")[0].rsplit("/", 1)[1].split(";")) for url in fake.urls) <= 4

    def test_no_road_is_unreachable(self):
        """A pair OSRM finds no road between gets a time no tour day can hold."""
        fake = FakeOsrm(unreachable={(2, 3)})
        matrix = OsrmTravelTimes("http://osrm.test", fetch=fake).durations(PLACES)
        assert matrix[0][2] == UNREACHABLE
        assert matrix[2][0] == 101  # one way only

    def test_server_down_is_a_clear_error(self):
        def down(url):
            raise urllib.error.URLError("Connection refused")

        with pytest.raises(TravelTimesError, match="osrm.test did not answer"):
            OsrmTravelTimes("http://osrm.test", fetch=down).durations(PLACES)

    def test_refusal_is_a_clear_error(self):
        refuse = lambda url: {"code": "TooBig", "message": "Too many table coordinates"}  # noqa: E731
        with pytest.raises(TravelTimesError, match="refused the request: Too many table coordinates"):
            OsrmTravelTimes("http://osrm.test", fetch=refuse).durations(PLACES)

    def test_wrong_size_is_a_clear_error(self):
        short = lambda url: {"code": "Ok", "durations": [[0]]}  # noqa: E731
        with pytest.raises(TravelTimesError, match="wrong size"):
            OsrmTravelTimes("http://osrm.test", fetch=short).durations(PLACES)

    def test_url_must_be_http(self):
        with pytest.raises(ValueError, match="http:// or https://"):
            OsrmTravelTimes("osrm.test")


class TestChoice:
    def test_osrm_when_configured(self):
        assert isinstance(travel_times_for("http://osrm.test"), OsrmTravelTimes)

    def test_great_circle_otherwise(self):
        """Without a server: 1.3 × great-circle distance at 50 km/h (11.1 km north → 1,040 s)."""
        provider = travel_times_for("", detour_factor=1.3, speed_kmh=50)
        assert isinstance(provider, GreatCircleTravelTimes)
        assert provider.durations([Location(46.8, 1.7), Location(46.9, 1.7)])[0][1] == pytest.approx(1040, abs=2)
