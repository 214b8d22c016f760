"""The map of a plan: routes in order with a colour per day, stops, and households counted per site, unnamed."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory
from tests.agency.factories import AgencySettingsFactory, StopFactory, TourDayFactory, TourPlanFactory, VisitFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.territory.factories import SiteFactory


@pytest.fixture
def world(landlord, other_landlord):
    """Two sites (north: 2 reached, 1 never; south: 1 never), two days, a depot; another landlord's household."""
    AgencySettingsFactory(
        organisation=landlord, depot_name="Agence du Centre", depot_latitude=46.80, depot_longitude=1.69
    )
    north = SiteFactory(organisation=landlord, name="Les Hauts", latitude=46.90, longitude=1.70)
    south = SiteFactory(organisation=landlord, name="Le Bas", latitude=46.70, longitude=1.60)
    reached = [HouseholdFactory(dwelling__building__site=north, reference=f"NORD-{i}") for i in range(2)]
    never = [
        HouseholdFactory(dwelling__building__site=north, reference="NORD-X"),
        HouseholdFactory(dwelling__building__site=south, reference="SUD-X"),
    ]
    PersonFactory(household=never[1], last_name="Oublié")
    theirs = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
    plan = TourPlanFactory(
        organisation=landlord,
        result={
            "reached_household_ids": [h.pk for h in reached],
            "never_reached_household_ids": [h.pk for h in never] + [theirs.pk],
        },
    )
    day1 = TourDayFactory(plan=plan, date=dt.date(2026, 12, 1), departure=dt.time(8, 30), return_time=dt.time(16))
    day2 = TourDayFactory(plan=plan, date=dt.date(2026, 12, 2))
    market = StopFactory(organisation=landlord, name="Marché", latitude=46.85, longitude=1.75)
    square = StopFactory(organisation=landlord, name="Place", latitude=46.88, longitude=1.72)
    # Positions out of creation order: the route follows the positions.
    VisitFactory(day=day1, stop=square, position=2, start=dt.time(14), end=dt.time(16))
    VisitFactory(day=day1, stop=market, position=1, start=dt.time(9, 30), end=dt.time(11, 30))
    VisitFactory(day=day2, stop=market, position=1, start=dt.time(10), end=dt.time(12))
    return {"plan": plan, "north": north, "south": south, "market": market, "square": square, "other": other_landlord}


def page(client, plan, role=Role.READ_ONLY):
    client.force_login(UserFactory(organisation=plan.organisation, role=role))
    return client.get(reverse("agency:plan_map", args=[plan.pk]))


def embedded(response) -> dict:
    """The JSON the page embeds for the map (json_script)."""
    match = re.search(
        r'<script id="tour-map-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(match.group(1))


@pytest.mark.django_db
class TestPlanMap:
    def test_routes_in_order_from_and_back_to_the_depot(self, client, world, django_assert_max_num_queries):
        """Each day: depot, its stops by position, depot; one colour per day; a stop lists all its visits."""
        client.force_login(UserFactory(organisation=world["plan"].organisation, role=Role.READ_ONLY))
        with django_assert_max_num_queries(10):
            response = client.get(reverse("agency:plan_map", args=[world["plan"].pk]))
        data = embedded(response)
        day1, day2 = data["days"]
        depot = [46.80, 1.69]
        assert day1["route"] == [depot, [46.85, 1.75], [46.88, 1.72], depot]
        assert [s["name"] for s in day1["stops"]] == ["Marché", "Place"]
        assert [(s["start"], s["end"]) for s in day1["stops"]] == [("09:30", "11:30"), ("14:00", "16:00")]
        assert (day1["departure"], day1["return_time"]) == ("08:30", "16:00")
        assert day1["label"] == "mardi 1 décembre 2026"
        assert day2["route"] == [depot, [46.85, 1.75], depot]
        assert day1["colour"] != day2["colour"]
        assert data["depot"] == {"name": "Agence du Centre", "lat": 46.80, "lon": 1.69}
        market = next(s for s in data["stops"] if s["name"] == "Marché")
        assert market["visits"] == ["mardi 1 décembre 2026, 09:30–11:30", "mercredi 2 décembre 2026, 10:00–12:00"]

    def test_households_counted_per_site_never_named(self, client, world):
        """Reached and never-reached households are counts per site; another landlord's id is ignored."""
        response = page(client, world["plan"])
        data = embedded(response)
        assert [(s["name"], s["reached"], s["never_reached"]) for s in data["sites"]] == [
            ("Le Bas", 0, 1),
            ("Les Hauts", 2, 1),
        ]
        assert {s["site_id"] for s in data["sites"]} == {world["north"].pk, world["south"].pk}
        content = response.content.decode()
        for name in ("NORD-", "SUD-X", "Oublié"):
            assert name not in content
        assert "2 ménages atteints au moins une fois, 2 jamais atteints" in content

    def test_tables_without_javascript(self, client, world):
        """The days and sites are also tables, and the map container is only an enhancement."""
        content = page(client, world["plan"]).content.decode()
        assert '<ol class="route"><li>Marché (09:30–11:30)</li><li>Place (14:00–16:00)</li></ol>' in content
        assert "vendor/leaflet/leaflet.js" in content and "agency/tour_map.js" in content
        assert 'data-tour-map="tour-map-data"' in content

    def test_tile_server_from_settings(self, client, world, settings):
        settings.PROXIMA_TILE_URL = "https://tuiles.example.org/{z}/{x}/{y}.png"
        settings.PROXIMA_TILE_ATTRIBUTION = "© Exemple"
        assert embedded(page(client, world["plan"]))["tiles"] == {
            "url": "https://tuiles.example.org/{z}/{x}/{y}.png",
            "attribution": "© Exemple",
        }

    def test_plan_not_computed_nor_depot(self, client, landlord):
        """Without a result nor a depot: routes through the stops only, no site, and a sentence saying why."""
        plan = TourPlanFactory(organisation=landlord)
        VisitFactory(
            day=TourDayFactory(plan=plan), stop=StopFactory(organisation=landlord, latitude=46.5, longitude=1.5)
        )
        response = page(client, plan)
        data = embedded(response)
        assert data["depot"] is None
        assert data["days"][0]["route"] == [[46.5, 1.5]]
        assert data["sites"] == []
        assert "pas encore calculée" in response.content.decode()

    def test_colours_repeat_with_another_pattern(self, client, landlord):
        """Beyond eight days the colours come back with a dashed line, so that no two days look alike."""
        plan = TourPlanFactory(organisation=landlord)
        for i in range(9):
            TourDayFactory(plan=plan, date=dt.date(2026, 12, 1) + dt.timedelta(days=i))
        days = embedded(page(client, plan))["days"]
        assert (days[0]["colour"], days[0]["dash"]) != (days[8]["colour"], days[8]["dash"])
        assert len({d["colour"] for d in days[:8]}) == 8

    def test_other_landlord_gets_404(self, client, world):
        client.force_login(UserFactory(organisation=world["other"], role=Role.ADMIN))
        assert client.get(reverse("agency:plan_map", args=[world["plan"].pk])).status_code == 404
