"""Plan pages: the list, creation and background computation with progress, the plan's page, manual edits with their
effect, exports, the households never reached (audited), publication."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from proxima.accounts.enums import AuditAction
from proxima.accounts.models import AuditEvent
from proxima.agency import services
from proxima.agency.enums import PlanKind, PlanStatus
from proxima.agency.models import TourPlan, Visit
from tests.agency.factories import TourPlanFactory
from tests.agency.factories_plans import TODAY, one_day_plan, tiny_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("proxima.agency.services.timezone.localdate", lambda: TODAY)


@pytest.fixture
def world(landlord):
    return tiny_world(landlord)


@pytest.fixture
def planned(landlord, world):
    plan = one_day_plan(landlord, name="Tournée calculée")
    services.run_planning(plan.pk, today=TODAY)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def manual(landlord, world):
    return services.create_plan(
        organisation=landlord,
        by=None,
        kind=PlanKind.MANUAL,
        name="Tournée actuelle",
        start_date=dt.date(2026, 12, 1),
        weeks=1,
        weekdays=[1, 2],
        day_start=dt.time(8, 30),
        day_end=dt.time(17, 30),
    )


def text(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8-sig")


class TestPlanList:
    def test_is_the_agency_entry_page(self, client, planned, reader):
        """Every landlord role reads the plans; the menu leads there."""
        client.force_login(reader)
        response = client.get("/agence/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "Tournée calculée" in page
        assert 'href="/agence/"' in page  # the nav line
        assert "Calculer une tournée" not in page

    def test_shows_each_plans_figures(self, client, planned, reader):
        """Households reached and weighted coverage come from the plan's result, read in the list's query."""
        planned.refresh_from_db()
        client.force_login(reader)
        page = client.get("/agence/").content.decode()
        reached, coverage = planned.result["households_reached"], planned.result["total_coverage"]
        assert reached == len(planned.result["reached_household_ids"]) > 0
        assert f'<td class="num">{reached}</td>' in page
        assert f'<td class="num">{coverage:.1f}</td>'.replace(".", ",") in page

    def test_query_count(self, client, landlord, planned, staff, django_assert_num_queries):
        client.force_login(staff)
        client.get(reverse("agency:plan_list"))
        with django_assert_num_queries(5):
            client.get(reverse("agency:plan_list"))
        for _ in range(4):
            TourPlanFactory(organisation=landlord)
        with django_assert_num_queries(5):
            client.get(reverse("agency:plan_list"))


class TestCreateAndCompute:
    def test_create_queues_then_the_page_shows_progress(self, client, landlord, world, staff, monkeypatch):
        """The plan is queued; the page polls its progress (htmx) and reloads itself without JavaScript."""
        client.force_login(staff)
        response = client.post(
            reverse("agency:plan_create"),
            {
                "name": "Hiver",
                "start_date": "2026-12-01",
                "weeks": "1",
                "weekdays": ["1"],
                "day_start": "08:30",
                "day_end": "17:30",
                "lunch_start": "12:00",
                "lunch_end": "13:30",
                "time_limit": "1",
                "seed": "0",
            },
        )
        plan = TourPlan.objects.get(name="Hiver")
        assert response.url == reverse("agency:plan_detail", args=[plan.pk])
        assert plan.status == PlanStatus.QUEUED and plan.created_by == staff
        page = client.get(response.url).content.decode()
        assert 'http-equiv="refresh"' in page
        assert f'hx-get="{reverse("agency:plan_progress", args=[plan.pk])}"' in page
        fragment = client.get(reverse("agency:plan_progress", args=[plan.pk]), HTTP_HX_REQUEST="true")
        assert "<progress" in fragment.content.decode() and "HX-Refresh" not in fragment

        monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        fragment = client.get(reverse("agency:plan_progress", args=[plan.pk]), HTTP_HX_REQUEST="true")
        assert fragment["HX-Refresh"] == "true"
        page = client.get(reverse("agency:plan_detail", args=[plan.pk])).content.decode()
        assert "Les Acacias" in page and 'http-equiv="refresh"' not in page

    def test_invalid_lunch_is_refused(self, client, world, staff):
        client.force_login(staff)
        response = client.post(
            reverse("agency:plan_create"),
            {
                "name": "X",
                "start_date": "2026-12-01",
                "weeks": "1",
                "weekdays": ["1"],
                "day_start": "08:30",
                "day_end": "17:30",
                "lunch_start": "13:00",
                "time_limit": "1",
                "seed": "0",
            },
        )
        assert response.status_code == 200
        assert not TourPlan.objects.filter(name="X").exists()

    def test_without_depot_the_plan_is_not_queued(self, client, landlord, staff):
        client.force_login(staff)
        response = client.post(
            reverse("agency:plan_create"),
            {
                "name": "X",
                "start_date": "2026-12-01",
                "weeks": "1",
                "weekdays": ["1"],
                "day_start": "08:30",
                "day_end": "17:30",
                "time_limit": "1",
                "seed": "0",
            },
        )
        assert response.status_code == 200
        assert "dépôt" in response.content.decode()
        assert not TourPlan.objects.filter(name="X").exists()

    def test_read_only_cannot_create(self, client, reader):
        client.force_login(reader)
        assert client.get(reverse("agency:plan_create")).status_code == 403


class TestPlanDetail:
    def test_schedule_coverage_left_out(self, client, planned, world, reader):
        """Per day the stops in order with their times; the households reached; the far stop and why."""
        client.force_login(reader)
        response = client.get(reverse("agency:plan_detail", args=[planned.pk]))
        page = response.content.decode()
        assert "<strong>5</strong> ménages atteints" in page
        assert "<strong>1</strong> ménage jamais atteint" in page
        assert "Trop loin du dépôt pour une journée" in page
        visit = Visit.objects.filter(day__plan=planned).order_by("position").first()
        assert f"{visit.start:%H:%M}" in page
        assert "menages-non-atteints" not in page  # read-only users do not see names
        assert "Publier cet horaire" not in page

    def test_comparison_with_the_current_schedule(self, client, landlord, world, manual, staff):
        services.add_visit(plan=manual, day=manual.days.order_by("date").first(), stop=world["stops"]["B"])
        plan = one_day_plan(landlord, compared_to=manual)
        services.run_planning(plan.pk, today=TODAY)
        client.force_login(staff)
        page = client.get(reverse("agency:plan_detail", args=[plan.pk])).content.decode()
        assert "La tournée actuelle « Tournée actuelle » atteint <strong>2</strong> ménages" in page
        assert "cette tournée <strong>5</strong>" in page

    def test_another_landlords_plan_is_404(self, client, staff):
        client.force_login(staff)
        other = TourPlanFactory()
        for name in ("agency:plan_detail", "agency:plan_export", "agency:plan_never_reached"):
            assert client.get(reverse(name, args=[other.pk])).status_code == 404


class TestExports:
    def test_schedule_csv(self, client, planned, reader):
        client.force_login(reader)
        response = client.get(reverse("agency:plan_export", args=[planned.pk]) + "?format=csv")
        rows = list(csv.reader(io.StringIO(text(response)), delimiter=";"))
        assert rows[0][:4] == ["date", "semaine", "ordre", "arrêt"]
        assert len(rows) == 3
        assert {rows[1][3], rows[2][3]} == {"Les Acacias", "Les Bouleaux"}
        assert [rows[1][2], rows[2][2]] == ["1", "2"]

    def test_schedule_xlsx(self, client, planned, reader):
        client.force_login(reader)
        response = client.get(reverse("agency:plan_export", args=[planned.pk]) + "?format=xlsx")
        assert b"".join(response.streaming_content)[:2] == b"PK"
        response.close()

    def test_never_reached_list_and_export_are_audited(self, client, planned, world, staff):
        """Staff see which households the plan never reaches; each showing and export is in the audit log."""
        client.force_login(staff)
        response = client.get(reverse("agency:plan_never_reached", args=[planned.pk]))
        far = world["households"]["C"][0]
        assert far.reference in response.content.decode()
        event = AuditEvent.objects.get(action=AuditAction.LIST)
        assert event.details["ids"] == [far.pk]
        response = client.get(reverse("agency:plan_never_reached", args=[planned.pk]) + "?format=csv")
        assert far.reference in text(response)
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, target_type="households.Household").count() == 1

    def test_never_reached_is_forbidden_to_read_only(self, client, planned, reader):
        client.force_login(reader)
        assert client.get(reverse("agency:plan_never_reached", args=[planned.pk])).status_code == 403


class TestManualEditsViews:
    def test_create_a_manual_plan(self, client, world, staff):
        client.force_login(staff)
        response = client.post(
            reverse("agency:plan_create_manual"),
            {
                "name": "Actuelle",
                "start_date": "2026-12-01",
                "weeks": "1",
                "weekdays": ["1", "3"],
                "day_start": "08:30",
                "day_end": "17:30",
            },
        )
        plan = TourPlan.objects.get(name="Actuelle")
        assert plan.kind == PlanKind.MANUAL and plan.status == PlanStatus.READY
        assert response.url == reverse("agency:plan_detail", args=[plan.pk])
        assert plan.days.count() == 2

    def test_add_shows_the_effect(self, client, manual, world, staff):
        """Adding A: « +3 ménages atteints » at once, and the stop is in the day's table."""
        client.force_login(staff)
        tuesday = manual.days.order_by("date").first()
        response = client.post(
            reverse("agency:visit_add", args=[manual.pk]),
            {"stop": world["stops"]["A"].pk, "day": tuesday.pk, "position": "1"},
            follow=True,
        )
        page = response.content.decode()
        assert "+3 ménages atteints" in page
        assert Visit.objects.filter(day=tuesday, stop=world["stops"]["A"]).exists()

    def test_add_too_far_warns_that_the_day_is_too_long(self, client, manual, world, staff):
        client.force_login(staff)
        tuesday = manual.days.order_by("date").first()
        response = client.post(
            reverse("agency:visit_add", args=[manual.pk]),
            {"stop": world["stops"]["C"].pk, "day": tuesday.pk},
            follow=True,
        )
        assert "dépasse 17:30" in response.content.decode()

    def test_move_and_remove(self, client, manual, world, staff):
        client.force_login(staff)
        tuesday, wednesday = manual.days.order_by("date")
        services.add_visit(plan=manual, day=tuesday, stop=world["stops"]["A"])
        visit = Visit.objects.get(day=tuesday)
        client.post(reverse("agency:visit_move", args=[manual.pk, visit.pk]), {"day": wednesday.pk, "position": "1"})
        moved = Visit.objects.get(day__plan=manual)
        assert moved.day == wednesday
        response = client.post(reverse("agency:visit_remove", args=[manual.pk, moved.pk]), follow=True)
        assert "-3 ménages atteints" in response.content.decode()
        assert not Visit.objects.filter(day__plan=manual).exists()

    def test_an_invalid_edit_changes_nothing(self, client, manual, world, staff):
        client.force_login(staff)
        response = client.post(reverse("agency:visit_add", args=[manual.pk]), {"stop": "", "day": ""}, follow=True)
        assert "n&#x27;est pas ajouté" in response.content.decode()
        assert not Visit.objects.filter(day__plan=manual).exists()

    def test_another_plans_visit_is_404(self, client, manual, planned, staff):
        client.force_login(staff)
        visit = Visit.objects.filter(day__plan=planned).first()
        url = reverse("agency:visit_remove", args=[manual.pk, visit.pk])
        assert client.post(url).status_code == 404

    def test_read_only_cannot_edit(self, client, manual, world, reader):
        client.force_login(reader)
        url = reverse("agency:visit_add", args=[manual.pk])
        assert client.post(url, {"stop": world["stops"]["A"].pk}).status_code == 403


class TestPublication:
    def test_publishing_says_the_previous_one_is_unpublished(self, client, landlord, planned, staff):
        previous = TourPlanFactory(organisation=landlord, published=True)
        client.force_login(staff)
        response = client.post(reverse("agency:plan_publish", args=[planned.pk]), follow=True)
        page = response.content.decode()
        assert "est publiée" in page and "retirée de la publication" in page
        previous.refresh_from_db()
        assert previous.published_at is None
        response = client.post(reverse("agency:plan_unpublish", args=[planned.pk]), follow=True)
        assert "n&#x27;est plus publiée" in response.content.decode()
        planned.refresh_from_db()
        assert planned.published_at is None

    def test_a_published_plan_is_not_recomputed(self, client, planned, staff):
        services.publish_plan(plan=planned)
        client.force_login(staff)
        response = client.post(reverse("agency:plan_compute", args=[planned.pk]), follow=True)
        assert "retirez-la de la publication" in response.content.decode()
        planned.refresh_from_db()
        assert planned.status == PlanStatus.READY
