"""The funding pages: scheme search and export, projects with their matching, plans, applications, files."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from proxima.accounts.enums import Role
from proxima.core import pdf
from proxima.core.pdf import PdfUnavailable
from proxima.demo.funding import AGENCY_SLUG, build_funding_demo
from proxima.funding import files, views
from proxima.funding.enums import ApplicationStatus
from proxima.funding.models import FundingLine, Project, SavedSearch
from tests.accounts.factories import UserFactory
from tests.funding.factories import (
    BudgetLineFactory,
    FundingLineFactory,
    ProjectFactory,
    SavedSearchFactory,
    SchemeFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: TODAY)


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def reader(landlord):
    return UserFactory(organisation=landlord, role=Role.READ_ONLY)


@pytest.fixture
def demo(landlord, staff):
    from tests.territory.factories import SiteFactory

    SiteFactory(organisation=landlord)
    return build_funding_demo(landlord, today=TODAY)


def url(name, *args):
    return reverse(f"funding:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


class TestSchemeSearch:
    def test_filters_and_status(self, client, reader):
        """Theme, beneficiary and deadline filter the list; each scheme shows its status and unchecked facts."""
        SchemeFactory(name="Aide mobilité", themes=["mobilite"], closes_on=TODAY + dt.timedelta(days=10))
        SchemeFactory(name="Aide numérique", themes=["numerique"], unchecked=["rate_max"], rate_max=Decimal("30"))
        SchemeFactory(name="Aide communes", beneficiaries=["commune"])
        SchemeFactory(name="Aide close", closed=True)
        client.force_login(reader)
        page = client.get(url("scheme_list")).content.decode()
        assert "Aide mobilité" in page and "Aide numérique" in page and "Aide close" not in page
        assert "ferme dans moins de 30 jours" in page and "30 % (non vérifié)" in page
        page = client.get(url("scheme_list"), {"theme": "mobilite"}).content.decode()
        assert "Aide mobilité" in page and "Aide numérique" not in page
        page = client.get(url("scheme_list"), {"beneficiary": "commune"}).content.decode()
        assert "Aide communes" in page and "Aide mobilité" not in page
        page = client.get(url("scheme_list"), {"deadline_before": "2026-11-30"}).content.decode()
        assert "Aide mobilité" in page and "Aide numérique" not in page
        page = client.get(url("scheme_list"), {"include_closed": "on"}).content.decode()
        assert "Aide close" in page and "fermé" in page

    def test_territory_filter(self, client, reader):
        """A department's search keeps national schemes and that department's, not another department's."""
        from proxima.territory.models import Department

        national = SchemeFactory(name="Aide nationale")
        indre = SchemeFactory(name="Aide de l'Indre", territory_level="department")
        indre.departments.set([Department.objects.get(code="36")])
        cher = SchemeFactory(name="Aide du Cher", territory_level="department")
        cher.departments.set([Department.objects.get(code="18")])
        client.force_login(reader)
        page = client.get(url("scheme_list"), {"department": "36"}).content.decode()
        assert national.name in page and "Aide de l&#x27;Indre" in page and "Aide du Cher" not in page

    @pytest.mark.parametrize(("query", "count"), [({}, 8), ({"department": "36"}, 10)])
    def test_query_count(self, client, reader, django_assert_num_queries, query, count):
        """The list costs the same number of queries for 3 schemes or 30, of every territory level."""
        from proxima.territory.models import Epci

        client.force_login(reader)
        epci = Epci.objects.filter(communes__department_id="36").first()
        for _ in range(3):
            SchemeFactory(territory_level="epci").epcis.set([epci])
        with django_assert_num_queries(count):
            client.get(url("scheme_list"), query)
        SchemeFactory.create_batch(27)
        with django_assert_num_queries(count):
            page = client.get(url("scheme_list"), query).content.decode()
        assert page.count("dispositifs/dispositif-") == 30

    def test_export_csv_and_xlsx(self, client, reader):
        """The filtered list exports in CSV and XLSX with its status and unchecked facts."""
        SchemeFactory(name="Aide mobilité", themes=["mobilite"], unchecked=["contact"], rate_max=Decimal("40"))
        SchemeFactory(name="Aide numérique", themes=["numerique"])
        client.force_login(reader)
        response = client.get(url("scheme_list"), {"theme": "mobilite", "format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:4] == ["dispositif", "financeurs", "instruction", "statut"]
        assert len(rows) == 2 and rows[1][0] == "Aide mobilité" and rows[1][3] == "ouvert"
        assert "contact" in rows[1] and "40,00" in rows[1]
        response = client.get(url("scheme_list"), {"theme": "mobilite", "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert [c.value for c in sheet[2]][0] == "Aide mobilité" and sheet.max_row == 2

    def test_detail_marks_unchecked_facts(self, client, reader):
        """Every fact shows, the unchecked ones marked « non vérifié », with the source and its date."""
        scheme = SchemeFactory(
            name="Fonds X", rate_max=Decimal("50"), contact="fonds@example.org", unchecked=["contact"]
        )
        client.force_login(reader)
        page = client.get(url("scheme_detail", scheme.slug)).content.decode()
        assert "jusqu'à 50 %" in page and "fonds@example.org (non vérifié)" in page
        assert "jusqu'à 50 % (non vérifié)" not in page
        assert "https://example.org/source" in page and "15/01/2026" in page

    def test_partner_has_no_access(self, client):
        """Partners see no funding page (403)."""
        from tests.accounts.factories import OrganisationFactory

        partner = UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER)
        client.force_login(partner)
        assert client.get(url("scheme_list")).status_code == 403


class TestSavedSearches:
    def test_create_and_delete(self, client, reader):
        """The current filters are saved with a name and frequency, then deleted by their owner."""
        client.force_login(reader)
        response = client.post(
            url("search_create"),
            {"theme": "mobilite", "department": "36", "name": "Mobilité Indre", "frequency": "daily"},
        )
        assert response.status_code == 302
        search = SavedSearch.objects.get(user=reader)
        assert search.criteria == {"theme": "mobilite", "department": "36"} and search.frequency == "daily"
        assert "Mobilité Indre" in client.get(url("search_list")).content.decode()
        client.post(url("search_delete", search.pk))
        assert not SavedSearch.objects.exists()

    def test_missing_name_saves_nothing(self, client, reader):
        """Without a name nothing is saved, and the message says which field."""
        client.force_login(reader)
        response = client.post(url("search_create"), {"theme": "mobilite", "frequency": "weekly"}, follow=True)
        assert not SavedSearch.objects.exists()
        assert any("Nom de la recherche" in m for m in messages_of(response))

    def test_someone_elses_search(self, client, reader, landlord):
        """Another user's saved search cannot be deleted (404)."""
        search = SavedSearchFactory(user=UserFactory(organisation=landlord, role=Role.STAFF))
        client.force_login(reader)
        assert client.post(url("search_delete", search.pk)).status_code == 404
        assert SavedSearch.objects.filter(pk=search.pk).exists()


def project_post(**changes):
    data = {
        "name": "Permanence numérique",
        "slug": "permanence-numerique",
        "description": "",
        "themes": ["numerique"],
        "stage": "delivery",
        "beneficiary": "social_landlord",
        "start_on": "2027-03-01",
        "request_on": "2027-01-15",
        "duration_months": "24",
        "commune_codes": "36044, 36088",
        "budget-TOTAL_FORMS": "3",
        "budget-INITIAL_FORMS": "0",
        "budget-0-year": "2027",
        "budget-0-kind": "staff",
        "budget-0-expense_type": "operating",
        "budget-0-label": "Conseiller numérique",
        "budget-0-fte": "0.5",
        "budget-0-amount": "21000",
        "budget-1-year": "2028",
        "budget-1-kind": "purchases",
        "budget-1-expense_type": "investment",
        "budget-1-label": "Ordinateurs",
        "budget-1-amount": "4000",
    }
    for i in range(3):
        data.setdefault(f"budget-{i}-kind", "staff")
        data.setdefault(f"budget-{i}-expense_type", "operating")
    data.update(changes)
    return data


class TestProjects:
    def test_create_with_budget_by_year(self, client, staff, landlord):
        """A project is saved with its communes and budget lines by year, then shown."""
        client.force_login(staff)
        response = client.post(url("project_create"), project_post())
        assert response.status_code == 302, response.context["form"].errors
        project = Project.objects.get(organisation=landlord, slug="permanence-numerique")
        assert sorted(project.communes.values_list("code", flat=True)) == ["36044", "36088"]
        assert [(b.year, b.amount, b.fte) for b in project.budget_lines.all()] == [
            (2027, Decimal("21000"), Decimal("0.5")),
            (2028, Decimal("4000"), None),
        ]
        page = client.get(url("project_detail", project.slug)).content.decode()
        assert "Conseiller numérique" in page and "0,50 ETP" in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"commune_codes": "36044 99999"}, "Codes INSEE inconnus : 99999."),
            ({"budget-1-fte": "1"}, "Ligne 2, ETP : Les ETP ne se donnent que pour une ligne de personnel."),
            ({"budget-0-year": "1990"}, "Ligne 1, Année :"),
            (
                {
                    "budget-0-label": "",
                    "budget-0-amount": "",
                    "budget-0-fte": "",
                    "budget-0-year": "",
                    "budget-1-label": "",
                    "budget-1-amount": "",
                    "budget-1-year": "",
                    "budget-1-kind": "staff",
                    "budget-1-expense_type": "operating",
                },
                "Le budget compte au moins une ligne",
            ),
        ],
    )
    def test_bad_input_saves_nothing(self, client, staff, changes, message):
        """Bad input saves neither the project nor its budget, and says where and what."""
        client.force_login(staff)
        response = client.post(url("project_create"), project_post(**changes))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Project.objects.exists()

    def test_duplicate_slug(self, client, staff, landlord):
        """A second project with the same identifier is refused with a message."""
        ProjectFactory(organisation=landlord, slug="permanence-numerique")
        client.force_login(staff)
        response = client.post(url("project_create"), project_post())
        assert "déjà l&#x27;identifiant" in response.content.decode()
        assert Project.objects.count() == 1

    def test_update_replaces_budget(self, client, staff, landlord):
        """Editing keeps the identifier and replaces the budget lines all at once."""
        project = ProjectFactory(organisation=landlord, slug="permanence-numerique")
        BudgetLineFactory(project=project, year=2026)
        client.force_login(staff)
        data = project_post(name="Permanence numérique (v2)")
        data.pop("slug")
        assert client.post(url("project_update", project.slug), data).status_code == 302
        project.refresh_from_db()
        assert project.name == "Permanence numérique (v2)"
        assert sorted(project.budget_lines.values_list("year", flat=True)) == [2027, 2028]

    def test_reader_cannot_write(self, client, reader, landlord):
        """A read-only user reads projects but may not create one (403)."""
        client.force_login(reader)
        assert client.get(url("project_create")).status_code == 403
        assert client.post(url("project_create"), project_post()).status_code == 403

    def test_detail_shows_every_scheme_with_reasons(self, client, reader, demo):
        """The demo project lists eligible and ineligible schemes with their plain-French reasons."""
        client.force_login(reader)
        page = client.get(url("project_detail", AGENCY_SLUG)).content.decode()
        assert "Fonds de soutien" in page and "<strong>éligible</strong>" in page
        assert "<strong>non éligible</strong>" in page
        assert "type de bénéficiaire non éligible" in page  # the DETR is for communes

    def test_other_organisation_gets_404(self, client, demo, other_landlord):
        """Another landlord's admin cannot see our project."""
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        assert client.get(url("project_detail", AGENCY_SLUG)).status_code == 404

    def test_list_query_count(self, client, reader, landlord, django_assert_num_queries):
        """The project list's queries do not grow with its projects."""
        client.force_login(reader)
        for _ in range(2):
            BudgetLineFactory(project=ProjectFactory(organisation=landlord))
        with django_assert_num_queries(4) as first:
            client.get(url("project_list"))
        for _ in range(5):
            BudgetLineFactory(project=ProjectFactory(organisation=landlord))
        with django_assert_num_queries(len(first.captured_queries)):
            page = client.get(url("project_list")).content.decode()
        assert "100\xa0000,00 €" in page


