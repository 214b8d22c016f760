"""The paper channel: letters and questionnaires in PDF, batches in the background, entry of returned forms."""

import datetime as dt
import io
import json
import os
import time
import uuid
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.needs import paper, paper_batches
from proxima.needs.enums import Channel, SurveyStatus
from proxima.needs.models import Invitation, Response
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import InvitationFactory, ResponseFactory, small_survey
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

ANSWER_URL = "https://proxima.example.fr/repondre/"
QUESTIONS_IN_ORDER = [
    "Vivez-vous seul(e) ?",
    "Recevez-vous des visites ?",
    "Pour quoi aimeriez-vous de l&#x27;aide ?",
    "Quel âge avez-vous ?",
    "Une remarque ?",
]


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # The worker closes connections between tasks; in a test that would end the test's transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_worker():
    """Run the queued background tasks as the real worker would (database backend)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def site(landlord):
    return SiteFactory(organisation=landlord, name="Les Glycines")


@pytest.fixture
def survey(landlord, site):
    return small_survey(landlord, sites=[site])


def resident(site, first_name="Jeanne", last_name="Martin"):
    """A household of ``site`` whose lease holder has these names."""
    return PersonFactory(
        household__dwelling__building__site=site,
        household__dwelling__building__address="4 allée des Glycines",
        first_name=first_name,
        last_name=last_name,
    ).household


def pages(html: str) -> int:
    return len(paper._document(html).pages)


class TestQuestionnaire:
    def test_numbered_in_reading_order_with_conditions_in_words(self, survey):
        sections = paper.questionnaire(survey.current_version)
        assert [(s.number, s.title) for s in sections] == [(1, "Isolement"), (2, "Les aides")]
        questions = [q for s in sections for q in s.questions]
        assert [(q.number, q.name) for q in questions] == [
            (1, "seul"),
            (2, "visites"),
            (3, "aides"),
            (4, "age"),
            (5, "remarque"),
        ]
        visites = questions[1]
        assert visites.condition == "vous avez répondu « Oui » à la question 1"
        assert visites.skip_to == 3
        assert questions[3].note == "Un âge entre 18 et 120 ans."
        assert questions[2].is_multiple and not questions[0].is_multiple
        assert questions[4].skip_to is None

    def test_no_version_no_questionnaire(self, landlord):
        from tests.needs.factories import SurveyFactory

        assert paper.questionnaire(SurveyFactory(organisation=landlord).current_version) == ()


class TestLetters:
    def test_html_holds_code_address_questions_and_conditions(self, survey, site):
        household = resident(site)
        invitation = InvitationFactory(survey=survey, household=household)
        html = paper.render_html(
            survey=survey,
            invitations=paper.invitations_to_print(survey),
            answer_url=ANSWER_URL,
            contact="appelez le 02 54 00 00 00",
        )
        assert html.count(invitation.code) >= 3  # in large type, in the margins, in the footer
        assert "Jeanne MARTIN" in html
        assert f"Logement {household.dwelling.reference}" in html
        assert "4 allée des Glycines" in html and "36000 CHATEAUROUX" in html
        assert ANSWER_URL in html and "appelez le 02 54 00 00 00" in html
        assert "data:image/svg+xml" in html  # the QR code
        positions = [html.index(label) for label in QUESTIONS_IN_ORDER]
        assert positions == sorted(positions)
        assert "Si vous avez répondu « Oui » à la question 1 :" in html
        assert "Sinon, passez à la question 3." in html
        assert "Cochez une ou plusieurs cases." in html and "Cochez une seule case." in html

    def test_qr_code_leads_to_the_answer_page_with_the_code(self):
        assert paper.answer_link(ANSWER_URL, "ABCD2345") == f"{ANSWER_URL}?code=ABCD2345"

    def test_text_of_a_survey_is_escaped(self, survey, site):
        """A title cannot inject markup that WeasyPrint would fetch (a local file, an address on the network)."""
        survey.title = '<img src="file:///etc/passwd">'
        survey.save()
        InvitationFactory(survey=survey, household=resident(site))
        html = paper.render_html(survey=survey, invitations=paper.invitations_to_print(survey), answer_url=ANSWER_URL)
        assert '<img src="file:///etc/passwd">' not in html
        assert "&lt;img" in html

    def test_pdf_pages(self, survey, site):
        """The letter fits one page; the questionnaire follows; each household has as many pages."""
        for name in ("Martin", "Bernard"):
            InvitationFactory(survey=survey, household=resident(site, last_name=name))
        invitations = list(paper.invitations_to_print(survey))
        letter_only = paper.render_html(survey=survey, invitations=invitations[:1], answer_url=ANSWER_URL, sections=())
        assert pages(letter_only) == 1
        one = pages(paper.render_html(survey=survey, invitations=invitations[:1], answer_url=ANSWER_URL))
        assert one >= 2
        assert pages(paper.render_html(survey=survey, invitations=invitations, answer_url=ANSWER_URL)) == 2 * one
        content = paper.render_pdf(survey=survey, invitations=invitations[:1], answer_url=ANSWER_URL)
        assert content.startswith(b"%PDF")

    def test_household_without_person_is_addressed_to_its_occupants(self, survey, site):
        InvitationFactory(survey=survey, household=HouseholdFactory(dwelling__building__site=site))
        html = paper.render_html(survey=survey, invitations=paper.invitations_to_print(survey), answer_url=ANSWER_URL)
        assert "Aux occupants du logement" in html


class TestWriteBatch:
    def test_small_batch_is_one_pdf(self, survey, site, tmp_path):
        for name in ("Martin", "Bernard"):
            InvitationFactory(survey=survey, household=resident(site, last_name=name))
        seen = []
        written = paper.write_batch(
            survey=survey,
            invitations=list(paper.invitations_to_print(survey)),
            answer_url=ANSWER_URL,
            target=tmp_path / "lot",
            progress=lambda done, total: seen.append((done, total)),
        )
        assert written.path == tmp_path / "lot.pdf" and written.path.read_bytes().startswith(b"%PDF")
        assert (written.households, written.parts) == (2, 1)
        assert seen[-1] == (2, 2)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["lot.pdf"]  # no partial file left

    def test_big_batch_is_a_zip_of_pdfs_by_site(self, survey, landlord, site, tmp_path, monkeypatch):
        """Beyond PART_SIZE households the batch is cut by site, then in parts, in the post round's order."""
        monkeypatch.setattr(paper, "PART_SIZE", 2)
        other = SiteFactory(organisation=landlord, name="Le Parc")
        survey.sites.add(other)
        for name in ("Martin", "Bernard", "Thomas"):
            InvitationFactory(survey=survey, household=resident(site, last_name=name))
        InvitationFactory(survey=survey, household=resident(other, last_name="Petit"))
        invitations = list(paper.invitations_to_print(survey))
        parts = paper.split_into_parts(invitations, part_size=2)
        assert [(name, len(chunk)) for name, chunk in parts] == [
            ("01-le-parc.pdf", 1),
            ("02-les-glycines-1-sur-2.pdf", 2),
            ("02-les-glycines-2-sur-2.pdf", 1),
        ]
        written = paper.write_batch(
            survey=survey, invitations=invitations, answer_url=ANSWER_URL, target=tmp_path / "lot"
        )
        assert written.path.suffix == ".zip" and written.parts == 3
        with zipfile.ZipFile(written.path) as archive:
            assert archive.namelist() == [name for name, _ in parts]
            assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())


