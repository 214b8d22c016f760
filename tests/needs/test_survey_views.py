"""Survey pages: list, creation from the bank, survey page, targets, opening and closing, import and export."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyxform.xls2xform import convert

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.needs import survey_services
from proxima.needs.enums import Channel, SurveyStatus
from proxima.needs.models import Question, Survey, SurveyVersion
from proxima.territory.models import Commune
from tests.accounts.factories import UserFactory
from tests.needs.factories import ResponseFactory, SurveyFactory, small_survey
from tests.needs.test_xlsform import workbook
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

GOOD_FORM = workbook(
    [
        ["type", "name", "label", "relevant", "proxima_theme", "proxima_need"],
        ["select_one oui_non", "seul", "Vivez-vous seul ?", "", "isolation", "isolation"],
        ["text", "remarque", "Une remarque ?", "${seul} = 'oui'"],
    ],
    [
        ["list_name", "name", "label", "proxima_signals_need"],
        ["oui_non", "oui", "Oui", "yes"],
        ["oui_non", "non", "Non", ""],
    ],
    [["form_title", "form_id"], ["Isolement", "isolement"]],
)
BAD_FORM = workbook(
    [
        ["type", "name", "label", "relevant"],
        ["note", "bonjour", "Bonjour"],
        ["text", "remarque", "Une remarque ?", "${absente} = 'oui'"],
    ]
)


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def survey(landlord):
    return small_survey(landlord, status=SurveyStatus.DRAFT)


def upload(data: bytes, name: str = "formulaire.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


class TestList:
    def test_own_surveys_with_counts_by_channel(self, client, landlord, other_landlord, staff):
        """The list shows the organisation's surveys, their targets and responses by channel; not another's."""
        site = SiteFactory(organisation=landlord, name="Les Acacias")
        survey = small_survey(landlord, sites=[site])
        ResponseFactory.create_batch(2, survey=survey, channel=Channel.PHONE)
        ResponseFactory(survey=survey, channel=Channel.PAPER)
        SurveyFactory(organisation=other_landlord, title="Enquête de B")
        client.force_login(staff)
        content = client.get(reverse("needs:survey_list")).content.decode()
        assert "Vos besoins au quotidien" in content
        assert "Les Acacias" in content
        assert "par téléphone, saisi par l&#x27;équipe : 2" in content
        assert "questionnaire papier : 1" in content
        assert "Enquête de B" not in content

    def test_query_count(self, client, landlord, staff, django_assert_num_queries):
        """The list's queries do not grow with the number of surveys."""
        for _ in range(3):
            survey = small_survey(landlord, sites=[SiteFactory(organisation=landlord)])
            ResponseFactory(survey=survey)
        client.force_login(staff)
        # session, user, count, page, sites, communes, responses by channel
        with django_assert_num_queries(7):
            client.get(reverse("needs:survey_list"))


class TestCreate:
    def test_from_themes_and_questions(self, client, staff):
        """Ticking a theme takes all its questions; a ticked question brings what its condition needs."""
        client.force_login(staff)
        response = client.post(
            reverse("needs:survey_create"),
            {
                "title": "Nos résidents",
                "description": "Pour mieux vous aider.",
                "themes": ["health"],
                "questions": ["iso_appel_bailleur"],
            },
        )
        survey = Survey.objects.get(title="Nos résidents")
        assert response.url == reverse("needs:survey_detail", args=[survey.pk])
        assert survey.created_by == staff
        assert list(survey.current_version.questions.order_by("position").values_list("name", flat=True)) == [
            "iso_seul",
            "iso_appel_bailleur",
            "sante_medecin",
            "sante_renoncement",
            "sante_raisons",
        ]

    def test_nothing_chosen(self, client, staff):
        """Without a theme or a question, the page says so and nothing is created."""
        client.force_login(staff)
        response = client.post(reverse("needs:survey_create"), {"title": "Vide"})
        assert response.status_code == 200
        assert "Cochez au moins un thème ou une question." in response.content.decode()
        assert not Survey.objects.exists()

    def test_page_lists_the_bank_by_theme(self, client, staff):
        """The page groups the bank's questions by theme, each with a labelled checkbox."""
        client.force_login(staff)
        content = client.get(reverse("needs:survey_create")).content.decode()
        assert "<legend>Isolement des personnes âgées</legend>" in content
        assert 'for="question-iso_seul"' in content
        assert 'id="question-iso_seul"' in content


