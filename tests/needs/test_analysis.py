"""The needs analysis's loader and tables, on a survey small enough to check by hand.

The world (``two_sites``): site A in Châteauroux with 4 households, site B in Issoudun with 2, a
survey targeting both. Respondents: a1 and a2 in A (both isolated), b1 (paperwork help) and b2
(nothing) in B. So 4 respondents out of 6 households; unweighted, isolation is 2/4 and paperwork 1/4.
Raked on sites (weights 4/2 = 2 in A, 2/2 = 1 in B): isolation (2 + 2) / 6 = 2/3, paperwork 1/6.
"""

import dataclasses
import datetime as dt

import pytest

from proxima.households.enums import PersonRole
from proxima.needs import analysis
from proxima.needs.enums import Channel, Need
from proxima.territory.models import Commune
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.needs.factories import ResponseFactory, small_survey
from tests.territory.factories import DwellingFactory, SiteFactory

ON = dt.date(2026, 11, 2)
SMALL_CELLS = analysis.AnalysisParams(min_respondents=2, min_cell_respondents=2)


def household(site, *, persons=1, birth_year=1950, **kwargs):
    """A household of ``site`` whose lease holder was born in ``birth_year``, with ``persons`` occupants."""
    h = HouseholdFactory(dwelling=DwellingFactory(building__site=site), **kwargs)
    PersonFactory(household=h, birth_year=birth_year, role=PersonRole.REFERENCE)
    for _ in range(persons - 1):
        PersonFactory(household=h, birth_year=2010, role=PersonRole.CHILD)
    return h


@pytest.fixture
def two_sites(landlord):
    site_a = SiteFactory(organisation=landlord, name="Résidence A")
    site_b = SiteFactory(organisation=landlord, name="Résidence B", commune=Commune.objects.get(code="36088"))
    survey = small_survey(landlord, sites=[site_a, site_b])
    a1 = household(site_a, with_arrears=True)
    a2 = household(site_a)
    household(site_a)
    household(site_a, birth_year=None)  # the lease holder's age is unknown
    b1 = household(site_b, persons=2)
    b2 = household(site_b, persons=2)
    outside = household(SiteFactory(organisation=landlord, name="Résidence C"))
    for h, channel, needs in [
        (a1, Channel.PHONE, [Need.ISOLATION]),
        (a2, Channel.WEB, [Need.ISOLATION]),
        (b1, Channel.PAPER, [Need.PAPERWORK_HELP]),
        (b2, Channel.PHONE, []),
        (outside, Channel.PHONE, [Need.ISOLATION]),  # not targeted: counted apart
        (None, Channel.WEB, [Need.ISOLATION]),  # anonymous, through the public link
    ]:
        ResponseFactory(survey=survey, household=h, channel=channel, needs=needs)
    return {"survey": survey, "site_a": site_a, "site_b": site_b}


class TestBands:
    @pytest.mark.parametrize(
        ("birth_year", "band"),
        [
            (1997, "<30"),
            (1996, "30-44"),
            (1981, "45-59"),
            (1967, "45-59"),
            (1966, "60-74"),
            (1951, "75+"),
            (1920, "75+"),
            (None, "unknown"),
        ],
    )
    def test_age_band(self, birth_year, band):
        """The age reached during the analysis year decides the band: 30 in 2026 is 30-44."""
        assert analysis.age_band(birth_year, 2026) == band

    @pytest.mark.parametrize(("persons", "band"), [(0, "unknown"), (1, "1"), (4, "4"), (5, "5+"), (9, "5+")])
    def test_size_band(self, persons, band):
        """Households of 5 or more share a band; a household without recorded occupant is unknown."""
        assert analysis.size_band(persons) == band


@pytest.mark.django_db
class TestLoadSurveyData:
    def test_population_is_the_targeted_sites(self, two_sites):
        """Only the households of the survey's sites are the population, counted by segment."""
        site_a, site_b = two_sites["site_a"].pk, two_sites["site_b"].pk
        data = analysis.load_survey_data(two_sites["survey"], on=ON)
        assert data.population == 6
        assert data.totals["site"] == {site_a: 4, site_b: 2}
        assert data.totals["arrears"] == {True: 1, False: 5}
        a = analysis.load_survey_data(two_sites["survey"], on=ON, territory=("site", site_a))
        b = analysis.load_survey_data(two_sites["survey"], on=ON, territory=("site", site_b))
        assert a.totals["age"] == {"75+": 3, "unknown": 1}
        assert b.totals["size"] == {"2": 2}
        assert b.totals["commune"] == {"36088": 2}
        assert data.needs == (Need.ISOLATION, Need.PAPERWORK_HELP)
        assert len(data.respondents) == 4
        assert {h.site_id for h, _ in data.respondents} == {site_a, site_b}

    def test_targeting_a_commune_takes_its_sites(self, landlord, two_sites):
        """A survey targeting a commune reaches every site of the landlord in it."""
        survey = two_sites["survey"]
        survey.sites.clear()
        survey.communes.set(["36088"])
        data = analysis.load_survey_data(survey, on=ON)
        assert set(data.totals["site"]) == {two_sites["site_b"].pk}

    def test_no_target_means_every_household(self, landlord, two_sites):
        """A survey targeting nothing concerns all the organisation's households, and no other landlord's."""
        HouseholdFactory()  # another organisation's
        survey = two_sites["survey"]
        survey.sites.clear()
        assert analysis.load_survey_data(survey, on=ON).population == 7

    def test_query_count_does_not_grow_with_households(self, two_sites, django_assert_num_queries):
        """A handful of aggregate queries, whatever the number of households and responses."""
        with django_assert_num_queries(6):
            analysis.load_survey_data(two_sites["survey"], on=ON)


