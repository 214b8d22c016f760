"""Stop pages: the list with each stop's value, its export, the form, the sites action, the settings."""

import csv
import io

import pytest
from django.urls import reverse

from proxima.agency.enums import Forcing
from proxima.agency.models import AgencySettings, Stop
from tests.agency.factories import StopFactory
from tests.agency.factories_plans import tiny_world
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(landlord):
    return tiny_world(landlord)


def content(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8-sig")


class TestStopList:
    def test_shows_each_stop_with_its_households_and_value(self, client, world, reader):
        """A read-only user sees the counts, not the buttons to change them."""
        client.force_login(reader)
        response = client.get(reverse("agency:stop_list"))
        assert response.status_code == 200
        rows = {row.stop.name: row for row in response.context["rows"]}
        assert (rows["Les Acacias"].households, rows["Les Acacias"].value) == (3, 6)
        assert (rows["Les Bouleaux"].households, rows["Les Bouleaux"].value) == (2, 4)
        assert "Ajouter un arrêt" not in content(response)

    def test_query_count_does_not_grow_with_stops(self, client, landlord, world, staff, django_assert_num_queries):
        """A fixed number of queries whatever the number of stops and households."""
        client.force_login(staff)
        client.get(reverse("agency:stop_list"))  # warm caches (content types, sessions)
        with django_assert_num_queries(12):
            client.get(reverse("agency:stop_list"))
        for _ in range(5):
            StopFactory(organisation=landlord)
        with django_assert_num_queries(12):
            client.get(reverse("agency:stop_list"))

    def test_hides_inactive_stops_unless_asked(self, client, world, staff):
        Stop.objects.filter(pk=world["stops"]["C"].pk).update(is_active=False)
        client.force_login(staff)
        names = [r.stop.name for r in client.get(reverse("agency:stop_list")).context["rows"]]
        assert "Les Cèdres" not in names
        names = [r.stop.name for r in client.get(reverse("agency:stop_list") + "?inactifs=1").context["rows"]]
        assert "Les Cèdres" in names

    def test_export_csv(self, client, world, staff):
        client.force_login(staff)
        response = client.get(reverse("agency:stop_list") + "?format=csv")
        rows = list(csv.reader(io.StringIO(content(response)), delimiter=";"))
        assert rows[0][:3] == ["arrêt", "type", "commune"]
        by_name = {row[0]: row for row in rows[1:]}
        assert by_name["Les Acacias"][6] == "3"
        assert by_name["Les Acacias"][7] == "6,0"

    def test_export_xlsx(self, client, world, staff):
        client.force_login(staff)
        response = client.get(reverse("agency:stop_list") + "?format=xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert b"".join(response.streaming_content)[:2] == b"PK"  # a zip: the XLSX container
        response.close()


class TestStopForm:
    def test_create_a_place_with_windows(self, client, landlord, staff):
        """A market square with its morning window, typed as a line."""
        client.force_login(staff)
        response = client.post(
            reverse("agency:stop_create"),
            {
                "name": "Marché de la place",
                "kind": "place",
                "commune_code": "36044",
                "latitude": "46.81",
                "longitude": "1.69",
                "duration_minutes": "90",
                "min_gap_weeks": "1",
                "max_gap_weeks": "2",
                "forcing": Forcing.FORCED_IN,
                "windows": "8h30 - 11:00\n",
                "services": "Permanence",
            },
        )
        assert response.status_code == 302
        stop = Stop.objects.get(name="Marché de la place")
        assert stop.organisation == landlord
        assert stop.time_windows == [["08:30", "11:00"]]
        assert (stop.max_gap_weeks, stop.forcing) == (2, Forcing.FORCED_IN)

    @pytest.mark.parametrize(
        ("windows", "message"),
        [("matin", "n&#x27;est pas un créneau"), ("12:00-09:00", "finir après"), ("25:00-26:00", "impossible")],
    )
    def test_unreadable_windows_are_refused(self, client, staff, windows, message):
        client.force_login(staff)
        response = client.post(
            reverse("agency:stop_create"),
            {
                "name": "X",
                "kind": "place",
                "commune_code": "36044",
                "latitude": "46.8",
                "longitude": "1.7",
                "duration_minutes": "60",
                "min_gap_weeks": "1",
                "forcing": "auto",
                "windows": windows,
            },
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Stop.objects.filter(name="X").exists()

    def test_a_site_gives_its_position_and_commune(self, client, landlord, staff):
        site = SiteFactory(organisation=landlord, latitude=46.5, longitude=1.5)
        client.force_login(staff)
        client.post(
            reverse("agency:stop_create"),
            {
                "name": "Pied d'immeuble",
                "kind": "site",
                "site": site.pk,
                "duration_minutes": "60",
                "min_gap_weeks": "1",
                "forcing": "auto",
            },
        )
        stop = Stop.objects.get(site=site)
        assert (stop.latitude, stop.longitude, stop.commune_id) == (46.5, 1.5, site.commune_id)

    def test_edit_keeps_windows(self, client, world, staff):
        stop = world["stops"]["A"]
        Stop.objects.filter(pk=stop.pk).update(time_windows=[["09:00", "12:00"]])
        client.force_login(staff)
        response = client.get(reverse("agency:stop_update", args=[stop.pk]))
        assert "09:00-12:00" in response.content.decode()

    def test_another_landlords_stop_is_404(self, client, staff):
        client.force_login(staff)
        assert client.get(reverse("agency:stop_update", args=[StopFactory().pk])).status_code == 404

    def test_deactivate_and_reactivate(self, client, world, staff):
        stop = world["stops"]["A"]
        client.force_login(staff)
        client.post(reverse("agency:stop_deactivate", args=[stop.pk]), {"active": "0"})
        stop.refresh_from_db()
        assert not stop.is_active
        client.post(reverse("agency:stop_deactivate", args=[stop.pk]), {"active": "1"})
        stop.refresh_from_db()
        assert stop.is_active


class TestAddSites:
    def test_idempotent(self, client, landlord, staff):
        SiteFactory(organisation=landlord)
        client.force_login(staff)
        response = client.post(reverse("agency:stop_add_sites"), follow=True)
        assert "1 résidence ajoutée comme arrêt" in response.content.decode()
        response = client.post(reverse("agency:stop_add_sites"), follow=True)
        assert "aucun arrêt ajouté" in response.content.decode()
        assert Stop.objects.for_organisation(landlord).count() == 1


class TestSettings:
    def test_staff_change_the_weights(self, client, landlord, staff):
        client.force_login(staff)
        data = {
            "walking_radius_m": "600",
            "weight_base": "1",
            "weight_elderly_alone": "4",
            "weight_no_car": "2",
            "weight_far_from_services": "1",
            "weight_arrears": "2",
            "weight_survey_needs": "2",
            "depot_name": "Agence",
            "depot_latitude": "46.8",
            "depot_longitude": "1.7",
            "slot_minutes": "30",
            "contact_phone": "02 54 00 00 00",
        }
        assert client.post(reverse("agency:settings"), data).status_code == 302
        saved = AgencySettings.objects.get(organisation=landlord)
        assert (saved.walking_radius_m, saved.weight_elderly_alone, saved.slot_minutes) == (600, 4, 30)

    def test_depot_needs_both_coordinates(self, client, landlord, staff):
        client.force_login(staff)
        data = {
            "walking_radius_m": "600",
            "weight_base": "1",
            "weight_elderly_alone": "4",
            "weight_no_car": "2",
            "weight_far_from_services": "1",
            "weight_arrears": "2",
            "weight_survey_needs": "2",
            "depot_latitude": "46.8",
            "slot_minutes": "30",
        }
        response = client.post(reverse("agency:settings"), data)
        assert response.status_code == 200
        assert not AgencySettings.objects.filter(organisation=landlord).exists()

    def test_read_only_sees_but_cannot_change(self, client, reader):
        client.force_login(reader)
        assert client.get(reverse("agency:settings")).status_code == 200
        assert client.post(reverse("agency:settings"), {"walking_radius_m": "900"}).status_code == 403
