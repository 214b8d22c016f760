"""Outreach pages: the list and its filters, the round sheet, the export, the outcome form, the settings, and who
sees what (a field agent only their sites, partners and read-only users nothing, another landlord nothing)."""

import csv
import datetime as dt
import html
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.households.enums import PersonRole
from proxima.households.models import Interaction
from proxima.needs.models import OutreachContact, OutreachSettings
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import InvitationFactory, ResponseFactory, small_survey
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

LIST = reverse("needs:outreach_list")
PRINT = reverse("needs:outreach_print")
SETTINGS = reverse("needs:outreach_settings")
AGENTS = reverse("needs:outreach_agents")


def recent():
    """A contact date within the default 12 months."""
    return timezone.now() - dt.timedelta(days=30)


def household(site, *, reference, birth_year=1980, persons=2, contacted=True, **kwargs):
    h = HouseholdFactory(dwelling__building__site=site, reference=reference, **kwargs)
    PersonFactory(household=h, role=PersonRole.REFERENCE, birth_year=birth_year, last_name=f"Nom{reference}")
    for _ in range(persons - 1):
        PersonFactory(household=h, role=PersonRole.SPOUSE, birth_year=birth_year)
    if contacted:
        Interaction.objects.create(
            organisation=h.organisation, household=h, occurred_at=recent(), channel="phone", source="accueil"
        )
    return h


@pytest.fixture
def sites(landlord):
    return SiteFactory(organisation=landlord, name="Les Tilleuls"), SiteFactory(
        organisation=landlord, name="Les Ormes"
    )


@pytest.fixture
def world(landlord, sites):
    """Three households of landlord A: one elderly alone (Tilleuls), one young in arrears (Ormes), one unflagged."""
    tilleuls, ormes = sites
    return {
        "alone": household(tilleuls, reference="SEUL-1", birth_year=1940, persons=1),
        "young": household(ormes, reference="JEUNE-1", birth_year=2000, arrears_amount=Decimal("420.00")),
        "calm": household(tilleuls, reference="CALME-1"),
    }


@pytest.fixture
def staff(client, landlord):
    user = UserFactory(organisation=landlord, role=Role.STAFF)
    client.force_login(user)
    return user


def references(response):
    return [row.reference for row in response.context["rows"]]


class TestList:
    def test_rows_with_reasons_in_plain_french(self, client, staff, world):
        """Flagged households in priority order, with reason, holder, phone, channel and site; others absent."""
        response = client.get(LIST)
        assert references(response) == ["SEUL-1", "JEUNE-1"]
        content = response.content.decode()
        age = timezone.localdate().year - 1940
        assert f"75 ans ou plus, vit seul ({age} ans)" in content
        assert "moins de 30 ans, en impayé (420,00 € dus)" in content
        assert "NomSEUL-1" in content and "06 39 98 12 34" in content and "téléphone" in content
        assert "Les Tilleuls" in content and "Les Ormes" in content
        assert "CALME-1" not in content

    def test_audited_with_the_ids_shown(self, client, staff, world):
        """Reading the list is logged with the households it named."""
        client.get(LIST)
        event = AuditEvent.objects.get(action=AuditAction.LIST, target_repr="liste d'aller vers")
        assert event.actor == staff
        assert event.details["ids"] == [world["alone"].pk, world["young"].pk]

    def test_filters(self, client, staff, world, sites, landlord):
        """By site, by field agent (the sites entrusted to them) and by reason."""
        tilleuls, ormes = sites
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        ormes.agents.add(agent)
        assert references(client.get(LIST, {"site": tilleuls.pk})) == ["SEUL-1"]
        assert references(client.get(LIST, {"agent": agent.pk})) == ["JEUNE-1"]
        assert references(client.get(LIST, {"reason": "young_in_arrears"})) == ["JEUNE-1"]
        assert references(client.get(LIST, {"agent": agent.pk, "site": tilleuls.pk})) == []

    def test_invalid_filter_says_so_and_lists_nothing(self, client, staff, world, other_landlord):
        """Another landlord's site or an unknown reason is refused with a message, not silently ignored."""
        theirs = SiteFactory(organisation=other_landlord)
        for query in ({"site": theirs.pk}, {"reason": "rich"}, {"agent": staff.pk}):
            response = client.get(LIST, query)
            assert references(response) == []
            assert "Les filtres ne sont pas valides" in response.content.decode()

    def test_paginated(self, client, staff, sites, settings):
        """Page numbers, the ranks carrying on from one page to the next."""
        settings.PROXIMA_PAGE_SIZE = 2
        for i in range(5):
            household(sites[0], reference=f"SEUL-{i}", birth_year=1930 + i, persons=1)
        response = client.get(LIST, {"page": 2})
        assert [row.rank for row in response.context["rows"]] == [3, 4]
        assert "Page 2 sur 3" in response.content.decode()

    def test_constant_queries(self, client, staff, sites, landlord, django_assert_num_queries):
        """The number of queries does not grow with the households listed."""
        survey = small_survey(landlord)
        OutreachSettings.objects.create(organisation=landlord, survey=survey)
        for i in range(2):
            InvitationFactory(survey=survey, household=household(sites[0], reference=f"A-{i}", contacted=False))
        # session, user, settings, households, last contacts, sites, France services, responses, invitations,
        # page households, their holders, audit, households that declined, the filter's sites and agents
        with django_assert_num_queries(15):
            client.get(LIST)
        for i in range(10):
            InvitationFactory(survey=survey, household=household(sites[i % 2], reference=f"B-{i}", persons=1))
        with django_assert_num_queries(15):
            response = client.get(LIST)
        assert len(response.context["rows"]) == 12


