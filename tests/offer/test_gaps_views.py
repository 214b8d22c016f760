"""Needs versus offer from the database: who is concerned, which services count, the page and its household lists."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.households.enums import PersonRole
from proxima.needs.models import OutreachSettings
from proxima.offer import gap_services, gaps
from proxima.territory.models import Commune
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import ResponseFactory, SurveyFactory, SurveyVersionFactory
from tests.offer.factories import PartnerFactory, ServiceFactory, ServiceHoursFactory
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

LIST = reverse("gaps:list")
TODAY = timezone.localdate()
PARAMS = gaps.GapParams()


def households_url(level, key, need):
    return reverse("gaps:households", args=[level, key, need])


def export_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def world(landlord):
    """Two sites in Châteauroux 15 km apart, one in Issoudun; households concerned for different reasons."""
    s1 = SiteFactory(organisation=landlord, name="Les Tilleuls", latitude=46.81, longitude=1.69)
    s2 = SiteFactory(organisation=landlord, name="Les Chênes", latitude=46.81, longitude=1.89)
    s3 = SiteFactory(
        organisation=landlord,
        name="Le Moulin",
        latitude=46.95,
        longitude=1.99,
        commune=Commune.objects.get(code="36088"),
    )
    survey = SurveyFactory(organisation=landlord)
    version = SurveyVersionFactory(survey=survey)

    def household(site, reference, *, birth_years=(1970, 1972), **fields):
        h = HouseholdFactory(dwelling__building__site=site, reference=reference, **fields)
        for i, year in enumerate(birth_years):
            PersonFactory(household=h, birth_year=year, role=PersonRole.REFERENCE if i == 0 else PersonRole.SPOUSE)
        h.refresh_from_db()
        return h

    def answer(h, needs, *, months_ago=1):
        ResponseFactory(
            survey=survey,
            version=version,
            household=h,
            needs=needs,
            collected_on=TODAY - dt.timedelta(days=30 * months_ago),
        )

    h1 = household(s1, "H1-ENQUETE")
    answer(h1, ["digital_help", "isolation"])
    h2 = household(s1, "H2-SEUL", birth_years=(TODAY.year - 80,))
    h3 = household(s2, "H3-JEUNE", birth_years=(TODAY.year - 25,), arrears_amount=Decimal("300"))
    h4 = household(s3, "H4-SANS-VOITURE", has_car=False)
    h5 = household(s1, "H5-ANCIENNE")
    answer(h5, ["health_access"], months_ago=30)
    h6 = household(s1, "H6-REVU")
    answer(h6, ["digital_access"], months_ago=6)
    ResponseFactory(
        survey=SurveyFactory(organisation=landlord),
        version=SurveyVersionFactory(),
        household=h6,
        needs=[],
        collected_on=TODAY - dt.timedelta(days=10),
    )
    household(s3, "H7-RIEN")
    # Every site is "far" from France services at 0.1 km: the household without a car is flagged for mobility.
    OutreachSettings.objects.create(organisation=landlord, far_km=Decimal("0.1"))
    return {"sites": (s1, s2, s3), "households": (h1, h2, h3, h4, h5, h6)}


class TestSignals:
    def test_who_is_concerned(self, landlord, world):
        """Survey needs (latest response, not too old) and the outreach rules that are needs."""
        signals = gap_services.load_signals(organisation=landlord, today=TODAY, params=PARAMS)
        h1, h2, h3, h4, _, _ = world["households"]
        needs = {pk: (sorted(s.needs), s.reasons) for pk, s in signals.items()}
        assert needs == {
            h1.pk: (["digital_help", "isolation"], ()),
            h2.pk: (["isolation"], ("elderly_alone",)),
            h3.pk: (["charges_burden"], ("young_in_arrears",)),
            h4.pk: (["mobility"], ("no_car_far",)),
        }

    def test_counts_per_site(self, landlord, world):
        """Households concerned are counted per site and need."""
        s1, s2, s3 = world["sites"]
        signals = gap_services.load_signals(organisation=landlord, today=TODAY, params=PARAMS)
        assert set(gap_services.count_needs(signals)) == {
            gaps.NeedCount(s1.pk, "digital_help", 1),
            gaps.NeedCount(s1.pk, "isolation", 2),
            gaps.NeedCount(s2.pk, "charges_burden", 1),
            gaps.NeedCount(s3.pk, "mobility", 1),
        }

    def test_older_responses_with_a_longer_window(self, landlord, world):
        """A 36-month window reads the 30-month-old response too."""
        signals = gap_services.load_signals(
            organisation=landlord, today=TODAY, params=gaps.GapParams(survey_months=36)
        )
        assert "health_access" in signals[world["households"][4].pk].needs

    def test_only_some_sites(self, landlord, world):
        """Restricted to sites, only their households are read."""
        s1, _, _ = world["sites"]
        signals = gap_services.load_signals(organisation=landlord, today=TODAY, params=PARAMS, site_ids=[s1.pk])
        assert set(signals) == {world["households"][0].pk, world["households"][1].pk}

    def test_other_landlord_households_ignored(self, landlord, world, other_landlord):
        """Another landlord's households never count."""
        PersonFactory(household__dwelling__building__site__organisation=other_landlord, birth_year=1930)
        signals = gap_services.load_signals(organisation=landlord, today=TODAY, params=PARAMS)
        assert len(signals) == 4


