"""The analysis pages: what each role sees, the exports, the printable summary.

The world (``surveyed``): site A (Châteauroux) with 15 households of which 12 answered, 8 of them
isolated; site B (Issoudun) with 10 households of which 4 answered, none isolated. 16 respondents
out of 25: the overall figures and site A's are shown; site B's (4 < 10 respondents) are not.
"""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.needs.enums import Channel, Need
from proxima.needs.models import Question
from proxima.territory.models import Commune
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.needs.factories import AnswerFactory, ResponseFactory, small_survey
from tests.needs.test_analysis import household
from tests.territory.factories import SiteFactory


@pytest.fixture
def surveyed(landlord):
    site_a = SiteFactory(organisation=landlord, name="Résidence A")
    site_b = SiteFactory(organisation=landlord, name="Résidence B", commune=Commune.objects.get(code="36088"))
    survey = small_survey(landlord, sites=[site_a, site_b])
    seul = Question.objects.get(version__survey=survey, name="seul")
    a_households = [household(site_a, reference=f"A{i:02d}") for i in range(15)]
    b_households = [household(site_b, reference=f"B{i:02d}") for i in range(10)]
    for i, h in enumerate(a_households[:12]):
        isolated = i < 8
        response = ResponseFactory(
            survey=survey,
            household=h,
            channel=Channel.PHONE if i % 2 else Channel.PAPER,
            needs=[Need.ISOLATION] if isolated else [],
        )
        AnswerFactory(response=response, question=seul, value="oui" if isolated else "non")
    for h in b_households[:4]:
        ResponseFactory(survey=survey, household=h, channel=Channel.WEB, needs=[])
    return {"survey": survey, "site_a": site_a, "site_b": site_b}


def login(client, landlord, role, **kwargs):
    user = UserFactory(organisation=landlord, role=role, **kwargs)
    client.force_login(user)
    return user