class TestPrintAndExport:
    def test_round_sheet(self, client, staff, world, sites):
        """A printable sheet for one site: the households, the boxes to tick, the print styles; audited."""
        response = client.get(PRINT, {"site": sites[0].pk})
        content = response.content.decode()
        assert references(response) == ["SEUL-1"]
        assert "Tournée d'aller vers · Les Tilleuls" in content
        for outcome in ("joint", "non joint", "besoin repéré", "orienté"):
            assert f'<span class="box" aria-hidden="true"></span>{outcome}</li>' in content
        assert "@media print" in content and "size: A4 landscape" in content
        assert AuditEvent.objects.filter(action=AuditAction.LIST, target_repr__contains="impression").exists()

    def test_round_sheet_is_capped(self, client, staff, sites, monkeypatch):
        """Beyond the limit, the sheet keeps the most urgent and says how many are left out."""
        monkeypatch.setattr("proxima.needs.views.outreach.PRINT_LIMIT", 2)
        for i in range(3):
            household(sites[0], reference=f"SEUL-{i}", birth_year=1930 + i, persons=1)
        response = client.get(PRINT)
        assert references(response) == ["SEUL-0", "SEUL-1"]
        assert "sur 3 signalés : seuls les 2 plus prioritaires" in response.content.decode()

    def test_csv_export_is_audited(self, client, staff, world):
        """CSV with reasons and phone, and an EXPORT event with the count."""
        response = client.get(LIST, {"format": "csv"})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][:4] == ["rang", "priorité (points)", "référence du bail", "titulaire"]
        assert [r[2] for r in rows[1:]] == ["SEUL-1", "JEUNE-1"]
        assert rows[1][4] == "0639981234" and rows[1][11] == "elderly_alone"
        event = AuditEvent.objects.get(action=AuditAction.EXPORT)
        assert (event.details["format"], event.details["count"]) == ("csv", 2)

    def test_xlsx_export(self, client, staff, world):
        """The same rows as a spreadsheet."""
        response = client.get(LIST, {"format": "xlsx", "reason": "elderly_alone"})
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["SEUL-1"]


