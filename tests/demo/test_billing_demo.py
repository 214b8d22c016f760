"""The demo's billed services and billed month: every mode shown, deterministic, rebuilt without change."""

import datetime as dt

import pytest

from proxima.billing.enums import BillingMode, RunStatus
from proxima.billing.models import BilledService, ChargeLine, Subscription
from proxima.billing.services import check_catalogue_service
from proxima.demo.billing import SUBSCRIBERS, WIFI_CATALOGUE_NAME
from proxima.demo.services import build_demo
from proxima.offer.models import Service

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency=False)


class TestBillingDemo:
    def test_every_mode_is_shown(self, demo):
        """The demo has a service in each billing mode."""
        modes = set(BilledService.objects.for_organisation(demo.organisation).values_list("mode", flat=True))
        assert modes == set(BillingMode.values)

    def test_the_catalogues_wifi_is_billed_under_the_agreement(self, demo):
        """The catalogue's Wi-Fi is linked to its billed service, under the agreement, and passes the check."""
        wifi = Service.objects.get(organisation=demo.organisation, name=WIFI_CATALOGUE_NAME)
        assert wifi.billing_mode == BillingMode.COLLECTIVE_AGREEMENT
        assert wifi.billed_service.agreement == demo.billing.agreement
        assert check_catalogue_service(wifi, today=TODAY).ok

    def test_october_is_billed(self, demo):
        """October 2026 is billed: waste tax for all, Wi-Fi on the agreement's one site, subscribers with consent."""
        run = demo.billing.run
        assert run.month == dt.date(2026, 10, 1) and run.status == RunStatus.DONE
        lines = ChargeLine.objects.filter(run=run)
        assert lines.filter(charge_code="TEOM").count() == run.households_total
        wifi_sites = set(
            lines.filter(charge_code="WIFI").values_list("household__dwelling__building__site", flat=True)
        )
        assert wifi_sites == set(demo.billing.agreement.sites.values_list("pk", flat=True))
        assert Subscription.objects.filter(organisation=demo.organisation).count() == SUBSCRIBERS
        assert lines.filter(charge_code="TELEASS").count() == SUBSCRIBERS
        assert lines.filter(charge_code="TELEASS", days__lt=31).exists()  # consent given within the month
        assert run.refusals["total"] == 0

    def test_rebuilding_changes_nothing(self, demo):
        """Building the demo again bills the same lines."""
        before = sorted(ChargeLine.objects.values_list("household__reference", "charge_code", "amount"))
        again = build_demo(dwellings=300, sites=15, today=TODAY, agency=False)
        after = sorted(ChargeLine.objects.values_list("household__reference", "charge_code", "amount"))
        assert before == after and again.billing.run.pk == demo.billing.run.pk
        assert Subscription.objects.count() == SUBSCRIBERS
