"""The billing pages: refusals shown on the form, the month run with its progress, exports, the statement."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.enums import RunStatus
from proxima.billing.models import BilledService, BillingRun, ChargeRule
from tests.billing.factories import BilledServiceFactory, ChargeRuleFactory, CollectiveAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # The worker closes connections between tasks; in a test that would end the test's transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def service_data(**overrides):
    data = {
        "name": "Wi-Fi",
        "provider": "Opérateur",
        "mode": "recoverable_charge",
        "cost_type": "operation",
        "cost_code": "",
        "charge_code": "WIFI",
    }
    return {**data, **overrides}


class TestServiceForm:
    def test_a_cost_off_the_list_shows_the_refusal(self, logged):
        """A recoverable charge without a list entry is refused on the form, with the rule and its reference."""
        response = logged.post(reverse("billing:service_create"), service_data())
        page = response.content.decode()
        assert response.status_code == 200
        assert "Une charge récupérable doit figurer sur la liste légale" in page
        assert "décret n° 82-955" in page
        assert not BilledService.objects.exists()

    def test_an_entry_to_verify_needs_confirmation(self, logged):
        """A to-verify entry is refused until confirmed, then saved with its warning."""
        data = service_data(name="Gardien", cost_code="gardien-75", cost_type="staff")
        page = logged.post(reverse("billing:service_create"), data).content.decode()
        assert "règle paramétrable : à vérifier" in page
        response = logged.post(reverse("billing:service_create"), {**data, "to_verify_confirmed": "on"}, follow=True)
        service = BilledService.objects.get()
        assert service.to_verify_confirmed
        assert "règle paramétrable : à vérifier" in response.content.decode()

    def test_an_agreement_service_is_saved(self, logged, landlord, sites):
        """A service under a valid agreement is saved; the cost code of another mode is dropped."""
        agreement = CollectiveAgreementFactory(organisation=landlord, sites=sites)
        data = service_data(mode="collective_agreement", agreement=agreement.pk, cost_code="VIII-teom")
        response = logged.post(reverse("billing:service_create"), data)
        service = BilledService.objects.get()
        assert response.url == reverse("billing:service_update", args=[service.pk])
        assert (service.agreement, service.cost_code) == (agreement, "")

    def test_another_organisations_agreement_cannot_be_chosen(self, logged, other_landlord):
        """The agreement list holds only the organisation's own agreements."""
        foreign = CollectiveAgreementFactory(organisation=other_landlord)
        response = logged.post(
            reverse("billing:service_create"), service_data(mode="collective_agreement", agreement=foreign.pk)
        )
        assert response.status_code == 200 and not BilledService.objects.exists()

    def test_a_catalogue_services_name_and_mode_stay_the_catalogues(self, logged, landlord):
        """On the billing page a catalogue service's name and mode cannot change: they are set in the catalogue."""
        from tests.offer.factories import ServiceFactory

        offer_service = ServiceFactory(organisation=landlord, billing_mode="subscription", name="Téléassistance")
        service = BilledServiceFactory(
            organisation=landlord, subscription=True, name="Téléassistance", offer_service=offer_service
        )
        page = logged.get(reverse("billing:service_update", args=[service.pk])).content.decode()
        assert "Réglé dans le catalogue des services." in page
        data = service_data(name="Autre nom", mode="free", charge_code="TELE-2", cost_type="operation")
        response = logged.post(reverse("billing:service_update", args=[service.pk]), data)
        service.refresh_from_db()
        assert response.status_code == 302
        assert (service.name, service.mode, service.charge_code) == ("Téléassistance", "subscription", "TELE-2")

    def test_add_a_rule(self, logged, landlord):
        """A charge rule is added to the service."""
        service = BilledServiceFactory(organisation=landlord)
        logged.post(
            reverse("billing:rule_add", args=[service.pk]),
            {"amount": "12.40", "basis": "per_household", "valid_from": "2026-01-01"},
        )
        assert ChargeRule.objects.get().amount == Decimal("12.40")

    def test_a_free_service_takes_no_rule(self, logged, landlord):
        """A free service bills nothing: adding a rule is refused with the reason."""
        service = BilledServiceFactory(organisation=landlord, free=True)
        response = logged.post(
            reverse("billing:rule_add", args=[service.pk]),
            {"amount": "1", "basis": "per_household", "valid_from": "2026-01-01"},
            follow=True,
        )
        assert not ChargeRule.objects.exists()
        assert "pas facturé par le bailleur" in response.content.decode()


class TestServiceList:
    def test_query_count_is_pinned(self, logged, landlord, django_assert_num_queries):
        """The list costs the same number of queries whatever the number of services."""
        for _ in range(5):
            ChargeRuleFactory(service__organisation=landlord)
        BilledServiceFactory(organisation=landlord, with_agreement=True)
        # session, user, count, services with their agreement and rule counts, agreements with site counts
        with django_assert_num_queries(5):
            response = logged.get(reverse("billing:service_list"))
        assert response.status_code == 200

    def test_export(self, logged, landlord):
        """The services export names each service's mode and list entry."""
        BilledServiceFactory(organisation=landlord, name="TEOM")
        response = logged.get(reverse("billing:service_list"), {"format": "csv"})
        content = b"".join(response.streaming_content).decode()
        assert "TEOM;Prestataire;charge récupérable;taxe ou redevance;VIII-teom" in content


