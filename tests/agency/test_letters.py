"""Letters and SMS texts to the households of each stop, exported for a mail merge."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.agency.public_schedule import french_date
from proxima.agency.views import letters
from proxima.households.enums import ConsentPurpose
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory, TourPlanFactory
from tests.agency.factories_public import agency_settings, published_visit
from tests.households.factories import ConsentFactory, HouseholdFactory, PersonFactory
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

T = dt.time


def resident(site, reference, last_name="Durand"):
    return PersonFactory(
        household__dwelling__building__site=site,
        household__reference=reference,
        first_name="Jeanne",
        last_name=last_name,
    ).household


@pytest.fixture
def world(landlord):
    """Two stops 555 m apart, a walking radius of 800 m, and three sites.

    « Les Tilleuls » is at stop 1 (and 555 m from stop 2); « Le Parc » is 500 m north of stop 1 and 55 m
    from stop 2; « La Ferme » is 10 km away, out of reach.
    """
    agency_settings(landlord, walking_radius_m=800)
    tilleuls = SiteFactory(organisation=landlord, name="Les Tilleuls", latitude=46.8100, longitude=1.6900)
    parc = SiteFactory(organisation=landlord, name="Le Parc", latitude=46.8145, longitude=1.6900)
    ferme = SiteFactory(organisation=landlord, name="La Ferme", latitude=46.9000, longitude=1.6900)
    households = {
        "tilleuls": resident(tilleuls, "BAIL-T"),
        "parc": resident(parc, "BAIL-P", last_name="Petit"),
        "ferme": resident(ferme, "BAIL-F"),
    }
    stop1 = StopFactory(
        organisation=landlord,
        name="Place des Tilleuls",
        latitude=46.8100,
        longitude=1.6900,
        services="Aide aux démarches.",
    )
    stop2 = StopFactory(organisation=landlord, name="Square du Parc", latitude=46.8150, longitude=1.6900)
    visit = published_visit(landlord, days=7, stop=stop1)
    plan = visit.day.plan
    published_visit(landlord, days=14, stop=stop1, plan=plan, start=T(14, 0), end=T(16, 0))
    published_visit(landlord, days=7, stop=stop2, plan=plan, start=T(14, 0), end=T(15, 30))
    return {
        "plan": plan,
        "stop1": stop1,
        "stop2": stop2,
        "visit": visit,
        "households": households,
        "sites": (tilleuls, parc, ferme),
    }


def rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


class TestGsmText:
    def test_keeps_the_gsm_alphabet(self):
        """é, è, à and ù are in the GSM alphabet and stay; â, ê, ô, ç lose their accent; quotes become plain."""
        assert letters.gsm_text("Élise à l’école, fête de Noël, garçon") == "Élise à l'école, fete de Noel, garcon"

    def test_drops_what_has_no_gsm_form(self):
        assert letters.gsm_text("bus 🚌 ici") == "bus  ici"


class TestSmsText:
    def test_fits_one_sms_with_the_first_date_and_the_phone(self, landlord, world):
        """At most 160 GSM characters, with the first date, hours and phone."""
        visit = world["visit"]
        text = letters.sms_text(
            organisation="Office Public de l'Habitat de l'Indre",
            stop="Place des Tilleuls",
            visits=[visit],
            phone="02 54 00 00 00",
            url="https://proxima.example.fr/agence-mobile/opac-36/arret/12/",
        )
        assert len(text) <= letters.SMS_LENGTH
        assert letters.gsm_text(text) == text
        assert f"le {visit.day.date.day}/{visit.day.date.month} de 9h30 à 11h30" in text
        assert "02 54 00 00 00" in text

    def test_drops_the_link_then_dates_when_too_long(self, world):
        """A long name leaves room for the first date and the phone before the link and the later dates."""
        visits = list(world["plan"].days.get(date=world["visit"].day.date).visits.all()) * 4
        text = letters.sms_text(
            organisation="Société Anonyme d'Habitations à Loyer Modéré du Berry et de la Touraine",
            stop="Résidence du Grand Parc, entrée du bâtiment C",
            visits=visits,
            phone="02 54 00 00 00",
            url="https://proxima.example.fr/agence-mobile/sa-hlm-berry-touraine/arret/1234/",
        )
        assert len(text) <= letters.SMS_LENGTH
        assert "02 54 00 00 00" in text and "https://" not in text
        assert "Résidence du Grand Parc, entrée du ba... le " in text

    def test_needs_a_visit(self):
        with pytest.raises(ValueError, match="Expected at least one visit"):
            letters.sms_text(organisation="HLM", stop="Place", visits=[], phone="", url="")


class TestPlanExport:
    def test_one_row_per_household_about_the_nearest_stop(self, client, staff, landlord, world):
        """Households within walking distance get one row, about their nearest stop; the far one is absent."""
        client.force_login(staff)
        response = client.get(reverse("agency:plan_letters", args=[world["plan"].pk]))
        assert response.status_code == 200
        found = {row["référence du bail"]: row for row in rows(response)}
        assert set(found) == {"BAIL-T", "BAIL-P"}
        assert found["BAIL-T"]["arrêt"] == "Place des Tilleuls"
        assert found["BAIL-P"]["arrêt"] == "Square du Parc"
        tilleuls = found["BAIL-T"]
        assert tilleuls["titulaire du bail"] == "Jeanne DURAND"
        assert "Les Tilleuls" in tilleuls["adresse"] and "CHATEAUROUX" not in tilleuls["adresse"]
        assert "Châteauroux" in tilleuls["adresse"]
        first, later = (world["visit"].day.date, world["visit"].day.date + dt.timedelta(days=7))
        assert tilleuls["prochains passages"] == (
            f"{french_date(first)}, de 9 h 30 à 11 h 30 ; {french_date(later)}, de 14 h à 16 h"
        )
        assert len(tilleuls["texte du SMS"]) <= 160
        letter = tilleuls["texte du courrier"]
        assert letter.startswith("Madame, Monsieur,")
        assert f"- {french_date(first)}, de 9 h 30 à 11 h 30" in letter
        assert "Aide aux démarches." in letter and "02 54 00 00 00" in letter
        assert f"http://testserver{reverse('agency_public:stop', args=[landlord.slug, world['stop1'].pk])}" in letter

    def test_sms_consent_column(self, client, staff, world):
        """Whether the household accepted SMS (an active consent) is given, to send only to those who did."""
        ConsentFactory(household=world["households"]["parc"], purpose=ConsentPurpose.SMS)
        ConsentFactory(
            household=world["households"]["tilleuls"], purpose=ConsentPurpose.SMS, withdrawn_on=dt.date(2026, 2, 1)
        )
        client.force_login(staff)
        found = {
            r["référence du bail"]: r
            for r in rows(client.get(reverse("agency:plan_letters", args=[world["plan"].pk])))
        }
        assert found["BAIL-P"]["accepte les SMS"] == "oui"
        assert found["BAIL-T"]["accepte les SMS"] == "non"

    def test_export_is_audited(self, client, staff, world):
        """The export names households: it is in the audit trail with its count and format."""
        client.force_login(staff)
        response = client.get(reverse("agency:plan_letters", args=[world["plan"].pk]) + "?format=xlsx")
        b"".join(response.streaming_content)  # read to the end: the test client then closes the file
        event = AuditEvent.objects.get(action=AuditAction.EXPORT)
        assert event.target_type == "households.Household" and event.actor == staff
        assert event.details["count"] == 2 and event.details["format"] == "xlsx"

    def test_xlsx(self, client, staff, world):
        client.force_login(staff)
        response = client.get(reverse("agency:plan_letters", args=[world["plan"].pk]) + "?format=xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = list(sheet.values)
        assert values[0][0] == "référence du bail"
        assert sorted(v[0] for v in values[1:]) == ["BAIL-P", "BAIL-T"]

    def test_past_dates_are_not_announced(self, client, staff, landlord, world):
        """A stop whose visits in the plan are all past announces nothing: its households get no row."""
        far_stop = StopFactory(organisation=landlord, name="Ferme", latitude=46.9000, longitude=1.6900)
        published_visit(landlord, days=-3, stop=far_stop, plan=world["plan"])
        client.force_login(staff)
        found = rows(client.get(reverse("agency:plan_letters", args=[world["plan"].pk])))
        assert "BAIL-F" not in {r["référence du bail"] for r in found}

    def test_withdrawn_stop_is_not_announced(self, client, staff, world):
        """An inactive stop is off the public schedule: its households are not told to come."""
        world["stop2"].is_active = False
        world["stop2"].save()
        client.force_login(staff)
        found = rows(client.get(reverse("agency:plan_letters", args=[world["plan"].pk])))
        assert {(r["référence du bail"], r["arrêt"]) for r in found} == {
            ("BAIL-T", "Place des Tilleuls"),
            ("BAIL-P", "Place des Tilleuls"),
        }

    def test_field_agent_exports_their_sites_only(self, client, landlord, world):
        """A field agent's file holds the households of the sites entrusted to them."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        world["sites"][1].agents.add(agent)
        client.force_login(agent)
        found = rows(client.get(reverse("agency:plan_letters", args=[world["plan"].pk])))
        assert [r["référence du bail"] for r in found] == ["BAIL-P"]

    def test_unpublished_or_foreign_plan_or_bad_format(self, client, staff, landlord, other_landlord, world):
        """Letters announce the public schedule: a draft plan, another landlord's plan or a bad format is a 404."""
        client.force_login(staff)
        draft = TourPlanFactory(organisation=landlord)
        theirs = published_visit(other_landlord).day.plan
        assert client.get(reverse("agency:plan_letters", args=[draft.pk])).status_code == 404
        assert client.get(reverse("agency:plan_letters", args=[theirs.pk])).status_code == 404
        url = reverse("agency:plan_letters", args=[world["plan"].pk])
        assert client.get(url + "?format=pdf").status_code == 404

    def test_read_only_users_cannot_export(self, client, landlord, world):
        client.force_login(UserFactory(organisation=landlord, role=Role.READ_ONLY))
        assert client.get(reverse("agency:plan_letters", args=[world["plan"].pk])).status_code == 403


