"""Loading the seed schemes, the match command, the demo project, applications and alerts (database)."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from proxima.accounts.enums import Role
from proxima.demo.funding import AGENCY_SLUG, build_funding_demo
from proxima.funding import alerts, services
from proxima.funding.enums import ApplicationStatus
from proxima.funding.models import FundingLineTransition, Scheme
from tests.accounts.factories import UserFactory
from tests.funding.factories import BudgetLineFactory, ProjectFactory, SavedSearchFactory, SchemeFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 20)


def seed_entry(**changes):
    entry = dict(services.read_schemes_file()[0])
    entry.update(changes)
    return entry


class TestLoadSchemes:
    def test_seed_file_loads_and_is_idempotent(self):
        """The shipped seed set loads, then loading it again changes nothing."""
        entries = services.read_schemes_file()
        first = services.load_schemes(entries, wet_run=True)
        assert not first.errors and len(first.created) == len(entries)
        again = services.load_schemes(entries, wet_run=True)
        assert again.created == again.updated == [] and len(again.unchanged) == len(entries)

    def test_cglls_as_the_issue_states(self):
        """The CGLLS fund's strands carry the published rates and caps."""
        services.load_schemes(services.read_schemes_file(), wet_run=True)
        modernisation = Scheme.objects.get(slug="cglls-fsi-modernisation")
        innovation = Scheme.objects.get(slug="cglls-fsi-innovation")
        assert (modernisation.rate_max, modernisation.cap_per_project) == (Decimal("40"), Decimal("100000"))
        assert (innovation.rate_max, innovation.cap_per_project) == (Decimal("50"), Decimal("200000"))
        caps = set(Scheme.objects.filter(cap_group="cglls-fsi").values_list("cap_per_project", flat=True))
        assert caps == {Decimal("100000"), Decimal("200000"), Decimal("150000"), Decimal("250000")}
        for scheme in Scheme.objects.filter(cap_group="cglls-fsi"):
            assert (scheme.org_cap_amount, scheme.org_cap_months) == (Decimal("500000"), 36)
            assert scheme.min_project_cost == Decimal("3000")
            assert scheme.public_cofinancing_max_rate == Decimal("80")
            assert scheme.start_before_request_allowed is False and scheme.max_duration_months == 36
        assert "ARHlm" in modernisation.instructing_body and "Fédération" in innovation.instructing_body

    def test_every_seed_scheme_has_source_and_date(self):
        """Each seed scheme names its source and the day it was checked."""
        for entry in services.read_schemes_file():
            assert entry["source_url"].startswith("https://") and entry["checked_on"]

    def test_dry_run_writes_nothing(self):
        """Without --wet-run the loader reports and writes nothing."""
        report = services.load_schemes(services.read_schemes_file())
        assert report.created and not Scheme.objects.exists()

    def test_changed_fact_updates_the_fingerprint(self):
        """A changed fact updates the scheme and its fingerprint (which triggers alerts)."""
        services.load_schemes([seed_entry()], wet_run=True)
        before = Scheme.objects.get().fingerprint
        report = services.load_schemes([seed_entry(rate_max="45")], wet_run=True)
        assert report.updated == ["cglls-fsi-modernisation"]
        scheme = Scheme.objects.get()
        assert scheme.rate_max == Decimal("45") and scheme.fingerprint != before

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"rate_max": "140"}, "champ « rate_max » : pourcentage entre 0 et 100 attendu, lu 140"),
            ({"beneficiaries": ["martians"]}, "champ « beneficiaries » : valeurs inconnues : ['martians']"),
            ({"checked_on": "hier"}, "champ « checked_on » : date AAAA-MM-JJ attendue, lu « hier »"),
            ({"org_cap_months": None}, "champ « org_cap_months » : le plafond par organisme va avec sa période"),
            (
                {"territory_level": "department", "territory_codes": ["99"]},
                "champ « territory_codes » : codes inconnus",
            ),
            ({"themes": ["astrologie"]}, "champ « themes » : valeurs inconnues"),
        ],
    )
    def test_bad_entry_loads_nothing(self, changes, message):
        """A bad entry is reported with its place, and no scheme of the file is written."""
        entries = [seed_entry(slug="ok"), seed_entry(**changes)]
        report = services.load_schemes(entries, wet_run=True, source="x.json")
        assert any(message in e and e.startswith("x.json, dispositif n° 2") for e in report.errors), report.errors
        assert not Scheme.objects.exists()

    def test_department_scheme_gets_its_territory(self):
        """A departmental scheme is linked to its departments."""
        services.load_schemes([seed_entry(territory_level="department", territory_codes=["36", "18"])], wet_run=True)
        assert sorted(Scheme.objects.get().departments.values_list("code", flat=True)) == ["18", "36"]

    def test_command(self):
        """``proxima funding load-schemes`` is a dry run unless --wet-run."""
        out = StringIO()
        call_command("funding", "load-schemes", stdout=out)
        assert "essai" in out.getvalue() and not Scheme.objects.exists()
        call_command("funding", "load-schemes", "--wet-run", stdout=out)
        assert Scheme.objects.count() == len(services.read_schemes_file())