class TestBatchFiles:
    def test_old_files_are_deleted(self, landlord, tmp_path):
        directory = paper_batches.batch_dir(landlord.pk)
        directory.mkdir(parents=True)
        old, recent = directory / "enquete-1-a.pdf", directory / "enquete-1-b.pdf"
        for path in (old, recent):
            path.write_bytes(b"%PDF")
        eight_days_ago = time.time() - 8 * 86400
        os.utime(old, (eight_days_ago, eight_days_ago))
        assert paper_batches.purge_old_files(landlord.pk) == 1
        assert not old.exists() and recent.exists()


@pytest.fixture
def staff(client, landlord):
    user = UserFactory(organisation=landlord, role=Role.STAFF)
    client.force_login(user)
    return user


class TestBatchInTheBackground:
    def test_start_follow_download(self, client, staff, survey, site):
        """The request only queues; the worker creates the codes and writes the file; then it is offered."""
        households = [resident(site, last_name=name) for name in ("Martin", "Bernard")]
        response = client.post(
            reverse("needs:paper_batch", args=[survey.pk]), {"contact": "appelez le 02 54 00 00 00"}
        )
        assert response.status_code == 302
        detail_url = response.url
        assert not Invitation.objects.exists()  # nothing done in the web request
        page = client.get(detail_url).content.decode()
        assert "La préparation commence dans un instant" in page
        assert '<meta http-equiv="refresh" content="3">' in page  # without JavaScript

        run_worker()
        assert set(Invitation.objects.filter(survey=survey).values_list("household", flat=True)) == {
            h.pk for h in households
        }
        page = client.get(detail_url).content.decode()
        assert "Prêt :</strong> 2 courriers" in page
        download = client.get(detail_url + "fichier/")
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")
        event = AuditEvent.objects.get(action=AuditAction.EXPORT, target_type="needs.Invitation")
        assert (event.actor, event.details["households"]) == (staff, 2)
        listing = client.get(reverse("needs:paper_invitations", args=[survey.pk])).content.decode()
        assert "2 courriers, préparés le" in listing

    def test_progress_fragment(self, client, staff, survey, site):
        """While the worker writes, htmx polls the status; once finished it asks for a full reload."""
        resident(site)
        detail_url = client.post(reverse("needs:paper_batch", args=[survey.pk])).url
        batch_id = detail_url.rstrip("/").split("/")[-1]
        progress = paper_batches.batch_dir(survey.organisation_id) / f"enquete-{survey.pk}-{batch_id}.progress"
        progress.parent.mkdir(parents=True)
        progress.write_text(json.dumps({"done": 750, "total": 3000}))
        response = client.get(detail_url, HTTP_HX_REQUEST="true")
        content = response.content.decode()
        assert 'value="25"' in content and "750 courriers prêts sur 3000" in content
        assert "HX-Refresh" not in response
        run_worker()
        response = client.get(detail_url, HTTP_HX_REQUEST="true")
        assert response["HX-Refresh"] == "true"
        assert not progress.exists()

    def test_filters_site_and_unanswered(self, client, staff, survey, landlord, site):
        other = SiteFactory(organisation=landlord, name="Le Parc")
        survey.sites.add(other)
        answered, waiting = resident(site, last_name="Martin"), resident(site, last_name="Bernard")
        resident(other, last_name="Petit")
        ResponseFactory(survey=survey, household=answered)
        detail_url = client.post(
            reverse("needs:paper_batch", args=[survey.pk]), {"site": site.pk, "only_unanswered": "on"}
        ).url
        run_worker()
        assert "Prêt :</strong> 1 courrier," in client.get(detail_url).content.decode()
        content = b"".join(client.get(detail_url + "fichier/").streaming_content)
        assert content.startswith(b"%PDF")
        html = paper.render_html(
            survey=survey,
            invitations=paper.invitations_to_print(survey).filter(
                household__in=paper_batches.households_to_print(survey, site=site, only_unanswered=True)
            ),
            answer_url=ANSWER_URL,
        )
        assert "BERNARD" in html and "MARTIN" not in html and "PETIT" not in html
        assert waiting.pk in Invitation.objects.values_list("household", flat=True)

    def test_nothing_to_print_is_refused(self, client, staff, survey, site):
        ResponseFactory(survey=survey, household=resident(site))
        response = client.post(reverse("needs:paper_batch", args=[survey.pk]), {"only_unanswered": "on"}, follow=True)
        assert "Aucun ménage à qui écrire avec ces choix." in response.content.decode()

    def test_survey_without_questions_is_refused(self, client, staff, landlord):
        from tests.needs.factories import SurveyFactory

        survey = SurveyFactory(organisation=landlord)
        response = client.post(reverse("needs:paper_batch", args=[survey.pk]), follow=True)
        assert "pas encore de questions" in response.content.decode()

    def test_a_batch_is_seen_only_under_its_own_survey(self, client, staff, survey, landlord, site):
        resident(site)
        detail_url = client.post(reverse("needs:paper_batch", args=[survey.pk])).url
        batch_id = detail_url.rstrip("/").split("/")[-1]
        another = small_survey(landlord, sites=[site])
        url = reverse("needs:paper_batch_detail", args=[another.pk, batch_id])
        assert client.get(url).status_code == 404
        assert client.get(reverse("needs:paper_batch_detail", args=[survey.pk, uuid.uuid4()])).status_code == 404


