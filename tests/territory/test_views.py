import datetime as dt
import json
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse

from proxima.accounts.enums import Role
from proxima.territory.models import Commune
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory
from tests.territory.factories import DwellingFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, landlord):
    user = UserFactory(organisation=landlord, role=Role.READ_ONLY)
    client.force_login(user)
    return user


def stock(landlord, commune_code="36044", occupied=3, vacant=1, unavailable=1, arrears=1):
    site = SiteFactory(organisation=landlord, commune=Commune.objects.get(code=commune_code))
    dwellings = []
    for i in range(occupied):
        d = DwellingFactory(building__site=site, organisation=landlord)
        HouseholdFactory(dwelling=d, with_arrears=i < arrears)
        dwellings.append(d)
    DwellingFactory.create_batch(vacant, building__site=site, organisation=landlord, vacant=True)
    DwellingFactory.create_batch(unavailable, building__site=site, organisation=landlord, status="unavailable")
    return site


class TestDashboard:
    def test_key_figures(self, client, staff, landlord):
        """Vacancy counts vacant among dwellings offered for rent: unavailable ones are left out."""
        stock(landlord, occupied=3, vacant=1, unavailable=1, arrears=1)
        response = client.get(reverse("territory:dashboard"))
        figures = response.context["figures"]
        assert (figures.dwellings, figures.vacant, figures.households) == (5, 1, 3)
        assert figures.vacancy_rate == 0.25
        assert figures.arrears_rate == pytest.approx(1 / 3)
        assert figures.arrears_total == Decimal("950.00")
        content = response.content.decode()
        assert "25,0 %" in content and "33,3 %" in content

    def test_by_commune_with_zone(self, client, staff, landlord):
        stock(landlord, "36044")  # Châteauroux, B2
        stock(landlord, "18197", occupied=1, vacant=0, unavailable=0, arrears=0)  # Saint-Amand-Montrond, C
        response = client.get(reverse("territory:dashboard"))
        rows = {r.commune.code: r for r in response.context["communes"]}
        assert (rows["36044"].dwellings, rows["36044"].commune.zone_abc, rows["36044"].commune.is_low_demand) == (
            5,
            "B2",
            True,
        )
        assert (rows["18197"].dwellings, rows["18197"].households, rows["18197"].commune.zone_abc) == (1, 1, "C")
        assert list(rows) == ["36044", "18197"]  # largest stock first

    def test_map_points_and_fallback_link(self, client, staff, landlord):
        site = stock(landlord)
        content = client.get(reverse("territory:dashboard")).content.decode()
        points = json.loads(content.split('<script id="map-points" type="application/json">')[1].split("</script>")[0])
        assert points == [
            {
                "lat": site.latitude,
                "lon": site.longitude,
                "label": site.name,
                "detail": "Châteauroux",
                "url": reverse("territory:site_detail", args=[site.pk]),
            }
        ]
        assert reverse("territory:site_list") in content

    def test_query_count_does_not_grow_with_the_stock(self, client, staff, landlord, django_assert_num_queries):
        """No N+1: the dashboard costs the same number of queries for 1 or 5 communes."""
        stock(landlord)
        with django_assert_num_queries(7) as small:
            client.get(reverse("territory:dashboard"))
        for code in ("18197", "36063", "18033", "36088"):
            stock(landlord, code)
        with django_assert_num_queries(len(small.captured_queries)):
            client.get(reverse("territory:dashboard"))

    def test_empty_stock_invites_to_import(self, client, staff):
        content = client.get(reverse("territory:dashboard")).content.decode()
        assert "importez votre patrimoine" in content


class TestSiteList:
    def test_search_and_filters(self, client, staff, landlord):
        SiteFactory(organisation=landlord, name="Les Tilleuls")
        SiteFactory(organisation=landlord, name="Le Clos", commune=Commune.objects.get(code="18197"))
        assert [s.name for s in client.get(reverse("territory:site_list"), {"q": "tilleul"}).context["page"]] == [
            "Les Tilleuls"
        ]
        assert [s.name for s in client.get(reverse("territory:site_list"), {"commune": "18197"}).context["page"]] == [
            "Le Clos"
        ]

    def test_counts_and_constant_queries(self, client, staff, landlord, django_assert_num_queries):
        stock(landlord)
        with django_assert_num_queries(4) as first:  # session, user, count, page
            response = client.get(reverse("territory:site_list"))
        site = response.context["page"][0]
        assert (site.dwellings_count, site.vacant_count) == (5, 1)
        for _ in range(5):
            stock(landlord)
        with django_assert_num_queries(len(first.captured_queries)):
            client.get(reverse("territory:site_list"))

    def test_xlsx_export(self, client, staff, landlord):
        stock(landlord)
        response = client.get(reverse("territory:site_list"), {"format": "xlsx"})
        sheet = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.values)
        assert rows[0][:5] == ("référence", "nom", "adresse", "code INSEE", "commune")
        assert rows[1][3:7] == ("36044", "Châteauroux", "B2", "oui")
        assert rows[1][-2:] == (5, 1)


class TestSiteDetail:
    def test_shows_stock_and_nearest_france_services(self, client, staff, landlord):
        site = stock(landlord)
        response = client.get(reverse("territory:site_detail", args=[site.pk]))
        assert response.context["figures"].dwellings == 5
        france_services, distance = response.context["france_services"]
        assert france_services.commune.department_id == "36"
        assert distance < 10
        assert "France services la plus proche" in response.content.decode()

    def test_read_only_user_does_not_see_household_links(self, client, staff, landlord):
        site = stock(landlord)
        content = client.get(reverse("territory:site_detail", args=[site.pk])).content.decode()
        assert "/menages/" not in content

    def test_constant_queries(self, client, landlord, django_assert_num_queries):
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        site = stock(landlord, occupied=2)
        with django_assert_num_queries(10) as first:
            client.get(reverse("territory:site_detail", args=[site.pk]))
        for _ in range(10):
            d = DwellingFactory(building__site=site, organisation=landlord)
            HouseholdFactory(dwelling=d)
        with django_assert_num_queries(len(first.captured_queries)):
            client.get(reverse("territory:site_detail", args=[site.pk]))


class TestDwellingList:
    def test_filters(self, client, staff, landlord):
        site = stock(landlord)
        page = client.get(reverse("territory:dwelling_list"), {"status": "vacant", "site": site.pk}).context["page"]
        assert [d.status for d in page] == ["vacant"]

    def test_csv_export_for_excel(self, client, staff, landlord):
        site = SiteFactory(organisation=landlord)
        DwellingFactory(
            building__site=site,
            organisation=landlord,
            reference="L-1",
            vacant=True,
            rent=Decimal("412.50"),
            floor_area=Decimal("48.00"),
        )
        response = client.get(reverse("territory:dwelling_list"), {"format": "csv"})
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeffréférence;résidence;")
        line = text.splitlines()[1].split(";")
        assert (
            line[0] == "L-1"
            and "412,50" in line
            and "48,00" in line
            and dt.date(2026, 3, 1).strftime("%d/%m/%Y") in line
        )
