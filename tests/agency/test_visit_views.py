"""The agents' pages of the visit log: the week's visits, the log form and page, and a plan's summary."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.models import VisitContact, VisitLog
from proxima.agency.visit_logs import ContactEntry, save_visit_log
from proxima.households.models import Interaction
from tests.accounts.factories import UserFactory
from tests.agency.factories import AppointmentFactory, StopFactory, TourDayFactory, TourPlanFactory, VisitFactory
from tests.agency.factories_visits import published_tour
from tests.households.factories import PersonFactory

T, A, R, ACT = VisitTopic.TECHNICAL, VisitTopic.ADMINISTRATIVE, VisitTopic.RIGHTS, VisitTopic.ACTIVITY


@pytest.fixture
def tour(landlord):
    return published_tour(landlord)


def rows_data(rows, *, initial=0, extra_fields=None):
    """The POST data of the log form: ``rows`` are (reference, topics, follow_up[, delete])."""
    data = {
        "menages-TOTAL_FORMS": str(len(rows)),
        "menages-INITIAL_FORMS": str(initial),
        "menages-MIN_NUM_FORMS": "0",
        "menages-MAX_NUM_FORMS": "30",
        "anonymous_count": "0",
        "note": "",
    }
    for i, (reference, topics, follow_up, *delete) in enumerate(rows):
        data[f"menages-{i}-reference"] = reference
        data[f"menages-{i}-topics"] = list(topics)
        data[f"menages-{i}-follow_up"] = follow_up
        if delete:
            data[f"menages-{i}-DELETE"] = "on"
    data.update(extra_fields or {})
    return data


def edit_url(visit):
    return reverse("agency:visit_log_edit", args=[visit.pk])


@pytest.mark.django_db
class TestVisitList:
    def test_week_of_published_visits(self, client, landlord, other_landlord):
        """This week's published visits, in order, with booked appointments; drafts and other landlords absent."""
        today = timezone.localdate()
        tour = published_tour(landlord, days_ago=0)
        later = VisitFactory(
            day=tour.visit.day,
            stop=StopFactory(organisation=landlord, name="Place du Marché"),
            position=1,
            start=dt.time(14),
            end=dt.time(16),
        )
        AppointmentFactory(visit=later, starts_at=dt.time(14), ends_at=dt.time(14, 20))
        AppointmentFactory(visit=later, starts_at=dt.time(14, 20), ends_at=dt.time(14, 40), status="cancelled")
        draft = TourPlanFactory(organisation=landlord, start_date=today)
        VisitFactory(day=TourDayFactory(plan=draft), stop=StopFactory(organisation=landlord, name="Brouillon"))
        theirs = TourPlanFactory(organisation=other_landlord, published=True, start_date=today)
        VisitFactory(day=TourDayFactory(plan=theirs), stop=StopFactory(organisation=other_landlord, name="Chez B"))
        client.force_login(tour.agent)
        response = client.get(reverse("agency:visit_list"))
        assert response.status_code == 200
        [(date, visits)] = response.context["days"]
        assert date == today
        assert [v.stop.name for v in visits] == [tour.stop.name, "Place du Marché"]
        assert [v.booked for v in visits] == [0, 1]
        content = response.content.decode()
        assert "Aujourd'hui" in content
        assert "votre résidence" in content  # the agent's own site
        assert edit_url(tour.visit) in content
        assert "Brouillon" not in content and "Chez B" not in content

    def test_other_weeks_and_pending_logs(self, client, tour):
        """A past week is reached by ?semaine=; a past visit without a log is listed to be filled."""
        client.force_login(tour.staff)
        response = client.get(reverse("agency:visit_list"), {"semaine": tour.plan.start_date.isoformat()})
        assert [v.pk for _, visits in response.context["days"] for v in visits] == [tour.visit.pk]
        # Seen from a later week, the unlogged visit is still to be filled.
        pending = client.get(reverse("agency:visit_list"), {"semaine": "2099-01-05"}).context["pending"]
        assert [v.pk for v in pending] == [tour.visit.pk]
        save_visit_log(visit=tour.visit, by=tour.staff, contacts=[])
        assert client.get(reverse("agency:visit_list"), {"semaine": "2099-01-05"}).context["pending"] == []
        assert client.get(reverse("agency:visit_list"), {"semaine": "pas-une-date"}).status_code == 200


