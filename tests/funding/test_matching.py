"""The pure matching module, on projects small enough to check by hand (no database)."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest

from proxima.funding import matching as m

TODAY = dt.date(2026, 3, 20)
NATIONAL = m.SchemeTerritory()
INDRE = m.Territory(
    communes=frozenset({"36044"}),
    epcis=frozenset({"243600327"}),
    departments=frozenset({"36"}),
    regions=frozenset({"24"}),
)


def project(**changes) -> m.Project:
    """A 150,000 € project over two years: 100,000 € of operating costs and 50,000 € of investment."""
    base = m.Project(
        beneficiary="social_landlord",
        territory=INDRE,
        themes=frozenset({"mobilite"}),
        stage="delivery",
        lines=(
            m.BudgetLine(2026, "staff", "operating", D("60000"), D("1")),
            m.BudgetLine(2026, "vehicle", "investment", D("50000")),
            m.BudgetLine(2027, "staff", "operating", D("40000"), D("1")),
        ),
        start_on=dt.date(2026, 6, 1),
        request_on=dt.date(2026, 4, 1),
        duration_months=24,
    )
    return replace(base, **changes)


def scheme(**changes) -> m.Scheme:
    """A CGLLS-like strand: 40 % up to 100,000 €, 500,000 € per organisation over 36 months."""
    base = m.Scheme(
        key="fsi-modernisation",
        name="FSI modernisation",
        beneficiaries=frozenset({"social_landlord"}),
        rate_max=D("40"),
        cap_per_project=D("100000"),
        cap_group="fsi",
        org_cap_amount=D("500000"),
        org_cap_months=36,
        public_cofinancing_max_rate=D("80"),
        min_project_cost=D("3000"),
        start_before_request_allowed=False,
        max_duration_months=36,
    )
    return replace(base, **changes)


def one(s=None, p=None, awards=(), today=TODAY) -> m.Match:
    return m.match_schemes(p or project(), [s or scheme()], awards, today=today)[0]


def refusals(match: m.Match) -> list[str]:
    return [r.text for r in match.reasons if not r.ok]


class TestSchemeStatus:
    @pytest.mark.parametrize(
        ("opens_on", "closes_on", "archived", "expected"),
        [
            (None, None, False, m.OPEN),
            (None, dt.date(2026, 5, 1), False, m.OPEN),  # 42 days left
            (None, dt.date(2026, 4, 19), False, m.CLOSING),  # 30 days left
            (None, TODAY, False, m.CLOSING),  # last day
            (None, dt.date(2026, 3, 19), False, m.CLOSED),
            (dt.date(2026, 4, 1), None, False, m.UPCOMING),
            (None, None, True, m.ARCHIVED),
            (None, dt.date(2026, 3, 19), True, m.ARCHIVED),
        ],
    )
    def test_status(self, opens_on, closes_on, archived, expected):
        """Each status follows from the dates and today."""
        assert m.scheme_status(opens_on=opens_on, closes_on=closes_on, archived=archived, today=TODAY) == expected


class TestValidation:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"rate_max": D("120")}, "rate_max between 0 and 100"),
            ({"rate_min": D("50"), "rate_max": D("40")}, "rate_min <= rate_max"),
            ({"org_cap_months": None}, "org_cap_amount and org_cap_months together"),
            ({"opens_on": dt.date(2026, 5, 1), "closes_on": dt.date(2026, 4, 1)}, "opens_on <= closes_on"),
        ],
    )
    def test_invalid_scheme(self, changes, message):
        """An inconsistent scheme is refused with a message naming the field."""
        with pytest.raises(ValueError, match=message):
            scheme(**changes)

    def test_invalid_territory_level(self):
        """An unknown territory level is refused."""
        with pytest.raises(ValueError, match="territory level"):
            m.SchemeTerritory("canton")


class TestMatchReasons:
    def test_eligible_with_every_yes(self):
        """A project meeting every rule is eligible, each rule saying why, with the most the scheme can give."""
        match = one()
        assert match.eligible
        assert [r.text for r in match.reasons] == [
            "ouvert en continu",
            "bénéficiaire éligible : organisme HLM",
            "dispositif national",
            "montant minimum atteint (3 000 €)",
            "durée admise (24 mois sur 36 au plus)",
            "le projet démarre après la demande",
            "plafond déjà utilisé : 0 € sur 500 000 € sur 36 mois, reste 500 000 €",
            "aide possible : jusqu'à 60 000 € (40 % de 150 000 €, plafond 100 000 € par projet, "
            "reste 500 000 € pour l'organisme)",
        ]
        assert match.max_aid == D("60000")

    def test_closed(self):
        """A scheme whose last day has passed is closed since the next day."""
        match = one(scheme(closes_on=dt.date(2026, 3, 11)))
        assert not match.eligible
        assert refusals(match) == ["fermé depuis le 12/03/2026 (dernier jour de dépôt : 11/03/2026)"]

    def test_archived(self):
        """An archived scheme is no longer offered."""
        assert refusals(one(scheme(archived=True))) == ["dispositif archivé : il n'est plus proposé"]

    def test_closing_and_upcoming_stay_eligible(self):
        """A scheme closing soon or opening later is still worth preparing for."""
        closing = one(scheme(closes_on=dt.date(2026, 3, 30)))
        assert closing.eligible and closing.reasons[0].text == "ouvert, ferme le 30/03/2026 (dans 10 jours)"
        upcoming = one(scheme(opens_on=dt.date(2026, 9, 1)))
        assert upcoming.eligible and upcoming.reasons[0].text == "ouvre le 01/09/2026"

    def test_next_committee(self):
        """A permanent scheme with committees gives the next committee as its deadline."""
        match = one(scheme(committee_dates=(dt.date(2026, 2, 1), dt.date(2026, 6, 18))))
        assert match.reasons[0].text == "ouvert en continu, prochain comité le 18/06/2026"
        assert match.deadline == dt.date(2026, 6, 18)

    def test_beneficiary_not_eligible(self):
        """A landlord cannot apply to a scheme for communes."""
        match = one(scheme(beneficiaries=frozenset({"commune", "epci"})))
        assert refusals(match) == [
            "type de bénéficiaire non éligible : organisme HLM "
            "(bénéficiaires éligibles : commune, intercommunalité (EPCI))"
        ]

    def test_joint_only(self):
        """A strand for joint projects refuses a landlord alone and accepts a joint project."""
        assert refusals(one(scheme(joint_only=True))) == ["réservé aux projets communs de plusieurs bailleurs"]
        assert one(scheme(joint_only=True), project(joint=True)).eligible

    @pytest.mark.parametrize(
        ("territory", "eligible", "text"),
        [
            (m.SchemeTerritory("department", frozenset({"36"}), "Indre"), True, "territoire couvert : Indre"),
            (
                m.SchemeTerritory("region", frozenset({"24"}), "Centre-Val de Loire"),
                True,
                "territoire couvert : Centre-Val de Loire",
            ),
            (
                m.SchemeTerritory("epci", frozenset({"243600327"}), "CA Châteauroux Métropole"),
                True,
                "territoire couvert : CA Châteauroux Métropole",
            ),
            (
                m.SchemeTerritory("commune", frozenset({"36044"}), "Châteauroux"),
                True,
                "territoire couvert : Châteauroux",
            ),
            (
                m.SchemeTerritory("department", frozenset({"18"}), "Cher"),
                False,
                "territoire non couvert : le dispositif couvre Cher",
            ),
            (
                m.SchemeTerritory("commune", frozenset({"18033"}), "Bourges"),
                False,
                "territoire non couvert : le dispositif couvre Bourges",
            ),
        ],
    )
    def test_territory(self, territory, eligible, text):
        """A local scheme covers the project when one of its places is in the scheme's area."""
        match = one(scheme(territory=territory))
        assert match.eligible is eligible
        assert text in [r.text for r in match.reasons]

    def test_territory_missing(self):
        """A project without a commune cannot be placed in a local scheme's area."""
        match = one(
            scheme(territory=m.SchemeTerritory("department", frozenset({"36"}), "Indre")),
            project(territory=m.Territory()),
        )
        assert refusals(match) == ["territoire du projet non renseigné (le dispositif couvre : Indre)"]

    def test_theme(self):
        """The project needs one theme of the scheme; labels are used when given."""
        labels = {"sante": "Santé", "numerique": "Numérique", "mobilite": "Mobilité"}
        refused = m.match_schemes(
            project(), [scheme(themes=frozenset({"sante", "numerique"}))], today=TODAY, theme_labels=labels
        )[0]
        assert refusals(refused) == ["aucun thème du projet n'est éligible (thèmes du dispositif : Numérique, Santé)"]
        accepted = m.match_schemes(
            project(), [scheme(themes=frozenset({"mobilite"}))], today=TODAY, theme_labels=labels
        )[0]
        assert "thème éligible : Mobilité" in [r.text for r in accepted.reasons]

    def test_stage(self):
        """A scheme for design and delivery refuses a service already running."""
        match = one(scheme(stages=frozenset({"design", "delivery"})), project(stage="operation"))
        assert refusals(match) == ["étape non éligible : fonctionnement (étapes éligibles : conception, réalisation)"]

    def test_expense_type(self):
        """An investment scheme refuses a project with only operating costs, and bases its rate on investment."""
        operating_only = project(lines=(m.BudgetLine(2026, "staff", "operating", D("60000")),))
        match = one(scheme(expense_types=frozenset({"investment"})), operating_only)
        assert (
            "type de dépense non éligible : le dispositif finance investissement, le projet n'a aucune dépense de ce type"
            in refusals(match)
        )
        assert one(scheme(expense_types=frozenset({"investment"}))).max_aid == D("20000")  # 40 % of 50,000 €

    def test_below_minimum(self):
        """A project below the minimum size is refused with both amounts."""
        small = project(lines=(m.BudgetLine(2026, "purchases", "operating", D("2500")),))
        assert refusals(one(p=small)) == ["projet en dessous du montant minimum : 2 500 € pour 3 000 € au moins"]

    def test_too_long(self):
        """A project longer than the scheme allows is refused."""
        assert refusals(one(p=project(duration_months=48))) == ["durée trop longue : 48 mois pour 36 mois au plus"]

    def test_start_before_request(self):
        """Starting before (or on the day of) the request is refused when the scheme forbids it."""
        started = project(start_on=dt.date(2026, 2, 1), request_on=dt.date(2026, 4, 1))
        assert refusals(one(p=started)) == [
            "démarrage avant la demande non autorisé : démarrage le 01/02/2026, demande le 01/04/2026"
        ]
        no_request = project(start_on=dt.date(2026, 3, 1), request_on=None)
        assert refusals(one(p=no_request)) == [
            "démarrage avant la demande non autorisé : démarrage le 01/03/2026, aucune demande envoyée"
        ]
        assert one(scheme(start_before_request_allowed=True), started).eligible
        assert one(scheme(start_before_request_allowed=None), started).eligible

    def test_org_cap_partly_used(self):
        """Aid obtained within the period lowers what remains; older aid no longer counts."""
        awards = [
            m.Award("fsi", dt.date(2024, 5, 1), D("420000")),
            m.Award("fsi", dt.date(2023, 3, 20), D("80000")),  # 36 months ago to the day: out of the period
            m.Award("other", dt.date(2025, 1, 1), D("999999")),
        ]
        match = one(awards=awards)
        assert match.eligible
        assert "plafond déjà utilisé : 420 000 € sur 500 000 € sur 36 mois, reste 80 000 €" in [
            r.text for r in match.reasons
        ]
        assert match.max_aid == D("60000")
        assert one(scheme(rate_max=D("60")), awards=awards).max_aid == D("80000")  # the remainder binds

    def test_org_cap_used_up(self):
        """Once the cap per organisation is used up, the scheme says no."""
        match = one(awards=[m.Award("fsi", dt.date(2025, 1, 1), D("500000"))])
        assert refusals(match) == ["plafond déjà utilisé : 500 000 € sur 500 000 € sur 36 mois"]
        assert match.max_aid is None

    def test_not_checked(self):
        """A reason resting on a fact nobody checked says so."""
        match = one(scheme(unchecked=frozenset({"beneficiaries"})))
        assert "bénéficiaire éligible : organisme HLM (non vérifié)" in [r.text for r in match.reasons]

    def test_to_dict(self):
        """The JSON form has eligible and the reasons as sentences."""
        data = one(scheme(closes_on=dt.date(2026, 3, 11))).to_dict()
        assert data["eligible"] is False
        assert data["reasons"][0] == "fermé depuis le 12/03/2026 (dernier jour de dépôt : 11/03/2026)"