def url(name, survey, query=""):
    return reverse(f"needs:{name}", kwargs={"pk": survey.pk}) + query


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.mark.django_db
class TestAnalysisPage:
    def test_rates_needs_and_provenance(self, client, landlord, surveyed):
        """Counts n / N, raked and unweighted shares, and where the figures come from."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis", surveyed["survey"]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "taux de réponse (16 / 25)" in html
        assert "64,0 %" in html  # 16 / 25
        assert "24,0 %" in html  # 6 phone answers / 25 households: rounded, not truncated to 23,9
        assert "redressé sur 3 marges" in html.replace("\n", " ").replace("  ", " ")
        assert "La commune remplace la résidence" in html
        assert "Isolement" in html
        assert "50,0 %" in html  # unweighted isolation: 8 / 16
        # Site B has 4 respondents: its share is not shown, and the page says why.
        assert "Trop peu de répondants (4 &lt; 10)" in html
        assert 'role="img"' in html and "<title id=" in html
        # Read by staff: the answers export is offered.
        assert url("analysis_answers", surveyed["survey"]) in html

    def test_breakdown_by_site_for_a_need(self, client, landlord, surveyed):
        """The plain GET form picks the breakdown and the need; each territory links to its summary."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis", surveyed["survey"], "?decoupage=site&besoin=isolation"))
        html = response.content.decode()
        assert "Isolement, par résidence" in html
        assert "12 / 15" in html and "4 / 10" in html
        assert "66,7 %" in html  # site A: 8 / 12, raked and unweighted alike (a commune of its own)
        assert f"territoire=site:{surveyed['site_a'].pk}" in html

    def test_invalid_choice_is_said_and_defaults_apply(self, client, landlord, surveyed):
        """An unknown breakdown or need gets a message, and the page still shows the default breakdown."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis", surveyed["survey"], "?decoupage=quartier&besoin=mobility"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Sélectionnez un choix valide" in html
        assert "Isolement, par commune" in html

    def test_map_of_communes_with_enough_respondents(self, client, landlord, surveyed):
        """Communes with 10 respondents or more are on the map; the others are only in the table."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis", surveyed["survey"]))
        points = response.context["map_points"]
        assert [p["label"] for p in points] == ["Châteauroux (36044)"]
        assert points[0]["respondents"] == 12
        assert points[0]["color"] == "#a50f15"  # 8 / 12 >= 40 %
        assert 'data-tile-url="https://tile.openstreetmap.org/' in response.content.decode()

    def test_read_only_sees_aggregates_but_no_answers(self, client, landlord, surveyed):
        """A read-only user reads the analysis, without the link to the answers export."""
        login(client, landlord, Role.READ_ONLY)
        response = client.get(url("analysis", surveyed["survey"]))
        assert response.status_code == 200
        assert url("analysis_answers", surveyed["survey"]) not in response.content.decode()
        assert BAIL_MARKERS.isdisjoint(response.content.decode().split())

    @pytest.mark.parametrize("role", [Role.FIELD_AGENT])
    def test_field_agent_has_no_access(self, client, landlord, surveyed, role):
        """Field agents work from their outreach list: the analysis is not for them."""
        login(client, landlord, role)
        assert client.get(url("analysis", surveyed["survey"])).status_code == 403
        assert client.get(url("analysis_summary", surveyed["survey"])).status_code == 403

    def test_other_landlord_gets_404(self, client, surveyed):
        """Another landlord's survey does not exist for this user."""
        other = OrganisationFactory(slug="autre")
        client.force_login(UserFactory(organisation=other, role=Role.ADMIN))
        for name in ("analysis", "analysis_summary", "analysis_answers"):
            assert client.get(url(name, surveyed["survey"])).status_code == 404

    def test_query_count(self, client, landlord, surveyed, django_assert_num_queries):
        """The page costs a fixed number of queries, whatever the number of households."""
        login(client, landlord, Role.STAFF)
        # session and user, survey, 6 loader queries
        with django_assert_num_queries(9):
            client.get(url("analysis", surveyed["survey"], "?decoupage=site"))

    def test_no_response_yet(self, client, landlord):
        """Before any answer, the page says so instead of showing empty figures."""
        site = SiteFactory(organisation=landlord)
        household(site)
        survey = small_survey(landlord, sites=[site])
        login(client, landlord, Role.STAFF)
        html = client.get(url("analysis", survey)).content.decode()
        assert "Aucun ménage ciblé n'a encore répondu" in html


BAIL_MARKERS = {"A00", "A01", "B00"}