class TestContactForm:
    def url(self, h, **query):
        return reverse("needs:outreach_contact", args=[h.pk]) + (
            f"?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else ""
        )

    def test_page_shows_reasons_and_is_audited(self, client, staff, world):
        """The household's reasons and persons; the reading is logged."""
        content = client.get(self.url(world["alone"])).content.decode()
        assert "75 ans ou plus, vit seul" in content and "NomSEUL-1" in content
        assert AuditEvent.objects.filter(action=AuditAction.READ, target_id=str(world["alone"].pk)).exists()

    def test_record_then_history_and_list(self, client, staff, sites):
        """Post/redirect/get back to the filtered list; the contact joins the history and the household leaves the list."""
        h = household(sites[0], reference="OUBLIE-1", contacted=False, move_in_date=dt.date(2010, 1, 1))
        assert references(client.get(LIST)) == ["OUBLIE-1"]
        response = client.post(
            self.url(h, site=sites[0].pk),
            {
                "outcome": "need_found",
                "channel": "phone",
                "contacted_on": timezone.localdate().isoformat(),
                "note": "Aide aux papiers.",
            },
        )
        assert response.status_code == 302 and response.url == f"{LIST}?site={sites[0].pk}"
        contact = OutreachContact.objects.get(household=h)
        assert (contact.outcome, contact.reasons, contact.recorded_by) == ("need_found", ["no_recent_contact"], staff)
        assert (contact.interaction.source, contact.interaction.note) == ("aller vers", "Aide aux papiers.")
        assert references(client.get(LIST)) == []
        detail = client.get(reverse("households:detail", args=[h.pk])).content.decode()
        assert "aller vers" in detail and "besoin repéré" in detail and "Aide aux papiers." in detail

    def test_earlier_date_is_kept(self, client, staff, world):
        """A visit recorded the day after is dated the day it happened."""
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        client.post(
            self.url(world["alone"]),
            {"outcome": "reached", "channel": "home_visit", "contacted_on": yesterday.isoformat()},
        )
        contact = OutreachContact.objects.get()
        assert timezone.localdate(contact.contacted_at) == yesterday and contact.interaction.channel == "home_visit"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({}, "Ce champ est obligatoire."),
            ({"channel": "phone", "contacted_on": "2026-01-05"}, "Ce champ est obligatoire."),
            ({"outcome": "reached", "channel": "phone", "contacted_on": "05/13/2026"}, "Saisissez une date valide."),
            (
                {"outcome": "reached", "channel": "phone", "contacted_on": "2999-01-01"},
                "La date ne peut pas être dans le futur.",
            ),
            ({"outcome": "happy", "channel": "phone", "contacted_on": "2026-01-05"}, "Sélectionnez un choix valide."),
            (
                {"outcome": "reached", "channel": "phone", "contacted_on": "2026-01-05", "note": "x" * 501},
                "au plus 500 caractères",
            ),
        ],
    )
    def test_errors_are_shown_and_nothing_is_written(self, client, staff, world, data, message):
        """A missing outcome, a bad or future date, an unknown value, a long note: the form says where and what."""
        response = client.post(self.url(world["alone"]), data)
        content = response.content.decode()
        assert response.status_code == 200
        assert "Le contact n'est pas enregistré" in content and message in content
        assert not OutreachContact.objects.exists() and not Interaction.objects.filter(source="aller vers").exists()


class TestHouseholdPage:
    def test_shows_flags_and_history(self, client, staff, world):
        """The household's page lists its current outreach reasons and its contacts."""
        content = client.get(reverse("households:detail", args=[world["young"].pk])).content.decode()
        assert "Ce ménage figure aujourd'hui sur la liste d'aller vers" in content
        assert "moins de 30 ans, en impayé" in content
        assert "Historique des contacts" in content and "accueil" in content

    def test_unflagged(self, client, staff, world):
        """No rule: said plainly."""
        content = client.get(reverse("households:detail", args=[world["calm"].pk])).content.decode()
        assert "Aucune règle d'aller vers ne signale ce ménage aujourd'hui." in content