class TestUsedByGroup:
    def test_period_ends_today(self):
        """Awards after today do not count; the period is the months before today."""
        awards = [m.Award("g", dt.date(2026, 3, 21), D("10")), m.Award("g", dt.date(2025, 3, 21), D("5"))]
        assert m.used_by_group(awards, "g", 12, TODAY) == D("5")

    def test_month_end(self):
        """Going back months from the 31st lands on the month's last day."""
        assert m._months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


FSI = scheme()
INNOVATION = scheme(key="fsi-innovation", name="FSI innovation", rate_max=D("50"), cap_per_project=D("200000"))
REGION = scheme(
    key="region",
    name="Région",
    cap_group="",
    org_cap_amount=None,
    org_cap_months=None,
    public_cofinancing_max_rate=None,
    rate_min=D("10"),
    rate_max=D("30"),
    cap_per_project=None,
    expense_types=frozenset({"investment"}),
)
PRIVATE = scheme(
    key="foundation",
    name="Fondation",
    is_public=False,
    public_cofinancing_max_rate=None,
    cap_group="",
    org_cap_amount=None,
    org_cap_months=None,
    rate_max=None,
    cap_per_project=None,
)
SCHEMES = {s.key: s for s in (FSI, INNOVATION, REGION, PRIVATE)}