class TestDetail:
    def test_questions_in_plain_french(self, client, survey, staff):
        """The survey page shows kinds, conditions and constraints in plain French, needs and signalling choices."""
        client.force_login(staff)
        content = client.get(reverse("needs:survey_detail", args=[survey.pk])).content.decode()
        assert "Posée seulement si vous avez répondu « Oui » à la question 1." in content
        assert "Réponse acceptée si la réponse est au moins 18 et la réponse est au plus 120" in content
        assert "mesure : aide aux démarches" in content
        assert "Choix multiple" in content
        assert (
            'Jamais <span class="muted">(<code>jamais</code>)</span> — <strong>signale le besoin</strong>' in content
        )
        assert "importez-la comme nouvelle version" in content

    def test_older_version(self, client, survey, staff):
        """``?version=N`` shows an earlier version's questions; an unknown version is a 404."""
        survey_services.import_version(survey=survey, data=GOOD_FORM)
        client.force_login(staff)
        url = reverse("needs:survey_detail", args=[survey.pk])
        assert "Vivez-vous seul ?" in client.get(url).content.decode()
        old = client.get(url, {"version": 1}).content.decode()
        assert "Recevez-vous des visites ?" in old
        assert "Vivez-vous seul ?" not in old
        assert client.get(url, {"version": 9}).status_code == 404

    def test_read_only_sees_no_actions(self, client, survey, landlord):
        """Read-only users read the survey but get no button to change it."""
        client.force_login(UserFactory(organisation=landlord, role=Role.READ_ONLY))
        content = client.get(reverse("needs:survey_detail", args=[survey.pk])).content.decode()
        assert "Vivez-vous seul(e) ?" in content
        assert reverse("needs:survey_open", args=[survey.pk]) not in content
        assert reverse("needs:analysis", args=[survey.pk]) in content
        assert reverse("needs:paper_invitations", args=[survey.pk]) not in content

    @pytest.mark.parametrize(
        ("role", "links", "no_links"),
        [
            (Role.STAFF, ["analysis", "paper_invitations", "survey_links", "paper_entry"], []),
            (Role.FIELD_AGENT, ["paper_entry"], ["analysis", "paper_invitations", "survey_links"]),
        ],
    )
    def test_links_to_each_channel_and_the_analysis(self, client, landlord, role, links, no_links):
        """The survey page leads to what each role does with an open survey, and to nothing else."""
        survey = small_survey(landlord)
        client.force_login(UserFactory(organisation=landlord, role=role))
        content = client.get(reverse("needs:survey_detail", args=[survey.pk])).content.decode()
        for name in links:
            assert reverse(f"needs:{name}", args=[survey.pk]) in content, name
        for name in no_links:
            assert reverse(f"needs:{name}", args=[survey.pk]) not in content, name


class TestEdit:
    def test_targets(self, client, survey, landlord, staff):
        """Title, presentation, sites and communes of the organisation are saved."""
        site = SiteFactory(organisation=landlord)
        client.force_login(staff)
        response = client.post(
            reverse("needs:survey_edit", args=[survey.pk]),
            {"title": "Nouveau titre", "description": "Bonjour", "sites": [site.pk], "communes": ["36044"]},
        )
        assert response.status_code == 302
        survey.refresh_from_db()
        assert survey.title == "Nouveau titre"
        assert list(survey.sites.all()) == [site]
        assert list(survey.communes.values_list("code", flat=True)) == ["36044"]

    def test_other_organisations_site_and_foreign_commune(self, client, survey, other_landlord, staff):
        """A site of another landlord, or a commune without any of the landlord's sites, is refused."""
        foreign = SiteFactory(organisation=other_landlord)
        client.force_login(staff)
        commune = Commune.objects.exclude(code="36044").first()
        response = client.post(
            reverse("needs:survey_edit", args=[survey.pk]),
            {"title": "Titre", "sites": [foreign.pk], "communes": [commune.code]},
        )
        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"sites", "communes"}
        assert not survey.sites.exists()