@pytest.mark.django_db
class TestResultsExport:
    def test_csv_has_every_breakdown_and_hides_small_cells(self, client, landlord, surveyed):
        """One row per need and domain, shares in percent; blank where fewer than 10 answered."""
        login(client, landlord, Role.READ_ONLY)
        response = client.get(url("analysis", surveyed["survey"], "?format=csv"))
        assert response["Content-Disposition"] == f'attachment; filename="besoins-enquete-{surveyed["survey"].pk}.csv"'
        rows = csv_rows(response)
        header, rows = rows[0], rows[1:]
        assert header[:3] == ["découpage", "code", "territoire ou segment"]
        records = [dict(zip(header, row, strict=True)) for row in rows]
        overall = [r for r in records if r["découpage"] == "ensemble" and r["besoin (code)"] == "isolation"][0]
        assert (overall["répondants"], overall["répondants avec le besoin"], overall["part brute (%)"]) == (
            "16",
            "8",
            "50,0",
        )
        site_b = [
            r for r in records if r["territoire ou segment"] == "Résidence B" and r["besoin (code)"] == "isolation"
        ]
        assert site_b[0]["répondants"] == "4"
        assert site_b[0]["part redressée (%)"] == "" and site_b[0]["fiable"] == "non"
        assert {r["découpage"] for r in records} == {
            "ensemble",
            "résidence",
            "commune",
            "EPCI",
            "tranche d'âge du titulaire du bail",
            "taille du ménage",
            "impayés",
        }

    def test_xlsx(self, client, landlord, surveyed):
        """The same table as a spreadsheet."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis", surveyed["survey"], "?format=xlsx"))
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet.cell(1, 1).value == "découpage"
        assert sheet.max_row > 10

    def test_unknown_format(self, client, landlord, surveyed):
        """An unknown export format is a clear 400."""
        login(client, landlord, Role.STAFF)
        assert client.get(url("analysis", surveyed["survey"], "?format=ods")).status_code == 400


@pytest.mark.django_db
class TestAnswersExport:
    def test_one_row_per_response_one_column_per_question_audited(self, client, landlord, surveyed):
        """Staff get every response with the lease reference and each question's value, and it is audited."""
        login(client, landlord, Role.STAFF)
        rows = csv_rows(client.get(url("analysis_answers", surveyed["survey"])))
        header = rows[0]
        assert header == [
            "référence du bail",
            "résidence",
            "canal",
            "date de recueil",
            "version",
            "seul",
            "visites",
            "aides",
            "age",
            "remarque",
        ]
        assert len(rows) == 1 + 16
        a00 = [r for r in rows if r[0] == "A00"][0]
        assert a00[1] == "Résidence A" and a00[5] == "oui"
        event = AuditEvent.objects.get(action=AuditAction.EXPORT, target_type="needs.Response")
        assert event.details["count"] == 16

    def test_field_agent_gets_only_their_sites(self, client, landlord, surveyed):
        """A field agent exports only the answers of the households of the sites entrusted to them."""
        agent = login(client, landlord, Role.FIELD_AGENT)
        surveyed["site_b"].agents.add(agent)
        rows = csv_rows(client.get(url("analysis_answers", surveyed["survey"])))
        assert sorted(r[0] for r in rows[1:]) == ["B00", "B01", "B02", "B03"]

    @pytest.mark.parametrize("role", [Role.READ_ONLY])
    def test_read_only_cannot_export_answers(self, client, landlord, surveyed, role):
        """Answers are personal data: read-only users get a 403."""
        login(client, landlord, role)
        assert client.get(url("analysis_answers", surveyed["survey"])).status_code == 403
        assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()

    def test_partner_never_sees_answers(self, client, surveyed):
        """A partner organisation's user gets nothing from the analysis."""
        client.force_login(UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER))
        for name in ("analysis", "analysis_summary", "analysis_answers"):
            assert client.get(url(name, surveyed["survey"])).status_code in (403, 404)


@pytest.mark.django_db
class TestSummary:
    def test_summary_of_a_commune(self, client, landlord, surveyed):
        """One territory's page: its counts and its needs, and the method."""
        login(client, landlord, Role.READ_ONLY)
        response = client.get(url("analysis_summary", surveyed["survey"], "?territoire=commune:36044"))
        html = response.content.decode()
        assert "Besoins des ménages : commune Châteauroux (36044)" in html
        assert "ménages ciblés" in html and ">15<" in html and ">12<" in html
        assert "D'où viennent ces chiffres" in html
        assert "format=pdf" in html

    def test_whole_survey(self, client, landlord, surveyed):
        """Without a territory, the summary covers every targeted household."""
        login(client, landlord, Role.STAFF)
        html = client.get(url("analysis_summary", surveyed["survey"])).content.decode()
        assert "ensemble des ménages ciblés" in html and ">25<" in html

    @pytest.mark.parametrize("value", ["commune:75056", "site:abc", "quartier:1", "site:999999"])
    def test_unknown_territory_is_404(self, client, landlord, surveyed, value):
        """A territory outside the survey's population is not found."""
        login(client, landlord, Role.STAFF)
        assert client.get(url("analysis_summary", surveyed["survey"], f"?territoire={value}")).status_code == 404

    def test_pdf(self, client, landlord, surveyed):
        """The same summary as a PDF file."""
        login(client, landlord, Role.STAFF)
        response = client.get(url("analysis_summary", surveyed["survey"], "?territoire=commune:36044&format=pdf"))
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