@pytest.mark.django_db
class TestVisitLogForm:
    def test_save_creates_log_and_history(self, client, tour):
        """The agent names a household of their site, counts the others: log and history are written."""
        client.force_login(tour.agent)
        data = rows_data(
            [("bail-a1", [R, T], FollowUp.REFERRAL), ("", [], FollowUp.NONE)],
            extra_fields={"anonymous_count": "3", "anonymous_topics": [ACT], "note": "Marché animé"},
        )
        response = client.post(edit_url(tour.visit), data)
        assert response.status_code == 302
        assert response.url == reverse("agency:visit_log", args=[tour.visit.pk])
        log = VisitLog.objects.get(visit=tour.visit)
        assert (log.anonymous_count, log.anonymous_topics, log.note) == (3, [ACT], "Marché animé")
        interaction = Interaction.objects.get(household=tour.a1)
        assert (interaction.theme, interaction.outcome) == ("technique, droits", "orientation vers un partenaire")

    def test_edit_shows_rows_and_removes_ticked(self, client, tour):
        """Existing contacts come back as rows; ticking "retirer" deletes the contact and its interaction."""
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[
                ContactEntry(tour.a1, topics=(A,)),
                ContactEntry(tour.a2, topics=(T,), follow_up=FollowUp.REQUEST),
            ],
        )
        client.force_login(tour.staff)
        response = client.get(edit_url(tour.visit))
        initial = [f.initial for f in response.context["formset"].initial_forms]
        assert [(i["reference"], i["topics"], i["follow_up"]) for i in initial] == [
            ("BAIL-A1", [A], FollowUp.NONE),
            ("BAIL-A2", [T], FollowUp.REQUEST),
        ]
        data = rows_data([("BAIL-A1", [A], FollowUp.NONE), ("BAIL-A2", [T], FollowUp.REQUEST, "delete")], initial=2)
        assert client.post(edit_url(tour.visit), data).status_code == 302
        assert list(VisitContact.objects.values_list("household__reference", flat=True)) == ["BAIL-A1"]
        assert not Interaction.objects.filter(household=tour.a2).exists()

    def test_unknown_reference_suggests_close_ones(self, client, tour):
        """A mistyped reference is refused with the close references of the agent's households."""
        client.force_login(tour.staff)
        response = client.post(edit_url(tour.visit), rows_data([("BAIL-A", [T], FollowUp.NONE)]))
        assert response.status_code == 200
        errors = response.context["formset"].forms[0].errors["reference"]
        assert "Références proches : BAIL-A1, BAIL-A2." in errors[0]
        assert not VisitLog.objects.exists()

    def test_field_agent_cannot_name_other_sites(self, client, tour):
        """For a field agent, a household of a site not entrusted to them does not exist."""
        client.force_login(tour.agent)
        response = client.post(edit_url(tour.visit), rows_data([("BAIL-B1", [T], FollowUp.NONE)]))
        assert response.status_code == 200
        assert "Aucun ménage de vos résidences" in response.context["formset"].forms[0].errors["reference"][0]
        assert not Interaction.objects.exists()

    def test_field_agent_does_not_see_colleagues_other_households(self, client, tour):
        """The agent's form hides a colleague's contact at another site, and saving keeps it."""
        save_visit_log(
            visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1), ContactEntry(tour.b1, topics=(R,))]
        )
        client.force_login(tour.agent)
        response = client.get(edit_url(tour.visit))
        assert "BAIL-B1" not in response.content.decode()
        assert response.context["hidden"] == 1
        assert (
            client.post(edit_url(tour.visit), rows_data([("BAIL-A1", [], FollowUp.NONE)], initial=1)).status_code
            == 302
        )
        assert Interaction.objects.filter(household=tour.b1).exists()

    def test_duplicate_rows(self, client, tour):
        client.force_login(tour.staff)
        response = client.post(
            edit_url(tour.visit), rows_data([("BAIL-A1", [T], FollowUp.NONE), ("bail-a1", [A], FollowUp.NONE)])
        )
        assert "déjà sur une autre ligne" in response.content.decode()
        assert not VisitLog.objects.exists()

    def test_topics_without_reference(self, client, tour):
        """A row with topics but no reference asks for the reference rather than dropping the row."""
        client.force_login(tour.staff)
        response = client.post(edit_url(tour.visit), rows_data([("", [T], FollowUp.NONE)]))
        assert "Indiquez la référence du bail" in response.content.decode()

    def test_anonymous_topics_need_people(self, client, tour):
        client.force_login(tour.staff)
        response = client.post(edit_url(tour.visit), rows_data([], extra_fields={"anonymous_topics": [T]}))
        assert response.status_code == 200
        assert "anonymous_count" in response.context["form"].errors

    def test_search_and_add(self, client, tour):
        """Searching by reference or holder's name lists only visible households; "ajouter" fills a row."""
        PersonFactory(household=tour.a2, last_name="Dupontel")
        PersonFactory(household=tour.b1, last_name="Dupontel")
        client.force_login(tour.agent)
        response = client.get(edit_url(tour.visit), {"q": "dupont"})
        assert [h.reference for h in response.context["found"]] == ["BAIL-A2"]
        response = client.get(edit_url(tour.visit), {"q": "BAIL"})
        assert [h.reference for h in response.context["found"]] == ["BAIL-A1", "BAIL-A2"]
        response = client.get(edit_url(tour.visit), {"ajouter": [tour.a2.pk, tour.b1.pk, "x"]})
        assert [f.initial["reference"] for f in response.context["formset"].initial_forms] == ["BAIL-A2"]
        event = AuditEvent.objects.filter(action=AuditAction.LIST).latest("pk")
        assert event.details["ids"] == [tour.a2.pk]

    def test_more_rows(self, client, tour):
        client.force_login(tour.staff)
        assert len(client.get(edit_url(tour.visit)).context["formset"].forms) == 3
        assert len(client.get(edit_url(tour.visit), {"lignes": "8"}).context["formset"].forms) == 8
        assert len(client.get(edit_url(tour.visit), {"lignes": "500"}).context["formset"].forms) == 30

    def test_future_visit(self, client, landlord):
        """A visit still to come shows no form and refuses a log."""
        tour = published_tour(landlord, days_ago=-3)
        client.force_login(tour.staff)
        response = client.get(edit_url(tour.visit))
        assert response.context["future"] is True
        assert '<form method="post"' not in response.content.decode().split("</header>")[1]
        response = client.post(edit_url(tour.visit), rows_data([]))
        assert "pas encore eu lieu" in response.content.decode()
        assert not VisitLog.objects.exists()

    def test_unpublished_or_other_landlord_is_404(self, client, tour, other_landlord):
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        assert client.get(edit_url(tour.visit)).status_code == 404
        tour.plan.published_at = None
        tour.plan.save()
        client.force_login(tour.staff)
        assert client.get(edit_url(tour.visit)).status_code == 404