class TestSingleLetter:
    def test_pdf_of_one_household_is_audited(self, client, staff, survey, site):
        household = resident(site)
        response = client.get(
            reverse("needs:paper_household", args=[survey.pk, household.pk]), {"contact": "au 02 54 00 00 00"}
        )
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert Invitation.objects.filter(survey=survey, household=household).count() == 1
        assert AuditEvent.objects.filter(
            action=AuditAction.READ, target_type="households.Household", target_id=str(household.pk), actor=staff
        ).exists()

    def test_household_not_targeted_is_a_404(self, client, staff, survey, landlord):
        elsewhere = resident(SiteFactory(organisation=landlord))
        assert client.get(reverse("needs:paper_household", args=[survey.pk, elsewhere.pk])).status_code == 404

    def test_found_by_lease_reference(self, client, staff, survey, site):
        household = resident(site)
        url = reverse("needs:paper_invitations", args=[survey.pk])
        response = client.get(url, {"reference": household.reference.lower(), "contact": "au 02"})
        assert response.status_code == 302
        assert response.url == reverse("needs:paper_household", args=[survey.pk, household.pk]) + "?contact=au+02"
        page = client.get(url, {"reference": "INCONNU"}).content.decode()
        assert "Aucun ménage visé par cette enquête n&#x27;a cette référence de bail." in page