class TestSettings:
    def test_save_thresholds_and_survey(self, client, staff, landlord, world):
        """Thresholds in French decimal notation and the organisation's own survey; then the list uses them."""
        survey = small_survey(landlord)
        response = client.post(SETTINGS, {"no_contact_months": "3", "far_km": "12,5", "survey": survey.pk})
        assert response.status_code == 302
        settings = OutreachSettings.objects.get(organisation=landlord)
        assert (settings.no_contact_months, settings.far_km, settings.survey) == (3, Decimal("12.5"), survey)
        assert "aucun contact enregistré depuis 3 mois" in client.get(LIST).content.decode()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"no_contact_months": "0", "far_km": "10"}, "Saisissez un nombre de mois entre 1 et 120."),
            ({"no_contact_months": "121", "far_km": "10"}, "Saisissez un nombre de mois entre 1 et 120."),
            ({"no_contact_months": "", "far_km": "10"}, "Ce champ est obligatoire."),
            ({"no_contact_months": "12", "far_km": "0"}, "Saisissez une distance entre 0,1 et 999,9 km."),
            ({"no_contact_months": "12", "far_km": "1000"}, "Saisissez une distance entre 0,1 et 999,9 km."),
            ({"no_contact_months": "12", "far_km": "2,25"}, "un chiffre après la virgule au plus"),
            ({"no_contact_months": "12", "far_km": "dix"}, "Saisissez un nombre."),
        ],
    )
    def test_invalid_thresholds(self, client, staff, landlord, data, message):
        """Out-of-range values are refused with the field's message; nothing is saved."""
        content = client.post(SETTINGS, data).content.decode()
        assert "Les réglages ne sont pas enregistrés" in content and message in content
        assert not OutreachSettings.objects.exists()

    def test_another_landlords_survey_is_not_a_choice(self, client, staff, other_landlord):
        """Only the organisation's surveys can be the reference."""
        response = client.post(
            SETTINGS, {"no_contact_months": "12", "far_km": "10", "survey": small_survey(other_landlord).pk}
        )
        assert "Sélectionnez un choix valide" in response.content.decode()
        assert not OutreachSettings.objects.exists()

    def test_assign_agents(self, client, staff, landlord, sites):
        """Ticking boxes entrusts sites to field agents; the agent then sees those sites' households."""
        tilleuls, ormes = sites
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT, first_name="Aline", last_name="Terrain")
        page = client.get(SETTINGS).content.decode()
        assert (
            f'name="site_{tilleuls.pk}" value="{agent.pk}"' in page and "Les Tilleuls confiée à Aline Terrain" in page
        )
        response = client.post(AGENTS, {f"site_{ormes.pk}": [agent.pk]})
        assert response.status_code == 302
        assert list(agent.assigned_sites.all()) == [ormes]

    def test_a_staff_member_cannot_be_assigned(self, client, staff, landlord, sites):
        """Only field agents: anyone else is refused with the site named, and nothing changes."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        sites[0].agents.add(agent)
        response = client.post(AGENTS, {f"site_{sites[0].pk}": [staff.pk]})
        content = response.content.decode()
        assert "L'affectation n'est pas enregistrée" in content and "Les Tilleuls" in content
        assert list(sites[0].agents.all()) == [agent]


class TestAccess:
    def test_field_agent_sees_only_their_sites(self, client, landlord, world, sites):
        """Own sites only, no agent filter, and a 404 on another site's household form."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        sites[1].agents.add(agent)
        client.force_login(agent)
        response = client.get(LIST)
        assert references(response) == ["JEUNE-1"]
        assert "agent" not in response.context["form"].fields
        assert "SEUL-1" not in b"".join(client.get(LIST, {"format": "csv"}).streaming_content).decode()
        assert references(client.get(PRINT)) == ["JEUNE-1"]
        assert client.get(reverse("needs:outreach_contact", args=[world["alone"].pk])).status_code == 404
        assert (
            client.post(
                reverse("needs:outreach_contact", args=[world["alone"].pk]), {"outcome": "reached"}
            ).status_code
            == 404
        )
        assert client.get(reverse("needs:outreach_contact", args=[world["young"].pk])).status_code == 200
        assert client.get(LIST, {"site": sites[0].pk}).context["rows"] == []
        assert client.get(SETTINGS).status_code == 403

    @pytest.mark.parametrize("role", [Role.READ_ONLY, "partner"])
    def test_read_only_and_partner_are_refused(self, client, landlord, world, role):
        """Neither a read-only user nor a partner sees the named list, its answers-derived reasons or the form."""
        if role == "partner":
            user = UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER)
        else:
            user = UserFactory(organisation=landlord, role=role)
        client.force_login(user)
        for url in (
            LIST,
            PRINT,
            f"{LIST}?format=csv",
            SETTINGS,
            reverse("needs:outreach_contact", args=[world["alone"].pk]),
        ):
            assert client.get(url).status_code == 403, url
        assert client.post(AGENTS).status_code == 403

    def test_another_landlord_never_sees_ours(self, client, world, other_landlord):
        """Another landlord's admin gets their own (empty) list and a 404 on our households."""
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        response = client.get(LIST)
        assert references(response) == []
        assert "SEUL-1" not in response.content.decode()
        assert "SEUL-1" not in b"".join(client.get(LIST, {"format": "csv"}).streaming_content).decode()
        assert client.get(reverse("needs:outreach_contact", args=[world["alone"].pk])).status_code == 404

    def test_survey_reasons_and_non_respondents(self, client, staff, landlord, sites):
        """Reasons from the reference survey: hardship and isolation named with their needs; non-respondents."""
        survey = small_survey(landlord)
        OutreachSettings.objects.create(organisation=landlord, survey=survey)
        answered = household(sites[0], reference="REP-1")
        ResponseFactory(survey=survey, household=answered, needs=["charges_burden", "isolation"])
        InvitationFactory(survey=survey, household=household(sites[0], reference="SILENCE-1"))
        content = html.unescape(client.get(LIST).content.decode())
        assert "l'enquête signale des difficultés (difficulté à payer loyer et charges)" in content
        assert "l'enquête signale un isolement (isolement)" in content
        assert "n'a pas répondu à l'enquête" in content