class TestOpenClose:
    def test_open_then_close(self, client, survey, staff):
        """Opening and closing change the status and dates, and each transition is in the audit trail."""
        client.force_login(staff)
        client.post(reverse("needs:survey_open", args=[survey.pk]))
        survey.refresh_from_db()
        assert (survey.status, survey.opens_on, survey.closes_on) == (SurveyStatus.OPEN, dt.date.today(), None)
        client.post(reverse("needs:survey_close", args=[survey.pk]))
        survey.refresh_from_db()
        assert (survey.status, survey.closes_on) == (SurveyStatus.CLOSED, dt.date.today())
        transitions = AuditEvent.objects.filter(action=AuditAction.UPDATE, details__has_key="statut")
        assert [e.details["statut"] for e in transitions.order_by("pk")] == [
            {"avant": "draft", "après": "open"},
            {"avant": "open", "après": "closed"},
        ]
        assert all(e.actor == staff for e in transitions)

    def test_cannot_open_without_questions(self, client, landlord, staff):
        """A survey without questions stays in preparation, with the reason."""
        survey = SurveyFactory(organisation=landlord, status=SurveyStatus.DRAFT)
        client.force_login(staff)
        response = client.post(reverse("needs:survey_open", args=[survey.pk]), follow=True)
        assert "n&#x27;a pas encore de questions" in response.content.decode()
        survey.refresh_from_db()
        assert survey.status == SurveyStatus.DRAFT

    def test_cannot_close_a_draft(self, client, survey, staff):
        """Only an open survey can be closed."""
        client.force_login(staff)
        client.post(reverse("needs:survey_close", args=[survey.pk]))
        survey.refresh_from_db()
        assert survey.status == SurveyStatus.DRAFT

    def test_get_is_refused(self, client, survey, staff):
        """Status changes are form actions only."""
        client.force_login(staff)
        assert client.get(reverse("needs:survey_open", args=[survey.pk])).status_code == 405


class TestImport:
    def test_new_survey(self, client, staff):
        """A good form becomes a draft survey of the organisation."""
        client.force_login(staff)
        response = client.post(reverse("needs:survey_import"), {"file": upload(GOOD_FORM)})
        survey = Survey.objects.get()
        assert response.url == reverse("needs:survey_detail", args=[survey.pk])
        assert (survey.title, survey.organisation, survey.status) == ("Isolement", staff.organisation, "draft")
        assert survey.current_version.source == "xlsform"
        assert AuditEvent.objects.filter(action=AuditAction.IMPORT, target_id=str(survey.pk)).exists()

    def test_new_version_leaves_answered_version_alone(self, client, survey, staff):
        """Importing into a survey with responses adds version 2; version 1 and its answers stay as they were."""
        ResponseFactory(survey=survey)
        before = list(Question.objects.filter(version__number=1).values_list("name", "label"))
        client.force_login(staff)
        client.post(reverse("needs:survey_import"), {"file": upload(GOOD_FORM), "survey": survey.pk})
        survey.refresh_from_db()
        assert survey.current_version.number == 2
        assert survey.title == "Vos besoins au quotidien"
        assert (
            list(Question.objects.filter(version__survey=survey, version__number=1).values_list("name", "label"))
            == before
        )

    def test_problems_listed_and_nothing_created(self, client, staff):
        """A bad form gets a table of its problems (sheet, row, column, message) and creates nothing."""
        client.force_login(staff)
        response = client.post(reverse("needs:survey_import"), {"file": upload(BAD_FORM)})
        content = response.content.decode()
        assert response.status_code == 200
        assert "2 problèmes à corriger" in content
        assert (
            '<td>survey</td><td class="num">2</td><td>type</td><td>type non pris en charge : « note »</td>' in content
        )
        assert "la question « absente » n&#x27;existe pas" in content
        assert not Survey.objects.exists()
        assert not SurveyVersion.objects.exists()

    def test_not_xlsx_name(self, client, staff):
        """Only .xlsx files are taken."""
        client.force_login(staff)
        response = client.post(reverse("needs:survey_import"), {"file": upload(b"a;b", "formulaire.csv")})
        assert "Déposez un classeur Excel .xlsx" in response.content.decode()

    def test_other_organisations_survey_is_not_a_choice(self, client, other_landlord, staff):
        """A new version can only go into one of the organisation's own surveys."""
        foreign = small_survey(other_landlord)
        client.force_login(staff)
        response = client.post(reverse("needs:survey_import"), {"file": upload(GOOD_FORM), "survey": foreign.pk})
        assert "survey" in response.context["form"].errors
        assert foreign.versions.count() == 1


class TestExport:
    def test_download_converts_and_reimports(self, client, survey, staff, landlord):
        """The download is an XLSForm pyxform converts, and importing it gives the same questions."""
        client.force_login(staff)
        response = client.get(reverse("needs:survey_export", args=[survey.pk]))
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response["Content-Disposition"] == 'attachment; filename="vos_besoins_v1.xlsx"'
        assert "Vivez-vous seul(e) ?" in convert(xlsform=response.content, file_type=".xlsx", warnings=[]).xform
        copy = survey_services.import_survey(organisation=landlord, data=response.content)
        assert survey_services.form_from_version(copy.current_version) == survey_services.form_from_version(
            survey.current_version
        )

    def test_unknown_version(self, client, survey, staff):
        """An export of a version the survey does not have is a 404."""
        client.force_login(staff)
        assert client.get(reverse("needs:survey_export", args=[survey.pk]), {"version": "7"}).status_code == 404