@pytest.fixture
def demo(landlord):
    from tests.territory.factories import SiteFactory

    SiteFactory(organisation=landlord)
    UserFactory(organisation=landlord, role=Role.STAFF)
    return build_funding_demo(landlord, today=dt.date(2026, 11, 1))


class TestDemoAndMatchCommand:
    def test_demo_project(self, demo, landlord):
        """The demo landlord's mobile agency has a budget over three years and a plan using the CGLLS fund."""
        assert demo.slug == AGENCY_SLUG
        assert demo.budget_lines.count() == 14
        assert {line.scheme.slug for line in demo.plan.lines.all()} == {
            "cglls-fsi-innovation",
            "cfppa-actions-collectives",
        }
        assert build_funding_demo(landlord, today=dt.date(2026, 11, 1)).pk == demo.pk  # rebuilt: unchanged

    def test_demo_plan_checks(self, demo):
        """The demo plan passes every check, with 60,000 € of the CGLLS cap already used by the concierge."""
        check = services.check_project_plan(demo, today=dt.date(2026, 11, 1))
        assert check.ok, check.issues
        assert check.total_cost == Decimal("389400") and check.total_funding == Decimal("170000")
        assert any("60 000 € déjà obtenus + 150 000 € demandés" in p for p in check.passed)
        assert [y.year for y in check.years] == [2027, 2028, 2029]
        assert sum(y.net_cost for y in check.years) == Decimal("219400")

    def test_match_json(self, demo, landlord):
        """The match command prints every scheme with eligible and its plain-French reasons."""
        out = StringIO()
        call_command(
            "funding", "match", "--organisation", landlord.slug, "--project", AGENCY_SLUG,
            "--format", "json", "--today", "2026-11-01", stdout=out,
        )  # fmt: skip
        data = json.loads(out.getvalue())
        by_key = {s["scheme"]: s for s in data["schemes"]}
        assert len(by_key) == Scheme.objects.count()
        assert by_key["cglls-fsi-innovation"]["eligible"] is True
        assert (
            "plafond déjà utilisé : 60 000 € sur 500 000 € sur 36 mois, reste 440 000 € (non vérifié)"
            in by_key["cglls-fsi-innovation"]["reasons"]
        )
        assert by_key["detr"]["eligible"] is False
        assert any(r.startswith("type de bénéficiaire non éligible") for r in by_key["detr"]["reasons"])
        assert (
            by_key["cglls-fsi-commun-innovation"]["reasons"][2] == "réservé aux projets communs de plusieurs bailleurs"
        )

    def test_match_text_and_unknown_project(self, demo, landlord):
        """The text format is readable; an unknown project is a clear error."""
        out = StringIO()
        call_command("funding", "match", "--organisation", landlord.slug, "--project", AGENCY_SLUG, stdout=out)
        assert "ÉLIGIBLE · CGLLS — Fonds de soutien à l'innovation : innovation" in out.getvalue()
        with pytest.raises(CommandError, match="Projet inconnu"):
            call_command("funding", "match", "--organisation", landlord.slug, "--project", "nope")