def plan(*lines, awards=(), p=None):
    return m.check_plan(p or project(), [m.PlanLine(k, D(a)) for k, a in lines], SCHEMES, awards, today=TODAY)


class TestCheckPlan:
    def test_valid_plan_and_net_cost_by_year(self):
        """60,000 € FSI + 15,000 € Région on 150,000 €: every check passes; the rest is paid year by year."""
        check = plan(("fsi-modernisation", "60000"), ("region", "15000"))
        assert check.ok, check.issues
        assert check.total_funding == D("75000") and check.net_cost == D("75000")
        assert check.public_funding == D("75000")
        # FSI spread on all costs (110,000 € in 2026, 40,000 € in 2027); Région on the 2026 vehicle only.
        assert [(y.year, y.cost, y.funding, y.net_cost) for y in check.years] == [
            (2026, D("110000"), D("59000.00"), D("51000.00")),
            (2027, D("40000"), D("16000.00"), D("24000.00")),
        ]
        assert "FSI modernisation : taux de 40 %, maximum 40 %" in check.passed

    def test_rate_above_maximum(self):
        """Asking 45 % of the eligible cost is above a 40 % rate."""
        check = plan(("fsi-modernisation", "67500"))
        assert check.issues == (
            "FSI modernisation : 67 500 € font 45 % du coût éligible (150 000 €), au-delà du taux maximum de 40 %",
        )

    def test_rate_below_minimum(self):
        """Asking 4 % of a scheme's eligible cost is below its 10 % floor."""
        check = plan(("region", "2000"))
        assert check.issues == ("Région : 4 % du coût éligible, en dessous du taux minimum de 10 %",)

    def test_cap_per_project(self):
        """An amount within the rate but above the cap per project is refused."""
        big = project(lines=(m.BudgetLine(2026, "staff", "operating", D("400000")),))
        check = plan(("fsi-modernisation", "120000"), p=big)
        assert check.issues == ("FSI modernisation : 120 000 € dépasse le plafond par projet de 100 000 €",)

    def test_org_cap_over_period_across_strands(self):
        """Two strands of one fund share its cap: what was obtained plus what the plan asks must fit."""
        awards = [m.Award("fsi", dt.date(2025, 6, 1), D("420000"))]
        check = plan(("fsi-modernisation", "50000"), ("fsi-innovation", "40000"), awards=awards)
        assert (
            "FSI modernisation : 420 000 € déjà obtenus + 90 000 € demandés = 510 000 €, au-delà du plafond de "
            "500 000 € par organisme sur 36 mois"
        ) in check.issues

    def test_public_cofinancing_limit(self):
        """Public aid above 80 % of the cost breaks the FSI's rule; private aid does not count."""
        small = project(lines=(m.BudgetLine(2026, "vehicle", "investment", D("10000")),))
        check = plan(("fsi-modernisation", "4000"), ("region", "3000"), ("foundation", "2000"), p=small)
        assert check.ok  # 70 % public
        check = plan(("fsi-modernisation", "4000"), ("fsi-innovation", "5000"), p=small)
        assert (
            "financements publics : 9 000 €, soit 90 % du coût (10 000 €), au-delà des 80 % admis par FSI modernisation"
        ) in check.issues

    def test_funding_above_cost(self):
        """The plan cannot bring more than the project costs."""
        small = project(lines=(m.BudgetLine(2026, "purchases", "operating", D("10000")),))
        check = plan(("foundation", "12000"), p=small)
        assert check.issues == (
            "le plan finance 12 000 € pour un coût de 10 000 € : les aides dépassent le coût du projet",
        )

    def test_ineligible_scheme_in_plan(self):
        """A scheme the project is not eligible for is flagged with its reasons."""
        check = plan(("fsi-modernisation", "10000"), p=project(duration_months=48))
        assert check.issues[0] == (
            "FSI modernisation : dispositif non éligible (durée trop longue : 48 mois pour 36 mois au plus)"
        )

    def test_non_positive_amount(self):
        """A line must ask for a positive amount."""
        assert plan(("foundation", "0")).issues == ("Fondation : le montant doit être positif (0 €)",)


class TestFormat:
    @pytest.mark.parametrize(
        ("amount", "text"),
        [(D("420000"), "420 000 €"), (D("1234.5"), "1 234,50 €"), (D("0"), "0 €"), (D("-5"), "-5 €")],
    )
    def test_euros(self, amount, text):
        """Amounts read the French way."""
        assert m.format_euros(amount) == text

    def test_rate(self):
        """Rates drop useless decimals and use a decimal comma."""
        assert m.format_rate(D("40.00")) == "40 %" and m.format_rate(D("12.5")) == "12,5 %"