@pytest.mark.django_db
class TestResponseRates:
    def test_rates_by_channel_territory_and_segment(self, two_sites):
        """n / N overall, by channel, site, commune and segment; anonymous and outside answers apart."""
        rates = analysis.response_rates(analysis.load_survey_data(two_sites["survey"], on=ON))
        assert (rates.overall.respondents, rates.overall.households) == (4, 6)
        assert rates.overall.rate == pytest.approx(4 / 6)
        channels = {c.channel: (c.responses, c.share, c.rate) for c in rates.by_channel}
        assert channels == {"phone": (2, 0.5, 2 / 6), "web": (1, 0.25, 1 / 6), "paper": (1, 0.25, 1 / 6)}
        sites = {r.label: (r.respondents, r.households) for r in rates.by_dimension["site"]}
        assert sites == {"Résidence A": (2, 4), "Résidence B": (2, 2)}
        communes = [(r.key, r.respondents, r.households) for r in rates.by_dimension["commune"]]
        assert communes == [("36044", 2, 4), ("36088", 2, 2)]
        assert [(r.label, r.respondents, r.households) for r in rates.by_dimension["arrears"]] == [
            ("en impayé", 1, 1),
            ("sans impayé", 3, 5),
        ]
        assert [(r.key, r.respondents, r.households) for r in rates.by_dimension["size"]] == [("1", 2, 4), ("2", 2, 2)]
        assert [(r.key, r.respondents) for r in rates.by_dimension["age"]] == [("75+", 4), ("unknown", 0)]
        assert (rates.anonymous, rates.outside) == (1, 1)


@pytest.mark.django_db
class TestAnalyseNeeds:
    def test_raked_on_sites_when_every_site_has_enough_respondents(self, two_sites):
        """Sites weigh 2 and 1: isolation is 2/3 raked against 1/2 unweighted, paperwork 1/6 against 1/4."""
        data = analysis.load_survey_data(two_sites["survey"], on=ON)
        result = analysis.analyse_needs(data, dimensions=["site"], params=SMALL_CELLS)
        assert result.weighting.territory == "site"
        assert [m.code for m in result.weighting.margins] == ["age", "size", "site"]
        assert result.weighting.converged
        assert result.weighting.empty_categories == ("tranche d'âge du titulaire du bail : âge inconnu",)
        overall = {e.need: e for e in result.estimates[None]}
        isolation, paperwork = overall[Need.ISOLATION], overall[Need.PAPERWORK_HELP]
        assert (isolation.respondents, isolation.with_need, isolation.households) == (4, 2, 6)
        assert isolation.share == pytest.approx(2 / 3)
        assert isolation.unweighted_share == pytest.approx(1 / 2)
        assert isolation.low <= isolation.share <= isolation.high
        assert isolation.unweighted_low < 0.5 < isolation.unweighted_high
        assert paperwork.share == pytest.approx(1 / 6)
        assert paperwork.unweighted_share == pytest.approx(1 / 4)
        by_site = {e.label: e for e in result.for_need("site", Need.ISOLATION)}
        assert by_site["Résidence A"].share == pytest.approx(1.0)
        assert by_site["Résidence B"].share == pytest.approx(0.0)
        assert by_site["Résidence A"].households == 4

    def test_communes_pooled_when_sites_are_too_small(self, two_sites):
        """Under 10 respondents a site, the territory margin is the commune; small communes are pooled."""
        data = analysis.load_survey_data(two_sites["survey"], on=ON)
        result = analysis.analyse_needs(data)
        assert result.weighting.territory == "commune"
        territory = result.weighting.margins[2]
        assert territory.pooled == ("Châteauroux (36044)", "Issoudun (36088)")
        # Everything pooled: the weights are uniform, so raked and unweighted shares agree.
        isolation = result.for_need(None, Need.ISOLATION)[0]
        assert isolation.share == pytest.approx(isolation.unweighted_share) == pytest.approx(0.5)
        assert not isolation.reliable  # 4 respondents < 10

    def test_domains_without_respondents_are_listed_without_figures(self, two_sites):
        """A segment where nobody answered is shown with its households and no share, never a made-up one."""
        data = analysis.load_survey_data(two_sites["survey"], on=ON)
        result = analysis.analyse_needs(data, dimensions=["age"], params=SMALL_CELLS)
        unknown = [e for e in result.for_need("age", Need.ISOLATION) if e.domain == "unknown"][0]
        assert (unknown.households, unknown.respondents, unknown.share, unknown.reliable) == (1, 0, None, False)

    def test_no_respondent_no_estimate(self, landlord):
        """A survey nobody answered has no weighting and no estimates."""
        site = SiteFactory(organisation=landlord)
        household(site)
        data = analysis.load_survey_data(small_survey(landlord, sites=[site]), on=ON)
        result = analysis.analyse_needs(data, dimensions=["site"])
        assert result.weighting is None
        assert result.estimates == {}

    def test_one_territory(self, two_sites):
        """A territory's summary counts only its households and their respondents."""
        local = analysis.load_survey_data(two_sites["survey"], on=ON, territory=("commune", "36088"))
        rates = analysis.response_rates(local)
        assert (rates.overall.respondents, rates.overall.households) == (2, 2)


class TestAnalysisParams:
    @pytest.mark.parametrize(
        "changes", [{"min_respondents": 0}, {"min_cell_respondents": 0}, {"confidence": 1.0}, {"confidence": 0}]
    )
    def test_invalid(self, changes):
        """Thresholds below 1 and confidences outside (0, 1) are refused."""
        with pytest.raises(ValueError, match="Expected"):
            dataclasses.replace(analysis.AnalysisParams(), **changes)