def answers(**values):
    """A POST of the paper entry screen: the answers (prefix q-), the date and a client id."""
    data = {"collected_on": "2026-11-02", "client_id": str(uuid.uuid4())}
    for name, value in values.items():
        data[f"q-{name}"] = value
    return data


@pytest.fixture
def invitation(survey, site):
    return InvitationFactory(survey=survey, household=resident(site))


class TestEntryScreen:
    def test_code_field_has_the_focus(self, client, staff, survey):
        page = client.get(reverse("needs:paper_entry", args=[survey.pk])).content.decode()
        assert 'name="code"' in page and "autofocus" in page

    def test_code_as_typed_opens_its_form(self, client, staff, survey, invitation):
        typed = f"{invitation.code[:4].lower()} {invitation.code[4:]}"
        response = client.get(reverse("needs:paper_entry", args=[survey.pk]), {"code": typed})
        assert response.url == reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])

    def test_unknown_code(self, client, staff, survey, invitation):
        page = client.get(reverse("needs:paper_entry", args=[survey.pk]), {"code": "ZZZZ9999"}).content.decode()
        assert "Aucun questionnaire de cette enquête ne porte le code « ZZZZ9999 »" in page

    def test_form_follows_the_paper(self, client, staff, survey, invitation):
        page = client.get(reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])).content.decode()
        numbered = [f"{i}. {label}" for i, label in enumerate(QUESTIONS_IN_ORDER, start=1)]
        positions = [page.index(label) for label in numbered]
        assert positions == sorted(positions)
        assert "Partie 1 · Isolement" in page and "Partie 2 · Les aides" in page
        assert "À remplir seulement si vous avez répondu « Oui » à la question 1." in page
        assert 'type="hidden" name="client_id"' in page
        # "non répondu" where an answer may be left out (question 2), not where it is required (question 1).
        assert 'name="q-visites" value=""' in page and 'name="q-seul" value=""' not in page
        assert page.index('name="q-remarque"') < page.index('name="collected_on"')  # the date is at the end

    def test_valid_form_is_saved_with_channel_paper(self, client, staff, survey, invitation):
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        response = client.post(url, answers(seul="oui", visites="jamais", aides=["papiers", "numerique"], age="81"))
        assert response.url == reverse("needs:paper_entry", args=[survey.pk])
        saved = Response.objects.get()
        assert (saved.channel, saved.invitation, saved.household, saved.recorded_by) == (
            Channel.PAPER,
            invitation,
            invitation.household,
            staff,
        )
        assert saved.collected_on == dt.date(2026, 11, 2)
        assert dict(saved.answers.values_list("question__name", "value")) == {
            "seul": "oui",
            "visites": "jamais",
            "aides": "papiers numerique",
            "age": "81",
        }
        invitation.refresh_from_db()
        assert invitation.used_at is not None
        page = client.get(response.url).content.decode()
        assert f"Formulaire {invitation.code} enregistré." in page and "autofocus" in page

    def test_double_submit_records_once(self, client, staff, survey, invitation):
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        data = answers(seul="non")
        client.post(url, data)
        second = client.post(url, data, follow=True)
        assert Response.objects.count() == 1
        assert f"Formulaire {invitation.code} déjà enregistré" in second.content.decode()

    def test_errors_next_to_questions_and_nothing_saved(self, client, staff, survey, invitation):
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        response = client.post(url, answers(age="200"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Cette question demande une réponse." in page  # question 1, required
        assert "Un âge entre 18 et 120 ans." in page
        assert page.index("Cette question demande une réponse.") < page.index('name="q-aides"')
        assert not Response.objects.exists()
        invitation.refresh_from_db()
        assert invitation.used_at is None

    def test_future_date_refused(self, client, staff, survey, invitation):
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        data = answers(seul="non")
        data["collected_on"] = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
        assert "La date ne peut pas être dans le futur." in client.post(url, data).content.decode()
        assert not Response.objects.exists()

    def test_answer_to_a_question_not_asked_is_dropped(self, client, staff, survey, invitation):
        """Question 2 is only for those who live alone: a box ticked anyway is not recorded."""
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        client.post(url, answers(seul="non", visites="jamais"))
        assert dict(Response.objects.get().answers.values_list("question__name", "value")) == {"seul": "non"}

    def test_used_code_refused(self, client, staff, survey, invitation):
        ResponseFactory(survey=survey, household=invitation.household, channel=Channel.WEB, invitation=invitation)
        Invitation.objects.filter(pk=invitation.pk).update(used_at=timezone.now())
        page = client.get(reverse("needs:paper_entry", args=[survey.pk]), {"code": invitation.code}).content.decode()
        assert f"Le code {invitation.code} a déjà servi : ce ménage a répondu le 02/11/2026" in page
        response = client.get(reverse("needs:paper_entry_form", args=[survey.pk, invitation.code]), follow=True)
        assert "a déjà servi" in response.content.decode()
        other = client.post(reverse("needs:paper_entry_form", args=[survey.pk, invitation.code]), answers(seul="non"))
        assert "une seule réponse par ménage" in other.content.decode()
        assert Response.objects.count() == 1

    def test_closed_survey(self, client, staff, landlord, site):
        survey = small_survey(landlord, sites=[site], status=SurveyStatus.CLOSED)
        page = client.get(reverse("needs:paper_entry", args=[survey.pk])).content.decode()
        assert "Cette enquête n&#x27;est pas ouverte" in page and 'name="code"' not in page


class TestFieldAgent:
    @pytest.fixture
    def agent(self, client, landlord, site):
        user = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        site.agents.add(user)
        client.force_login(user)
        return user

    def test_enters_the_forms_of_their_sites(self, client, agent, survey, invitation):
        url = reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])
        client.post(url, answers(seul="non"))
        assert Response.objects.get().recorded_by == agent

    def test_other_sites_forms_are_hidden(self, client, agent, survey, landlord):
        elsewhere = SiteFactory(organisation=landlord)
        survey.sites.add(elsewhere)
        invitation = InvitationFactory(survey=survey, household=resident(elsewhere))
        assert client.get(reverse("needs:paper_entry_form", args=[survey.pk, invitation.code])).status_code == 404
        page = client.get(reverse("needs:paper_entry", args=[survey.pk]), {"code": invitation.code}).content.decode()
        assert "Aucun questionnaire de cette enquête ne porte le code" in page

    def test_cannot_print_letters(self, client, agent, survey):
        assert client.get(reverse("needs:paper_invitations", args=[survey.pk])).status_code == 403


class TestOtherOrganisations:
    def test_partner_is_refused_and_another_landlord_sees_nothing(self, client, survey, invitation, other_landlord):
        from tests.accounts.factories import OrganisationFactory

        client.force_login(UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER))
        assert client.get(reverse("needs:paper_entry", args=[survey.pk])).status_code == 403
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        for url in (
            reverse("needs:paper_entry_form", args=[survey.pk, invitation.code]),
            reverse("needs:paper_invitations", args=[survey.pk]),
            reverse("needs:paper_household", args=[survey.pk, invitation.household_id]),
        ):
            assert client.get(url).status_code == 404


def test_zip_download_is_labelled(client, staff, survey, site, monkeypatch):
    """A batch written in parts is offered as a ZIP archive."""
    monkeypatch.setattr(paper, "PART_SIZE", 1)
    for name in ("Martin", "Bernard"):
        resident(site, last_name=name)
    detail_url = client.post(reverse("needs:paper_batch", args=[survey.pk])).url
    run_worker()
    assert "en 2 fichiers PDF (archive ZIP)" in client.get(detail_url).content.decode()
    download = client.get(detail_url + "fichier/")
    assert download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert len(archive.namelist()) == 2