class TestApplications:
    def test_transitions_are_logged(self, landlord):
        """planned → requested → obtained → paid, each move logged with who, when and how much."""
        user = UserFactory(organisation=landlord)
        project = ProjectFactory(organisation=landlord)
        BudgetLineFactory(project=project)
        line = services.add_plan_line(project=project, scheme=SchemeFactory(), amount=Decimal("30000"))
        services.move_application(line=line, to="requested", on=TODAY, amount=Decimal("30000"), by=user)
        services.move_application(line=line, to="obtained", on=TODAY, amount=Decimal("25000"), by=user)
        services.move_application(line=line, to="paid", on=TODAY, amount=Decimal("25000"), by=user)
        assert line.status == ApplicationStatus.PAID and line.amount == Decimal("25000")
        moves = list(FundingLineTransition.objects.filter(line=line).values_list("from_status", "to_status"))
        assert moves == [("planned", "requested"), ("requested", "obtained"), ("obtained", "paid")]

    @pytest.mark.parametrize(
        ("to", "amount", "message"),
        [("obtained", Decimal("1"), "ne peut pas passer"), ("requested", None, "Indiquez le montant")],
    )
    def test_refused_moves(self, landlord, to, amount, message):
        """A move the lifecycle does not allow, or without its amount, is refused."""
        project = ProjectFactory(organisation=landlord)
        line = services.add_plan_line(project=project, scheme=SchemeFactory(), amount=Decimal("1000"))
        with pytest.raises(ValidationError, match=message):
            services.move_application(line=line, to=to, on=TODAY, amount=amount, by=None)

    def test_obtained_aid_counts_against_the_cap(self, landlord):
        """Aid obtained on another project uses the cap of its group."""
        scheme = SchemeFactory(cglls=True)
        other = ProjectFactory(organisation=landlord)
        line = services.add_plan_line(project=other, scheme=scheme, amount=Decimal("420000"))
        services.move_application(line=line, to="requested", on=dt.date(2025, 1, 1), amount=Decimal("420000"), by=None)
        services.move_application(line=line, to="obtained", on=dt.date(2025, 2, 1), amount=Decimal("420000"), by=None)
        project = ProjectFactory(organisation=landlord)
        BudgetLineFactory(project=project, amount=Decimal("300000"))
        match = services.match_project(project, today=TODAY)[0]
        assert "plafond déjà utilisé : 420 000 € sur 500 000 € sur 36 mois, reste 80 000 €" in [
            r.text for r in match.reasons
        ]
        assert match.max_aid == Decimal("80000")


class TestAlerts:
    def test_sent_once_then_again_when_changed(self, landlord, settings):
        """A due search gets new schemes once; a changed scheme is sent again; nothing new sends nothing."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        search = SavedSearchFactory(user=UserFactory(organisation=landlord), frequency="daily")
        scheme = SchemeFactory(themes=["mobilite"], name="Mobilité rurale")
        SchemeFactory(themes=["sante"])
        assert alerts.send_alerts(today=TODAY) == 1
        assert "Mobilité rurale" in mail.outbox[0].body and mail.outbox[0].to == [search.user.email]
        assert alerts.send_alerts(today=TODAY + dt.timedelta(days=1)) == 0  # nothing new
        scheme.fingerprint = "changed"
        scheme.save()
        assert alerts.send_alerts(today=TODAY + dt.timedelta(days=2)) == 1
        assert len(mail.outbox) == 2

    def test_weekly_waits_a_week(self, landlord, settings):
        """A weekly search is not sent again before seven days."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        SavedSearchFactory(user=UserFactory(organisation=landlord), frequency="weekly", criteria={})
        SchemeFactory()
        assert alerts.send_alerts(today=TODAY) == 1
        SchemeFactory()
        assert alerts.send_alerts(today=TODAY + dt.timedelta(days=6)) == 0
        assert alerts.send_alerts(today=TODAY + dt.timedelta(days=7)) == 1

    def test_search_criteria(self):
        """Search by beneficiary, department, deadline; closed schemes only on request."""
        national = SchemeFactory(name="National")
        local = SchemeFactory(name="Cher seulement", territory_level="department")
        local.departments.set(["18"])
        SchemeFactory(name="Communes", beneficiaries=["commune"])
        closed = SchemeFactory(closed=True, name="Fermé")
        soon = SchemeFactory(closes_on=TODAY + dt.timedelta(days=10), name="Bientôt")
        names = lambda rows: {r.scheme.name for r in rows}  # noqa: E731
        assert names(alerts.search_schemes({"department": "36", "beneficiary": "social_landlord"}, today=TODAY)) == {
            national.name, soon.name,
        }  # fmt: skip
        assert local.name in names(alerts.search_schemes({"department": "18"}, today=TODAY))
        assert names(alerts.search_schemes({"deadline_before": "2026-04-30"}, today=TODAY)) == {soon.name}
        assert closed.name in names(alerts.search_schemes({"include_closed": "1"}, today=TODAY))

    def test_deadlines(self, landlord):
        """Planned applications whose scheme closes soon are listed, soonest first."""
        project = ProjectFactory(organisation=landlord)
        late = SchemeFactory(closes_on=TODAY + dt.timedelta(days=50))
        early = SchemeFactory(committee_dates=[(TODAY + dt.timedelta(days=5)).isoformat()])
        far = SchemeFactory(closes_on=TODAY + dt.timedelta(days=200))
        for scheme in (late, early, far):
            services.add_plan_line(project=project, scheme=scheme, amount=Decimal("1000"))
        rows = alerts.upcoming_deadlines(landlord, today=TODAY, days=60)
        assert [r.scheme for r in rows] == [early, late]