class TestPlan:
    def test_plan_page_checks_and_years(self, client, reader, demo):
        """The demo plan shows its lines, the checks passed and the remaining cost per year."""
        client.force_login(reader)
        page = client.get(url("plan_detail", AGENCY_SLUG)).content.decode()
        assert "Le plan respecte chaque taux" in page
        assert "60 000 € déjà obtenus + 150 000 € demandés" in page
        assert "389\xa0400,00 €" in page and "219\xa0400,00 €" in page  # cost, and cost minus 170,000 €
        assert "Modifier le montant" not in page  # a reader sees, does not act

    def test_issue_is_shown(self, client, staff, landlord):
        """A line above the scheme's rate shows the check's message."""
        project = ProjectFactory(organisation=landlord)
        BudgetLineFactory(project=project, amount=Decimal("10000"))
        scheme = SchemeFactory(name="Fonds 40", rate_max=Decimal("40"))
        client.force_login(staff)
        client.post(url("plan_line_add", project.slug), {"scheme": scheme.pk, "amount": "6000"})
        page = client.get(url("plan_detail", project.slug)).content.decode()
        assert "Le plan ne respecte pas toutes les règles" in page and "40 %" in page

    def test_line_add_update_remove(self, client, staff, landlord):
        """A planned line is added, its amount changed, then removed; a second line for a scheme is refused."""
        project = ProjectFactory(organisation=landlord)
        scheme = SchemeFactory()
        client.force_login(staff)
        client.post(url("plan_line_add", project.slug), {"scheme": scheme.pk, "amount": "5000"})
        line = FundingLine.objects.get(plan__project=project)
        response = client.post(url("plan_line_add", project.slug), {"scheme": scheme.pk, "amount": "1"}, follow=True)
        assert any("déjà une ligne" in m for m in messages_of(response))
        client.post(url("plan_line_update", project.slug, line.pk), {"amount": "7000"})
        line.refresh_from_db()
        assert line.amount_planned == Decimal("7000")
        client.post(url("plan_line_remove", project.slug, line.pk))
        assert not FundingLine.objects.exists()

    def test_application_lifecycle(self, client, staff, landlord):
        """planned → requested → obtained → paid through the page's forms, each logged with its amount."""
        project = ProjectFactory(organisation=landlord)
        line = FundingLineFactory(plan=project.plan, amount_planned=Decimal("10000"))
        client.force_login(staff)
        move = url("application_move", project.slug, line.pk)
        client.post(move, {"to": "requested", "on": "2026-09-01", "amount": "10000"})
        client.post(move, {"to": "obtained", "on": "2026-10-01", "amount": "8000"})
        client.post(move, {"to": "paid", "on": "2026-10-20", "amount": "8000"})
        line.refresh_from_db()
        assert line.status == ApplicationStatus.PAID and line.amount_paid == Decimal("8000")
        assert line.transitions.count() == 3
        page = client.get(url("plan_detail", project.slug)).content.decode()
        assert "Demandé → Obtenu le 01/10/2026" in page or "demandé → obtenu le 01/10/2026" in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"to": "paid", "on": "2026-10-01", "amount": "10"}, "choisissez le nouvel état"),
            ({"to": "requested", "on": "", "amount": "10"}, "choisissez le nouvel état et sa date"),
            ({"to": "requested", "on": "2026-10-01", "amount": ""}, "Indiquez le montant demandé"),
        ],
    )
    def test_refused_moves(self, client, staff, landlord, data, message):
        """A move not allowed from the current state, or without date or amount, changes nothing and says why."""
        project = ProjectFactory(organisation=landlord)
        line = FundingLineFactory(plan=project.plan)
        client.force_login(staff)
        response = client.post(url("application_move", project.slug, line.pk), data, follow=True)
        assert any(message in m for m in messages_of(response)), messages_of(response)
        line.refresh_from_db()
        assert line.status == ApplicationStatus.PLANNED

    def test_line_of_another_project(self, client, staff, landlord, other_landlord):
        """A line id of another organisation's plan is a 404 even under our project's address."""
        project = ProjectFactory(organisation=landlord)
        theirs = FundingLineFactory(plan=ProjectFactory(organisation=other_landlord).plan)
        client.force_login(staff)
        assert client.post(url("plan_line_remove", project.slug, theirs.pk)).status_code == 404

    def test_deadlines(self, client, reader, landlord):
        """A planned application whose scheme closes in 20 days is listed with the days left."""
        project = ProjectFactory(organisation=landlord, name="Projet échéance")
        FundingLineFactory(plan=project.plan, scheme=SchemeFactory(closes_on=TODAY + dt.timedelta(days=20)))
        FundingLineFactory(plan=project.plan, scheme=SchemeFactory(closes_on=TODAY + dt.timedelta(days=200)))
        client.force_login(reader)
        response = client.get(url("deadlines"))
        assert [left for _row, left in response.context["rows"]] == [20]
        assert "21/11/2026" in response.content.decode()