class TestServices:
    def test_places_hours_and_selection(self, landlord, world):
        """Running services only (own ones included), with all their places and their weekdays."""
        s1, _, _ = world["sites"]
        club = ServiceFactory(organisation=landlord, themes=["remobilisation--lien-social"], capacity=10)
        club.sites.add(s1)
        club.stops.add(StopFactory(organisation=landlord, latitude=46.90, longitude=1.80))
        club.communes.add(Commune.objects.get(code="36088"))
        ServiceHoursFactory(service=club, weekday=0)
        ServiceHoursFactory(service=club, weekday=3)
        ServiceFactory(organisation=landlord, own=True, themes=["sante--acces-aux-soins"], remote=True)
        ServiceFactory(organisation=landlord, draft=True)
        ServiceFactory(organisation=landlord, partner=PartnerFactory(organisation=landlord, is_active=False))
        ServiceFactory(organisation=landlord, end_date=TODAY - dt.timedelta(days=1))
        sites = gap_services.load_sites(landlord)
        offers = {o.name: o for o in gap_services.load_services(landlord, today=TODAY, sites=sites)}
        assert len(offers) == 2
        offer = offers[club.name]
        issoudun = Commune.objects.get(code="36088")
        chateauroux = Commune.objects.get(code="36044")
        assert set(offer.places) == {
            (46.81, 1.69),
            (46.90, 1.80),
            (issoudun.latitude, issoudun.longitude),
            (chateauroux.latitude, chateauroux.longitude),  # the reception address's commune
        }
        assert (offer.capacity, offer.open_weekdays) == (10, frozenset({0, 3}))
        own = next(o for o in offers.values() if o.name != club.name)
        assert (own.remote, own.open_weekdays) == (True, None)


