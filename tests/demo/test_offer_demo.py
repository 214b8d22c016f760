"""The demo's offer: partners with agreements, a catalogue that exports cleanly, the young tenants' bundle."""

import datetime as dt

import pytest

from proxima.accounts.enums import Role
from proxima.accounts.models import User
from proxima.demo.offer import BUNDLE_NAME
from proxima.demo.services import build_demo
from proxima.offer import exports
from proxima.offer.bundle_services import bundle_household_ids
from proxima.offer.enums import OperatingMode
from proxima.offer.models import Partner, PartnershipAgreement, Service
from tests.offer.schemas import errors

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency=False)


class TestOfferDemo:
    def test_catalogue(self, demo):
        """A dozen services of every operating mode, each clearly a demo, from partners of several kinds."""
        services = Service.objects.for_organisation(demo.organisation)
        assert services.count() == 12
        assert all("démo" in s.name for s in services)
        assert {s.operating_mode for s in services} == set(OperatingMode.values)
        partners = Partner.objects.for_organisation(demo.organisation)
        assert partners.count() == 7
        assert all("démo" in p.name for p in partners)
        assert {p.kind for p in partners} >= {"association", "company", "commune"}

    def test_partner_accounts_are_linked(self, demo):
        """The demo partner user's organisation is linked to its partner record."""
        user = User.objects.get(role=Role.PARTNER, email="partenaire@demo.proxima.invalid")
        assert Partner.objects.get(organisation=demo.organisation, account=user.organisation)

    def test_one_agreement_in_its_alert_window(self, demo):
        """Exactly one agreement is coming to an end on the demo's day."""
        agreements = PartnershipAgreement.objects.for_organisation(demo.organisation)
        assert agreements.count() == 3
        assert [a.partner.account.slug for a in agreements.ending_soon(TODAY)] == ["demo-lien-seniors"]

    def test_export_is_valid(self, demo):
        """The demo catalogue exports to data·inclusion objects that pass the official schemas."""
        structures, services = exports.export_data_inclusion(demo.organisation, today=TODAY)
        assert len(services) == 11  # the France services permanence is still a draft
        assert all(errors("structure.json", s) == [] for s in structures)
        assert all(errors("service.json", s) == [] for s in services)

    def test_bundle_selects_young_tenants_in_arrears(self, demo):
        """The bundle offers six services to some households, all young and in arrears."""
        bundle = demo.offer.bundle
        assert bundle.name == BUNDLE_NAME
        assert bundle.services.count() == 6
        staff = User.objects.get(role=Role.STAFF, organisation=demo.organisation)
        ids = bundle_household_ids(bundle=bundle, user=staff, today=TODAY)
        assert ids
        households = demo.organisation.households.filter(pk__in=ids)
        assert all(h.arrears_amount > 0 and TODAY.year - h.holder_birth_year <= 29 for h in households)

    def test_rebuilding_changes_nothing(self, demo):
        """A second build finds the offer and adds nothing."""
        again = build_demo(dwellings=300, sites=15, today=TODAY, agency=False)
        assert again.offer.bundle == demo.offer.bundle
        assert Service.objects.for_organisation(demo.organisation).count() == 12
        assert PartnershipAgreement.objects.for_organisation(demo.organisation).count() == 3