class TestFundingFile:
    def test_xlsx(self, client, reader, demo):
        """The workbook holds the project, the budget, the plan, the checks and the cost per year."""
        client.force_login(reader)
        response = client.get(url("project_file_xlsx", AGENCY_SLUG))
        assert response["Content-Disposition"] == 'attachment; filename="financement-agence-mobile.xlsx"'
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Projet", "Budget", "Plan", "Contrôles", "Reste à charge"]
        facts = {row[0]: row[1] for row in book["Projet"].iter_rows(min_row=2, values_only=True)}
        assert facts["Projet"] == "Agence mobile" and facts["Coût total (€)"] == 389400
        assert facts["Reste à charge (€)"] == 219400
        assert book["Budget"].max_row == 15  # header and 14 lines
        plan = [row[:4] for row in book["Plan"].iter_rows(min_row=2, values_only=True)]
        assert ("Prévu" not in plan) and {row[3] for row in plan} == {150000, 20000}
        checks = list(book["Contrôles"].iter_rows(min_row=2, values_only=True))
        assert checks and all(result == "respecté" for result, _text in checks)
        years = list(book["Reste à charge"].iter_rows(min_row=2, values_only=True))
        assert years[-1] == ("Total", 389400, 170000, 219400) and len(years) == 4

    def test_pdf(self, client, reader, demo):
        """The PDF is a real document; its content is the file's HTML with every part."""
        try:
            pdf.weasyprint()
        except PdfUnavailable as error:
            pytest.skip(str(error))
        client.force_login(reader)
        response = client.get(url("project_file_pdf", AGENCY_SLUG))
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
        html = files.file_html(files.file_context(demo, today=TODAY))
        for text in ("Dossier de financement : Agence mobile", "Bus aménagé", "389\xa0400,00 €", "219\xa0400,00 €"):
            assert text in html
        assert "Respecté : " in html and "À corriger" not in html
        assert len(pdf.render_document(html).pages) >= 1

    def test_pdf_unavailable(self, client, reader, demo, monkeypatch):
        """Without the PDF libraries the page says so and offers the XLSX file (503)."""

        def unavailable(html):
            raise PdfUnavailable("Pango manque")

        monkeypatch.setattr(pdf, "html_to_pdf", unavailable)
        client.force_login(reader)
        response = client.get(url("project_file_pdf", AGENCY_SLUG))
        assert response.status_code == 503 and "Pango manque" in response.content.decode()