@pytest.mark.django_db
class TestVisitLogDetail:
    def test_shows_and_audits_the_households_met(self, client, tour):
        """The log page lists the households met with topics and follow-up, and the display is audited."""
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[ContactEntry(tour.a1, topics=(T, R), follow_up=FollowUp.REQUEST), ContactEntry(tour.b1)],
            anonymous_count=5,
            anonymous_topics=[ACT],
        )
        client.force_login(tour.agent)
        response = client.get(reverse("agency:visit_log", args=[tour.visit.pk]))
        content = response.content.decode()
        assert "BAIL-A1" in content and "BAIL-B1" not in content
        assert "technique (logement, travaux), accès aux droits" in content
        assert "demande enregistrée" in content
        assert response.context["hidden"] == 1
        event = AuditEvent.objects.get(action=AuditAction.LIST)
        assert event.details["ids"] == [tour.a1.pk]
        assert event.actor == tour.agent

    def test_without_log(self, client, tour):
        client.force_login(tour.staff)
        response = client.get(reverse("agency:visit_log", args=[tour.visit.pk]))
        assert "pas encore de compte rendu" in response.content.decode()


@pytest.mark.django_db
class TestVisitSummaryView:
    def test_figures_and_csv(self, client, tour):
        """The summary page and its CSV give the hand-checked counts per stop and in total, without names."""
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[ContactEntry(tour.a1, topics=(T, A), follow_up=FollowUp.REQUEST), ContactEntry(tour.a2)],
            anonymous_count=3,
            anonymous_topics=[ACT],
        )
        client.force_login(UserFactory(organisation=tour.plan.organisation, role=Role.READ_ONLY))
        url = reverse("agency:visit_summary", args=[tour.plan.pk])
        response = client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert "5 personnes rencontrées, dont 2 ménages identifiés et 3 personnes sans identification" in content
        assert "BAIL-A1" not in content
        export = client.get(url, {"format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
        header, stop_row, total_row = rows
        as_dict = dict(zip(header, stop_row, strict=True))
        assert as_dict["arrêt"] == tour.stop.name
        assert as_dict["personnes rencontrées"] == "5"
        assert as_dict["ménages – technique (logement, travaux)"] == "1"
        assert as_dict["ménages – administratif (bail, loyer, démarches)"] == "1"
        assert as_dict["accueil anonyme – activité, animation (passages)"] == "1"
        assert as_dict["suite – demande enregistrée"] == "1"
        assert as_dict["suite – aucune suite"] == "1"
        assert total_row[0] == "Total"
        xlsx = client.get(url, {"format": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
        assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["arrêt", tour.stop.name, "Total"]