class TestRunPages:
    def test_run_in_the_background_with_progress(self, logged, landlord, households):
        """Starting a month queues it, the page polls its progress, the worker bills it."""
        ChargeRuleFactory(service__organisation=landlord)
        response = logged.post(reverse("billing:run_start"), {"month": "2026-11"})
        run = BillingRun.objects.get()
        assert response.url == reverse("billing:run_detail", args=[run.pk])
        assert run.status == RunStatus.QUEUED
        page = logged.get(response.url).content.decode()
        assert 'http-equiv="refresh"' in page and "<progress" in page
        fragment = logged.get(reverse("billing:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
        assert "HX-Refresh" not in fragment
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        fragment = logged.get(reverse("billing:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
        assert fragment["HX-Refresh"] == "true"
        run.refresh_from_db()
        assert run.status == RunStatus.DONE and run.lines_count == 3

    def test_a_bad_month_is_refused(self, logged):
        """A month that is not YYYY-MM is refused with the expected format."""
        response = logged.post(reverse("billing:run_start"), {"month": "novembre"}, follow=True)
        assert "AAAA-MM" in response.content.decode()
        assert not BillingRun.objects.exists()

    def test_close_then_rerun_is_refused(self, logged, landlord, households):
        """A closed month cannot be started again; the page says why."""
        ChargeRuleFactory(service__organisation=landlord)
        run, _ = services.run_month(organisation=landlord, month=Month(2026, 11))
        logged.post(reverse("billing:run_close", args=[run.pk]))
        run.refresh_from_db()
        assert run.status == RunStatus.CLOSED
        response = logged.post(reverse("billing:run_start"), {"month": "2026-11"}, follow=True)
        assert "clôturé" in response.content.decode()

    def test_refusals_are_shown_with_their_reference(self, logged, landlord, sites, households):
        """The run's page lists refusals by rule with the legal reference."""
        wifi = BilledServiceFactory(organisation=landlord, with_agreement=True)
        wifi.agreement.sites.set([sites[0]])
        ChargeRuleFactory(service=wifi, sites=list(sites))
        run, _ = services.run_month(organisation=landlord, month=Month(2026, 11))
        page = logged.get(reverse("billing:run_detail", args=[run.pk])).content.decode()
        assert "L&#x27;accord collectif doit couvrir la résidence du ménage." in page
        assert "Loi n° 86-1290" in page and "BAIL-B1" in page


class TestLines:
    @pytest.fixture
    def run(self, landlord, households):
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("12.50"))
        return services.run_month(organisation=landlord, month=Month(2026, 11))[0]

    def test_query_count_is_pinned(self, logged, run, django_assert_num_queries):
        """The lines page costs the same queries whatever the number of lines (and logs the households shown)."""
        # session, user, run, count, lines with household, site and service, the audit event
        with django_assert_num_queries(6):
            response = logged.get(reverse("billing:line_list", args=[run.pk]))
        assert "BAIL-A2" in response.content.decode()

    def test_csv_export_for_the_management_software(self, logged, run):
        """The CSV has the landlord's references, the period, the charge code and the amount; the export is logged."""
        response = logged.get(reverse("billing:line_list", args=[run.pk]), {"format": "csv"})
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert rows[0] == (
            "reference_bail;reference_residence;reference_logement;periode;du;au;jours;code_charge;"
            "poste_liste_legale;service;montant"
        )
        a2 = next(row for row in rows if row.startswith("BAIL-A2"))
        assert ";RES-A;" in a2 and ";2026-11;10/11/2026;30/11/2026;21;TEOM;VIII-teom;" in a2 and a2.endswith(";8,75")
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()

    def test_xlsx_export(self, logged, run):
        """The same lines as a spreadsheet."""
        response = logged.get(reverse("billing:line_list", args=[run.pk]), {"format": "xlsx"})
        assert response["Content-Disposition"].endswith('charges-2026-11.xlsx"')
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = list(sheet.values)
        assert values[0][0] == "reference_bail"
        assert sorted(row[0] for row in values[1:]) == ["BAIL-A1", "BAIL-A2", "BAIL-B1"]


class TestStatement:
    def test_statement_by_heading_is_audited(self, logged, landlord, households, staff):
        """The household's statement adds up its recoverable charges by heading, and the read is logged."""
        ChargeRuleFactory(service__organisation=landlord, amount=Decimal("12.50"))
        for month in (10, 11):
            services.run_month(organisation=landlord, month=Month(2026, month))
        household = households[0]
        response = logged.get(reverse("billing:statement", args=[household.pk]), {"annee": "2026"})
        page = response.content.decode()
        assert "VIII. Impositions et redevances — 25,00 €" in page
        assert "Total 2026 : 25,00 €" in page
        assert AuditEvent.objects.filter(action=AuditAction.READ, target_id=str(household.pk), actor=staff).exists()

    def test_another_organisations_household_is_404(self, logged, other_landlord):
        """Another landlord's household's statement does not exist for us."""
        from tests.households.factories import HouseholdFactory

        foreign = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
        assert logged.get(reverse("billing:statement", args=[foreign.pk])).status_code == 404

    def test_a_year_without_charges(self, logged, households):
        """A year with nothing billed says so."""
        page = logged.get(reverse("billing:statement", args=[households[0].pk]), {"annee": "2020"}).content.decode()
        assert "Aucune charge récupérable facturée en 2020." in page