class TestStopExport:
    def test_households_within_walking_distance_of_the_stop(self, client, staff, world):
        """For one stop, every household within its radius, even those nearer another stop."""
        client.force_login(staff)
        url = reverse("agency:stop_letters", args=[world["plan"].pk, world["stop1"].pk])
        found = rows(client.get(url))
        assert sorted(r["référence du bail"] for r in found) == ["BAIL-P", "BAIL-T"]
        assert {r["arrêt"] for r in found} == {"Place des Tilleuls"}
        event = AuditEvent.objects.get(action=AuditAction.EXPORT)
        assert "Place des Tilleuls" in event.target_repr and event.details["count"] == 2

    def test_radius_from_the_settings(self, client, staff, landlord, world):
        """With a 300 m radius, Le Parc (500 m away) is no longer reached by the first stop."""
        settings = landlord.agency_settings
        settings.walking_radius_m = 300
        settings.save()
        client.force_login(staff)
        found = rows(client.get(reverse("agency:stop_letters", args=[world["plan"].pk, world["stop1"].pk])))
        assert [r["référence du bail"] for r in found] == ["BAIL-T"]

    def test_stop_not_in_the_plan(self, client, staff, landlord, world):
        client.force_login(staff)
        elsewhere = StopFactory(organisation=landlord)
        assert client.get(reverse("agency:stop_letters", args=[world["plan"].pk, elsewhere.pk])).status_code == 404

    def test_household_without_person(self, client, staff, world):
        """A household with no person recorded still gets its row, without a holder's name."""
        HouseholdFactory(dwelling__building__site=world["sites"][0], reference="BAIL-VIDE")
        client.force_login(staff)
        found = {
            r["référence du bail"]: r
            for r in rows(client.get(reverse("agency:stop_letters", args=[world["plan"].pk, world["stop1"].pk])))
        }
        assert found["BAIL-VIDE"]["titulaire du bail"] == ""