class TestDeadlineReminders:
    def test_reminded_once_per_deadline(self, landlord, settings):
        """The landlord's admins and proximity team are told of the planned applications due within 30 days,
        once; the scheme's next committee is reminded again; requested applications and other roles are not."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        admin = UserFactory(organisation=landlord, role=Role.ADMIN)
        staff = UserFactory(organisation=landlord, role=Role.STAFF)
        UserFactory(organisation=landlord, role=Role.READ_ONLY)
        project = ProjectFactory(organisation=landlord, name="Bus de proximité")
        first, second = TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=60)
        soon = SchemeFactory(name="Comités", committee_dates=[first.isoformat(), second.isoformat()])
        far = SchemeFactory(name="Lointain", closes_on=TODAY + dt.timedelta(days=90))
        asked = SchemeFactory(name="Déjà demandé", closes_on=TODAY + dt.timedelta(days=5))
        for scheme in (soon, far, asked):
            services.add_plan_line(project=project, scheme=scheme, amount=Decimal("5000"))
        line = project.plan.lines.get(scheme=asked)
        services.move_application(
            line=line, to=ApplicationStatus.REQUESTED, on=TODAY, amount=Decimal("5000"), by=staff
        )

        assert alerts.send_deadline_reminders(today=TODAY) == 1
        message = mail.outbox[0]
        assert sorted(message.to) == sorted([admin.email, staff.email])
        assert "Comités" in message.body and "Bus de proximité" in message.body
        assert f"{first:%d/%m/%Y}" in message.body and "dans 10 jour(s)" in message.body
        assert "Lointain" not in message.body and "Déjà demandé" not in message.body

        assert alerts.send_deadline_reminders(today=TODAY + dt.timedelta(days=1)) == 0  # safe to repeat
        # Once the first committee is past, the next one is reminded when it comes within 30 days.
        assert alerts.send_deadline_reminders(today=second - dt.timedelta(days=20)) == 1
        assert f"{second:%d/%m/%Y}" in mail.outbox[1].body

    def test_command(self, landlord, settings):
        """`proxima funding reminders` sends them and says how many."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        UserFactory(organisation=landlord, role=Role.STAFF)
        project = ProjectFactory(organisation=landlord)
        services.add_plan_line(
            project=project, scheme=SchemeFactory(closes_on=TODAY + dt.timedelta(days=3)), amount=Decimal("900")
        )
        out = StringIO()
        call_command("funding", "reminders", "--today", TODAY.isoformat(), stdout=out)
        assert "1 rappel(s)" in out.getvalue() and len(mail.outbox) == 1
