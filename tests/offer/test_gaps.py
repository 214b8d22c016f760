"""The needs-versus-offer rules on a territory small enough to check by hand (no database).

Two communes of one EPCI. Commune A holds sites S1 (46.80 N, 1.70 E) and S2, 0.2° of longitude east of S1
(15.2 km at that latitude); commune B holds S3, 0.4° of latitude north of S1 (44.5 km). The services:

- a social club at S1: isolation, capacity 12, open Monday and Wednesday;
- a digital workshop at S1: digital help, no known capacity, open Tuesday only;
- a transport service 0.8° north of S3 (89 km): mobility, no hours recorded.

Households concerned: isolation S1 10, S2 5, S3 4; digital help S1 8; health access S1 2; mobility S3 3.
With a reach of 10 km, only S1's households are within reach of the club and the workshop.
"""

import dataclasses

import pytest

from proxima.offer import gaps
from proxima.offer.gaps import (
    CAPACITY,
    COMMUNE,
    COVERED,
    DISTANCE,
    EPCI,
    NO_SERVICE,
    NOT_COVERED,
    OPENING_DAYS,
    PARTLY_COVERED,
    SITE,
    TOO_FAR,
    GapParams,
    NeedCount,
    PartnerOffer,
    ServiceOffer,
    Site,
)

S1, S2, S3 = Site(1, 46.80, 1.70), Site(2, 46.80, 1.90), Site(3, 47.20, 1.70)
SITES = [S1, S2, S3]
CLUB = ServiceOffer(
    10,
    "Club des aînés",
    frozenset({"remobilisation--lien-social"}),
    places=((46.80, 1.70),),
    capacity=12,
    open_weekdays=frozenset({0, 2}),
)
WORKSHOP = ServiceOffer(
    11,
    "Atelier numérique",
    frozenset({"numerique--maitriser-les-fondamentaux-du-numerique"}),
    places=((46.80, 1.70),),
    open_weekdays=frozenset({1}),
)
TRANSPORT = ServiceOffer(
    12, "Transport à la demande", frozenset({"mobilite--financer-ma-mobilite"}), places=((48.0, 1.70),)
)
SERVICES = [CLUB, WORKSHOP, TRANSPORT]
COUNTS = [
    NeedCount(1, "isolation", 10),
    NeedCount(2, "isolation", 5),
    NeedCount(3, "isolation", 4),
    NeedCount(1, "digital_help", 8),
    NeedCount(1, "health_access", 2),
    NeedCount(3, "mobility", 3),
]
PLACES = {1: ("A", "E"), 2: ("A", "E"), 3: ("B", "E")}
NAMES = {"site_names": {1: "S1", 2: "S2", 3: "S3"}, "commune_names": {"A": "A", "B": "B"}, "epci_names": {"E": "E"}}
PARAMS = GapParams(max_distance_km=10, min_open_days=2)


def territories(level):
    return gaps.group_territories(PLACES, level=level, **NAMES)


def report(level=COMMUNE, services=SERVICES, params=PARAMS, partners=()):
    return gaps.compute_gaps(SITES, COUNTS, territories(level), services, partners, params)


def coverage(result, key, need):
    return next(c for c in result.coverages if c.territory.key == key and c.need == need)