class TestPage:
    @pytest.fixture
    def offer(self, landlord, world):
        """A social club at Les Tilleuls, open one day; a partner covering Issoudun and mobility."""
        s1, _, _ = world["sites"]
        club = ServiceFactory(
            organisation=landlord, name="Club du lundi", themes=["remobilisation--lien-social"], capacity=1
        )
        club.sites.add(s1)
        ServiceHoursFactory(service=club, weekday=0)
        PartnerFactory(
            organisation=landlord, name="Mobilité 36", themes=["mobilite--financer-ma-mobilite"], covered=["36088"]
        )
        return club

    def test_ranked_gaps_with_partners(self, client, landlord, world, offer):
        """By commune: Châteauroux's isolation is partly covered (capacity, days); the partner is suggested."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        response = client.get(LIST)
        rows = list(response.context["rows"])
        found = {(r.coverage.territory.key, r.coverage.need): r for r in rows}
        isolation = found["36044", "isolation"]
        assert (isolation.coverage.households, isolation.coverage.reached) == (2, 2)
        assert isolation.reasons == [
            "capacité de 1 ménage pour 2 ménages concernés à portée",
            "ouvert 1 jour par semaine (2 attendus)",
        ]
        assert isolation.services == ["Club du lundi"]
        mobility = found["36088", "mobility"]
        assert mobility.status_label == "non couvert"
        assert mobility.reasons == ["aucun service ouvert du catalogue ne répond à ce besoin"]
        assert mobility.partners == ["Mobilité 36 (couvre le thème et le territoire)"]
        assert rows[0].coverage.households >= rows[-1].coverage.households
        assert isolation.households_url == households_url("commune", "36044", "isolation")

    def test_thresholds_from_the_url(self, client, landlord, world, offer):
        """Thresholds in the URL change the rules, and follow the link to the households."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        response = client.get(LIST, {"min_days": 1, "capacity_percent": 50, "show": "all"})
        isolation = next(
            r
            for r in response.context["rows"]
            if r.coverage.need == "isolation" and r.coverage.territory.key == "36044"
        )
        assert isolation.status_label == "couvert"
        assert isolation.households_url.endswith("?min_days=1&capacity_percent=50")

    def test_levels(self, client, landlord, world, offer):
        """By site, the isolation of Les Tilleuls is one territory; by EPCI, the two communes pool."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        by_site = client.get(LIST, {"level": "site", "show": "all"}).context["rows"]
        assert {r.coverage.territory.name for r in by_site} >= {"Les Tilleuls", "Les Chênes", "Le Moulin"}
        by_epci = client.get(LIST, {"level": "epci", "show": "all"}).context["rows"]
        assert all(r.coverage.territory.level == "epci" for r in by_epci)

    def test_reader_sees_counts_without_links(self, client, landlord, world, offer):
        """A read-only user reads the gaps but gets no link to the households, and cannot open the list."""
        client.force_login(UserFactory(organisation=landlord, role=Role.READ_ONLY))
        rows = list(client.get(LIST).context["rows"])
        assert rows and all(r.households_url == "" for r in rows)
        assert client.get(households_url("commune", "36044", "isolation")).status_code == 403

    def test_export(self, client, landlord, world, offer):
        """The gaps export as CSV with the reasons and the partners."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        rows = export_rows(client.get(LIST, {"format": "csv"}))
        assert rows[0][:7] == ["rang", "territoire", "niveau", "code", "besoin", "thème", "ménages concernés"]
        mobility = next(r for r in rows if r[3] == "36088" and r[4] == "difficulté à se déplacer")
        assert mobility[9] == "non couvert" and "Mobilité 36" in mobility[15]

    def test_constant_queries(self, client, landlord, world, offer, django_assert_num_queries):
        """The page's queries do not grow with households, services or partners."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        # session, user, sites, outreach settings, France services, flagged households, responses, services,
        # their themes, sites, stops, communes, hours, partners, their themes, their communes
        with django_assert_num_queries(16):
            client.get(LIST)
        s1, _, _ = world["sites"]
        for i in range(5):
            PersonFactory(household__dwelling__building__site=s1, household__reference=f"X{i}", birth_year=1930)
            ServiceFactory(organisation=landlord, themes=["sante--acces-aux-soins"]).sites.add(s1)
            PartnerFactory(organisation=landlord, themes=["sante--acces-aux-soins"], covered=["36044"])
        with django_assert_num_queries(16):
            client.get(LIST)


class TestHouseholds:
    def test_lists_and_audits(self, client, landlord, world):
        """The households of Châteauroux concerned by isolation, with why; the display is audited."""
        staff = UserFactory(organisation=landlord, role=Role.STAFF)
        client.force_login(staff)
        response = client.get(households_url("commune", "36044", "isolation"))
        rows = [(r["household"].reference, r["why"]) for r in response.context["rows"]]
        assert rows == [("H1-ENQUETE", "réponse à une enquête"), ("H2-SEUL", "75 ans ou plus, vit seul")]
        event = AuditEvent.objects.get(action=AuditAction.LIST, actor=staff)
        assert sorted(event.details["ids"]) == sorted(h.pk for h in world["households"][:2])
        assert reverse("referrals:create_household", args=[world["households"][0].pk]) in response.content.decode()

    def test_export_audited(self, client, landlord, world):
        """The export lists the same households and is audited."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        rows = export_rows(client.get(households_url("commune", "36044", "isolation"), {"format": "csv"}))
        assert [r[0] for r in rows] == ["référence du bail", "H1-ENQUETE", "H2-SEUL"]
        assert AuditEvent.objects.get(action=AuditAction.EXPORT).details["count"] == 2

    def test_site_and_no_epci_keys(self, client, landlord, world):
        """A site's key is its id; Issoudun's households are found through its EPCI."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        _, s2, _ = world["sites"]
        response = client.get(households_url("site", s2.pk, "charges_burden"))
        assert [r["household"].reference for r in response.context["rows"]] == ["H3-JEUNE"]
        epci = Commune.objects.get(code="36088").epci_id
        response = client.get(households_url("epci", epci, "mobility"))
        assert [r["household"].reference for r in response.context["rows"]] == ["H4-SANS-VOITURE"]

    @pytest.mark.parametrize(
        ("level", "key", "need"),
        [("region", "36044", "isolation"), ("commune", "36044", "happiness"), ("commune", "75056", "isolation")],
    )
    def test_unknown_is_404(self, client, landlord, world, level, key, need):
        """An unknown level, need, or a commune where the landlord has no site, is a 404."""
        client.force_login(UserFactory(organisation=landlord, role=Role.STAFF))
        assert client.get(households_url(level, key, need)).status_code == 404

    def test_other_landlord_site(self, client, world, other_landlord):
        """Another landlord's staff get a 404 on our site."""
        s1, _, _ = world["sites"]
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        assert client.get(households_url("site", s1.pk, "isolation")).status_code == 404
