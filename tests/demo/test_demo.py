import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from proxima.accounts.enums import OrganisationKind, Role
from proxima.accounts.models import Organisation, User
from proxima.demo.services import DEMO_PASSWORD, DEMO_SLUG, build_demo, ensure_organisations_and_users
from proxima.households.models import Household
from proxima.territory.models import Dwelling, Site
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    # The demo files are written under VAR_DIR: keep them out of the developer's.
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency=False)


def counts(report):
    return {entity: vars(c) for entity, c in report.counts.items()}


class TestBuildDemo:
    def test_imports_the_stock_and_the_households(self, demo):
        """Both synthetic files go through the import and are applied."""
        assert demo.stock.applied, [str(i) for i in demo.stock.issues]
        assert demo.households.applied, [str(i) for i in demo.households.issues]
        assert demo.stock.ok and demo.households.ok
        dwellings = Dwelling.objects.filter(organisation=demo.organisation).count()
        assert 285 <= dwellings <= 315
        assert Site.objects.filter(organisation=demo.organisation).count() == 15
        assert Household.objects.filter(organisation=demo.organisation).exists()

    def test_sites_are_in_low_demand_communes_of_indre_and_cher(self, demo):
        """The demo's residences are in real communes of the Indre and the Cher, zone B2 or C."""
        sites = Site.objects.filter(organisation=demo.organisation).select_related("commune")
        assert {site.commune.department_id for site in sites} <= {"36", "18"}
        assert all(site.commune.is_low_demand for site in sites)

    def test_demo_organisation(self, demo):
        """The demo landlord is marked as demo data."""
        organisation = Organisation.objects.get(slug=DEMO_SLUG)
        assert demo.organisation == organisation
        assert organisation.kind == OrganisationKind.LANDLORD
        assert organisation.is_demo

    def test_three_partner_organisations(self, demo):
        """Three fictional partners, all marked as demo data."""
        partners = Organisation.objects.filter(kind=OrganisationKind.PARTNER)
        assert partners.count() == 3
        assert all(p.is_demo for p in partners)
        assert len({p.partner_type for p in partners}) == 3

    def test_one_user_per_role(self, demo):
        """One login per landlord role in the demo landlord; a partner user and a volunteer in the association."""
        users = User.objects.filter(organisation=demo.organisation)
        assert sorted(u.role for u in users) == sorted([Role.ADMIN, Role.STAFF, Role.FIELD_AGENT, Role.READ_ONLY])
        partners = list(User.objects.filter(role=Role.PARTNER).order_by("email"))
        assert [u.email for u in partners] == ["benevole@demo.proxima.invalid", "partenaire@demo.proxima.invalid"]
        for partner in partners:
            assert partner.organisation.kind == OrganisationKind.PARTNER
            assert partner.organisation.is_demo
        assert [email for email, _, _ in demo.logins] == list(
            User.objects.filter(organisation__is_demo=True).order_by("pk").values_list("email", flat=True)
        )

    def test_demo_password_logs_in(self, demo):
        """Every demo login works with the published password, and only with it."""
        for email, _, _ in demo.logins:
            user = authenticate(RequestFactory().post("/"), username=email, password=DEMO_PASSWORD)
            assert user is not None and user.email == email
        email = demo.logins[0][0]
        assert authenticate(RequestFactory().post("/"), username=email, password="wrong-password-123") is None

    def test_second_run_creates_nothing(self, demo):
        """Building the demo again finds every row unchanged and creates no user."""
        users = User.objects.count()
        dwellings = list(Dwelling.objects.order_by("pk").values())
        again = build_demo(dwellings=300, sites=15, today=TODAY, agency=False)
        assert again.stock.applied and again.households.applied
        for report, first in ((again.stock, demo.stock), (again.households, demo.households)):
            assert set(counts(report)) == set(counts(first))
            for entity, c in counts(report).items():
                created = counts(first)[entity]["created"]
                assert c == {"created": 0, "updated": 0, "unchanged": created, "deleted": 0}, entity
        assert User.objects.count() == users
        assert list(Dwelling.objects.order_by("pk").values()) == dwellings

    def test_ensure_users_restores_a_changed_password(self, demo):
        """A demo user whose password was changed gets the demo password back."""
        user = User.objects.get(email=demo.logins[0][0])
        user.set_password("another password 2026")
        user.save()
        ensure_organisations_and_users()
        user.refresh_from_db()
        assert user.check_password(DEMO_PASSWORD)


class TestBanner:
    def test_demo_user_sees_the_synthetic_data_banner(self, client, demo):
        """Pages of the demo landlord say that its data is synthetic."""
        client.force_login(User.objects.get(organisation=demo.organisation, role=Role.ADMIN))
        response = client.get(reverse("territory:dashboard"))
        assert response.status_code == 200
        assert "synthétiques" in response.content.decode()

    def test_other_landlord_has_no_banner(self, client, landlord):
        """A real landlord's pages carry no demo banner."""
        client.force_login(UserFactory(organisation=landlord, role=Role.ADMIN))
        response = client.get(reverse("territory:dashboard"))
        assert response.status_code == 200
        assert "synthétiques" not in response.content.decode()


class TestCommand:
    def test_no_serve_builds_and_prints_the_logins(self):
        """``proxima demo --no-serve`` builds the demo and prints the logins and their password."""
        out, err = StringIO(), StringIO()
        call_command("demo", "--no-serve", "--dwellings", "200", "--agency-time-limit", "1", stdout=out, stderr=err)
        output = out.getvalue()
        for email in User.objects.filter(organisation__is_demo=True).values_list("email", flat=True):
            assert email in output
        assert "admin@demo.proxima.invalid" in output
        assert "proxima-demo-2026" in output
        assert "import terminé" in output
        assert "Agence mobile, « Tournée calculée sur 4 semaines (démo) »" in output
        assert "(publiée)" in output
        assert Organisation.objects.get(slug=DEMO_SLUG).is_demo

    def test_dwellings_option_sets_the_size(self):
        """``--dwellings 200`` builds a demo of about 200 dwellings."""
        call_command(
            "demo",
            "--no-serve",
            "--dwellings",
            "200",
            "--agency-time-limit",
            "1",
            stdout=StringIO(),
            stderr=StringIO(),
        )
        dwellings = Dwelling.objects.filter(organisation__slug=DEMO_SLUG).count()
        assert 190 <= dwellings <= 210