class TestCoverage:
    def test_partly_covered_by_distance(self):
        """In A, the club reaches S1's 10 households, not S2's 5 (15.2 km): partly covered, by distance."""
        c = coverage(report(), "A", "isolation")
        assert (c.households, c.reached, c.beyond_reach) == (15, 10, 5)
        assert (c.status, c.reasons) == (PARTLY_COVERED, (DISTANCE,))
        assert (c.services, c.capacity, c.open_days, c.nearest_km) == ((10,), 12, 2, 0.0)

    def test_capacity_below_households_within_reach(self):
        """With a 20 km reach the club reaches all 15 of A, but follows 12 at once: partly covered, by capacity."""
        c = coverage(report(params=dataclasses.replace(PARAMS, max_distance_km=20)), "A", "isolation")
        assert (c.reached, c.status, c.reasons) == (15, PARTLY_COVERED, (CAPACITY,))

    def test_capacity_share(self):
        """The capacity need cover only the share asked: 12 >= 0.5 × 15, so A is covered."""
        params = dataclasses.replace(PARAMS, max_distance_km=20, capacity_share=0.5)
        assert coverage(report(params=params), "A", "isolation").status == COVERED

    def test_opening_days_too_few(self):
        """The workshop opens one day a week, fewer than the two asked: partly covered, by opening days."""
        c = coverage(report(), "A", "digital_help")
        assert (c.households, c.reached, c.capacity, c.open_days) == (8, 8, None, 1)
        assert (c.status, c.reasons) == (PARTLY_COVERED, (OPENING_DAYS,))

    def test_opening_days_not_judged_without_hours(self):
        """A service within reach without hours recorded: the opening days are unknown, not few."""
        workshop = dataclasses.replace(WORKSHOP, open_weekdays=None)
        c = coverage(report(services=[CLUB, workshop, TRANSPORT]), "A", "digital_help")
        assert (c.open_days, c.status) == (None, COVERED)

    def test_no_service(self):
        """No service of the catalogue answers health access: not covered, no service."""
        c = coverage(report(), "A", "health_access")
        assert (c.status, c.reasons, c.reached, c.nearest_km) == (NOT_COVERED, (NO_SERVICE,), 0, None)

    def test_too_far(self):
        """B's isolated households are 44.5 km from the club: not covered, too far, and the distance is said."""
        c = coverage(report(), "B", "isolation")
        assert (c.status, c.reasons, c.reached, c.services) == (NOT_COVERED, (TOO_FAR,), 0, ())
        assert c.nearest_km == pytest.approx(44.5, abs=0.1)
        assert coverage(report(), "B", "mobility").nearest_km == pytest.approx(89.0, abs=0.1)

    def test_remote_service_reaches_everyone(self):
        """A transport service also rendered remotely reaches B's households, unless remote services are not counted."""
        remote = dataclasses.replace(TRANSPORT, remote=True)
        assert coverage(report(services=[CLUB, WORKSHOP, remote]), "B", "mobility").status == COVERED
        params = dataclasses.replace(PARAMS, remote_reaches_all=False)
        assert coverage(report(services=[CLUB, WORKSHOP, remote], params=params), "B", "mobility").reasons == (
            TOO_FAR,
        )

    def test_epci_pools_its_communes(self):
        """The EPCI adds up its communes: 19 isolated households, 10 within reach, the club counted once."""
        c = coverage(report(level=EPCI), "E", "isolation")
        assert (c.households, c.reached, c.capacity, c.status, c.reasons) == (19, 10, 12, PARTLY_COVERED, (DISTANCE,))

    def test_site_level(self):
        """Site by site, S1 is covered for isolation and S2 is out of reach."""
        result = report(level=SITE)
        assert coverage(result, "1", "isolation").status == COVERED
        assert coverage(result, "2", "isolation").reasons == (TOO_FAR,)

    def test_needs_without_households_are_left_out(self):
        """Only the (territory, need) pairs with households concerned are assessed, in the needs' order."""
        assert [(c.territory.key, c.need) for c in report().coverages] == [
            ("A", "isolation"),
            ("A", "digital_help"),
            ("A", "health_access"),
            ("B", "isolation"),
            ("B", "mobility"),
        ]

    def test_service_without_place_reaches_nobody(self):
        """A service in person with no place recorded reaches no household, and has no distance."""
        lost = dataclasses.replace(CLUB, places=())
        c = coverage(report(services=[lost]), "A", "isolation")
        assert (c.status, c.reasons, c.nearest_km) == (NOT_COVERED, (TOO_FAR,), None)


class TestRanking:
    def test_gaps_ranked_by_households(self):
        """Gaps come most households first; covered pairs are not gaps."""
        assert [(g.territory.key, g.need, g.households) for g in report().gaps] == [
            ("A", "isolation", 15),
            ("A", "digital_help", 8),
            ("B", "isolation", 4),
            ("B", "mobility", 3),
            ("A", "health_access", 2),
        ]

    def test_not_covered_before_partly_covered_on_a_tie(self):
        """For as many households, a need not covered at all comes before one partly covered."""
        counts = [NeedCount(1, "digital_help", 4), NeedCount(3, "isolation", 4)]
        result = gaps.compute_gaps(SITES, counts, territories(COMMUNE), SERVICES, (), PARAMS)
        assert [(g.territory.key, g.status) for g in result.gaps] == [("B", NOT_COVERED), ("A", PARTLY_COVERED)]


class TestPartners:
    PARTNERS = [
        PartnerOffer(1, "Les Petits Frères", frozenset({"remobilisation--lien-social"}), frozenset({"B"})),
        PartnerOffer(2, "CCAS de A", frozenset(), frozenset({"A"})),
        PartnerOffer(3, "Maison de santé", frozenset({"sante--acces-aux-soins"}), frozenset()),
        PartnerOffer(4, "Amicale", frozenset({"remobilisation--lien-social"}), frozenset()),
    ]

    def partners_of(self, key, need):
        result = report(partners=self.PARTNERS)
        gap = next(g for g in result.gaps if g.territory.key == key and g.need == need)
        return [(m.name, m.covers_theme, m.covers_area) for m in gap.partners]

    def test_theme_and_area_first(self):
        """A partner covering both the need's theme and the area comes first, then the theme, then the area."""
        assert self.partners_of("B", "isolation") == [("Les Petits Frères", True, True), ("Amicale", True, False)]
        assert self.partners_of("A", "isolation") == [
            ("Amicale", True, False),
            ("Les Petits Frères", True, False),
            ("CCAS de A", False, True),
        ]

    def test_theme_only(self):
        """For health access, the health centre covers the theme and the CCAS the commune."""
        assert self.partners_of("A", "health_access") == [("Maison de santé", True, False), ("CCAS de A", False, True)]

    def test_limit(self):
        """At most ``max_partners`` suggestions per gap."""
        result = report(partners=self.PARTNERS, params=dataclasses.replace(PARAMS, max_partners=1))
        assert all(len(g.partners) <= 1 for g in result.gaps)


class TestMapping:
    def test_household_needs(self):
        """A household's needs: its survey's, and those of its outreach reasons (elderly alone is isolation)."""
        assert gaps.household_needs({"digital_help"}, ["elderly_alone", "non_respondent"]) == {
            "digital_help",
            "isolation",
        }
        assert gaps.household_needs((), ["young_in_arrears", "no_car_far"]) == {"charges_burden", "mobility"}

    def test_every_theme_is_known(self):
        """Every theme of the mapping is a theme a service may have (data·inclusion's or the landlord's)."""
        from proxima.offer.reference import theme_labels

        assert set().union(*gaps.NEED_THEMES.values()) <= set(theme_labels())


class TestTerritories:
    def test_grouping(self):
        """Sites grouped by commune and EPCI; a commune outside any EPCI falls in "communes hors EPCI"."""
        places = {**PLACES, 4: ("C", "")}
        epcis = gaps.group_territories(places, level=EPCI, **NAMES)
        assert [(t.key, t.name, t.site_ids, t.communes) for t in epcis] == [
            ("", "communes hors EPCI", (4,), frozenset({"C"})),
            ("E", "E", (1, 2, 3), frozenset({"A", "B"})),
        ]
        assert [t.site_ids for t in gaps.group_territories(places, level=COMMUNE, **NAMES)] == [(1, 2), (3,), (4,)]

    def test_unknown_level(self):
        """Only site, commune and EPCI are levels."""
        with pytest.raises(ValueError, match="level"):
            gaps.group_territories(PLACES, level="region", **NAMES)


class TestParams:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("max_distance_km", 0, "max_distance_km > 0"),
            ("max_distance_km", float("inf"), "finite"),
            ("min_open_days", 8, "min_open_days"),
            ("capacity_share", 0, "capacity_share"),
            ("capacity_share", 1.5, "capacity_share"),
            ("survey_months", 0, "survey_months"),
            ("max_partners", -1, "max_partners"),
        ],
    )
    def test_invalid(self, field, value, message):
        """Each threshold out of its range is refused, naming it."""
        with pytest.raises(ValueError, match=message):
            GapParams(**{field: value})


class TestCodes:
    def test_needs_are_the_needs_app_codes(self):
        """The mapping names every need of the needs app, in its order, and nothing else."""
        from proxima.needs.enums import Need

        assert tuple(Need.values) == gaps.NEEDS

    def test_outreach_reasons_exist(self):
        """Each outreach reason the mapping reads is a reason of the outreach rules."""
        from proxima.needs import outreach

        assert set(gaps.OUTREACH_NEEDS) <= set(outreach.REASONS)
        assert set(gaps.OUTREACH_NEEDS.values()) <= set(gaps.NEEDS)
