"""Match a project to funding schemes, and check a co-financing plan against every rule of its schemes.

Plain data in, plain data out: nothing here imports Django, and the day is passed in (``today``), so the same
inputs always give the same sentences. ``proxima/funding/services.py`` builds the inputs from the database.

Every decision comes with a reason in plain French, one per rule, so that a project leader reads *why* a scheme
is open to them or not (« fermé depuis le 12/03/2026 », « plafond déjà utilisé : 420 000 € sur 500 000 € sur
36 mois »). A fact of a scheme that nobody has checked against its source adds « (non vérifié) » to the reasons
that rest on it.

Amounts are euros (``Decimal``); rates are percentages (``Decimal("40")`` is 40 %).
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

# Status of a scheme on a given day.
UPCOMING = "upcoming"
OPEN = "open"
CLOSING = "closing"
CLOSED = "closed"
ARCHIVED = "archived"
CLOSING_DAYS = 30

# Closed vocabularies, with the French words the sentences use (proxima/funding/enums.py holds the same codes).
BENEFICIARIES = {
    "social_landlord": "organisme HLM",
    "landlord_group": "groupement de bailleurs sociaux",
    "association": "association",
    "commune": "commune",
    "epci": "intercommunalité (EPCI)",
    "department": "département",
    "public_body": "établissement public",
    "company": "entreprise",
}
STAGES = {"design": "conception", "delivery": "réalisation", "operation": "fonctionnement"}
EXPENSE_TYPES = {"operating": "fonctionnement", "investment": "investissement"}
TERRITORY_LEVELS = ("national", "region", "department", "epci", "commune")

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
NOT_CHECKED = " (non vérifié)"


@lru_cache(maxsize=4096)
def format_euros(amount: Decimal | int) -> str:
    """``Decimal("420000")`` → ``"420 000 €"``; cents only when there are some."""
    amount = Decimal(amount).quantize(CENT, ROUND_HALF_UP)
    whole, cents = divmod(abs(amount), 1)
    text = f"{int(whole):,}".replace(",", " ")
    if cents:
        text += "," + f"{cents:.2f}"[2:]
    return f"{'-' if amount < 0 else ''}{text} €"


@lru_cache(maxsize=1024)
def format_rate(rate: Decimal) -> str:
    """``Decimal("40.00")`` → ``"40 %"``, ``Decimal("12.5")`` → ``"12,5 %"``."""
    rate = Decimal(rate).quantize(Decimal("0.1"), ROUND_HALF_UP).normalize()
    return f"{rate:f}".replace(".", ",") + " %"


@lru_cache(maxsize=4096)
def format_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Territory:
    """Where a project takes place: its communes and the EPCI, departments and regions they belong to."""

    communes: frozenset[str] = frozenset()
    epcis: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def codes(self, level: str) -> frozenset[str]:
        return {
            "commune": self.communes,
            "epci": self.epcis,
            "department": self.departments,
            "region": self.regions,
        }[level]


@dataclass(frozen=True)
class SchemeTerritory:
    """The area a scheme covers: national, or a set of regions, departments, EPCI or communes (codes)."""

    level: str = "national"
    codes: frozenset[str] = frozenset()
    label: str = ""

    def __post_init__(self):
        if self.level not in TERRITORY_LEVELS:
            raise ValueError(f"Expected a territory level in {TERRITORY_LEVELS}, got {self.level!r}.")


@dataclass(frozen=True)
class Scheme:
    """A funding scheme (or one strand of it) as published. ``None`` means the source says nothing.

    Parameters
    ----------
    themes, stages, expense_types
        Empty means every theme, stage, or type of expense.
    cap_group
        Schemes that share one cap per organisation (the strands of one fund) have the same group.
    org_cap_amount, org_cap_months
        At most ``org_cap_amount`` euros obtained by one organisation over the last ``org_cap_months`` months.
    public_cofinancing_max_rate
        Total public funding of the project, this scheme included, as a percentage of its total cost.
    min_project_cost
        Smallest eligible cost (euros, as the source states it, e.g. TTC).
    closes_on
        The last day to apply.
    unchecked
        Names of the facts nobody has checked against the source (the field names above).
    """

    key: str
    name: str
    beneficiaries: frozenset[str]
    territory: SchemeTerritory = SchemeTerritory()
    themes: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    expense_types: frozenset[str] = frozenset()
    rate_min: Decimal | None = None
    rate_max: Decimal | None = None
    cap_per_project: Decimal | None = None
    cap_group: str = ""
    org_cap_amount: Decimal | None = None
    org_cap_months: int | None = None
    public_cofinancing_max_rate: Decimal | None = None
    min_project_cost: Decimal | None = None
    start_before_request_allowed: bool | None = None
    max_duration_months: int | None = None
    joint_only: bool = False
    is_public: bool = True
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    committee_dates: tuple[dt.date, ...] = ()
    archived: bool = False
    unchecked: frozenset[str] = frozenset()

    def __post_init__(self):
        for name in ("rate_min", "rate_max", "public_cofinancing_max_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                raise ValueError(f"Expected {name} between 0 and 100, got {value}.")
        if self.rate_min is not None and self.rate_max is not None and self.rate_min > self.rate_max:
            raise ValueError("Expected rate_min <= rate_max.")
        if (self.org_cap_amount is None) != (self.org_cap_months is None):
            raise ValueError("Expected org_cap_amount and org_cap_months together.")
        if self.opens_on and self.closes_on and self.opens_on > self.closes_on:
            raise ValueError("Expected opens_on <= closes_on.")

    @property
    def group(self) -> str:
        return self.cap_group or self.key


@dataclass(frozen=True)
class BudgetLine:
    """One cost of a project in one year: staff (``fte`` full-time equivalents), premises, vehicle, purchases…"""

    year: int
    kind: str
    expense_type: str
    amount: Decimal
    fte: Decimal | None = None


@dataclass(frozen=True)
class Project:
    """A service to start or extend, as the matching sees it.

    ``request_on`` is the day the first request will be (or was) sent; ``start_on`` the day work starts.
    ``joint``: a common project of several landlords.
    """

    beneficiary: str
    territory: Territory
    themes: frozenset[str] = frozenset()
    stage: str = "delivery"
    lines: tuple[BudgetLine, ...] = ()
    start_on: dt.date | None = None
    request_on: dt.date | None = None
    duration_months: int | None = None
    joint: bool = False

    @property
    def total_cost(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    def eligible_cost(self, expense_types: frozenset[str]) -> Decimal:
        """The cost of the lines of ``expense_types`` (all lines when it is empty)."""
        if not expense_types:
            return self.total_cost
        return sum((line.amount for line in self.lines if line.expense_type in expense_types), Decimal(0))

    def years(self) -> list[int]:
        return sorted({line.year for line in self.lines})


@dataclass(frozen=True)
class Award:
    """Aid an organisation already obtained: it counts against the cap per organisation of its group."""

    cap_group: str
    awarded_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Reason:
    ok: bool
    text: str


@dataclass(frozen=True)
class Match:
    """Whether ``scheme`` can fund the project, each reason, and the most it can give (``None``: no limit known)."""

    scheme: Scheme
    status: str
    eligible: bool
    reasons: tuple[Reason, ...]
    max_aid: Decimal | None
    deadline: dt.date | None

    def to_dict(self) -> dict:
        return {
            "scheme": self.scheme.key,
            "name": self.scheme.name,
            "status": self.status,
            "eligible": self.eligible,
            "reasons": [r.text for r in self.reasons],
            "max_aid": None if self.max_aid is None else str(self.max_aid),
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
        }


def scheme_status(
    *,
    opens_on: dt.date | None,
    closes_on: dt.date | None,
    archived: bool,
    today: dt.date,
    closing_days: int = CLOSING_DAYS,
) -> str:
    """Status of a scheme on ``today``: archived, upcoming, closed, closing (within ``closing_days``) or open.

    ``closes_on`` is the last day to apply: the scheme is closed from the next day.
    """
    if archived:
        return ARCHIVED
    if closes_on is not None and today > closes_on:
        return CLOSED
    if opens_on is not None and today < opens_on:
        return UPCOMING
    if closes_on is not None and (closes_on - today).days <= closing_days:
        return CLOSING
    return OPEN


def next_deadline(scheme: Scheme, today: dt.date) -> dt.date | None:
    """The next date that matters to apply: the closing date, else the next committee, else none."""
    if scheme.closes_on is not None and scheme.closes_on >= today:
        return scheme.closes_on
    upcoming = [d for d in scheme.committee_dates if d >= today]
    return min(upcoming) if upcoming else None


def used_by_group(awards: Iterable[Award], group: str, months: int, today: dt.date) -> Decimal:
    """Aid of ``group`` obtained over the ``months`` months before ``today`` (``today`` included)."""
    since = _months_before(today, months)
    return sum((a.amount for a in awards if a.cap_group == group and since < a.awarded_on <= today), Decimal(0))


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _words(codes: frozenset[str], labels: Mapping[str, str]) -> str:
    return ", ".join(sorted(labels.get(c, c) for c in codes))


@lru_cache(maxsize=4096)
def _fixed_words(codes: frozenset[str], vocabulary: str) -> str:
    """``_words`` for the module's own vocabularies, cached: schemes repeat the same few sets."""
    return _words(
        codes, {"beneficiaries": BENEFICIARIES, "stages": STAGES, "expense_types": EXPENSE_TYPES}[vocabulary]
    )


class _Context:
    """What every scheme needs from the project, computed once for all the schemes."""

    def __init__(self, project: Project, awards: tuple[Award, ...], today: dt.date, theme_labels: Mapping[str, str]):
        self.project = project
        self.awards = awards
        self.today = today
        self.theme_labels = theme_labels
        self.total = project.total_cost
        self.by_type: dict[str, Decimal] = {}
        for line in project.lines:
            self.by_type[line.expense_type] = self.by_type.get(line.expense_type, Decimal(0)) + line.amount
        self._used: dict[tuple[str, int], Decimal] = {}
        self._eligible: dict[frozenset[str], Decimal] = {}

    def eligible_cost(self, expense_types: frozenset[str]) -> Decimal:
        if not expense_types:
            return self.total
        if expense_types not in self._eligible:
            self._eligible[expense_types] = sum((self.by_type.get(t, Decimal(0)) for t in expense_types), Decimal(0))
        return self._eligible[expense_types]

    def used(self, group: str, months: int) -> Decimal:
        key = (group, months)
        if key not in self._used:
            self._used[key] = used_by_group(self.awards, group, months, self.today)
        return self._used[key]


def match_schemes(
    project: Project,
    schemes: Iterable[Scheme],
    awards: Iterable[Award] = (),
    *,
    today: dt.date,
    theme_labels: Mapping[str, str] | None = None,
) -> tuple[Match, ...]:
    """Match ``project`` to each scheme, in the order given.

    Parameters
    ----------
    awards
        Aid the organisation already obtained, for the caps per organisation over a period.
    theme_labels
        French names of the theme codes, for the sentences (the code is shown otherwise).

    Returns
    -------
    One :class:`Match` per scheme: eligible when no reason says no.
    """
    context = _Context(project, tuple(awards), today, theme_labels or {})
    return tuple(_match_one(scheme, context) for scheme in schemes)


def _match_one(scheme: Scheme, c: _Context) -> Match:
    project, today, unchecked = c.project, c.today, scheme.unchecked
    reasons: list[Reason] = []

    def add(ok: bool, text: str, *facts: str):
        if unchecked and any(f in unchecked for f in facts):
            text += NOT_CHECKED
        reasons.append(Reason(ok, text))

    # Dates.
    status = scheme_status(opens_on=scheme.opens_on, closes_on=scheme.closes_on, archived=scheme.archived, today=today)
    deadline = next_deadline(scheme, today)
    if status == ARCHIVED:
        add(False, "dispositif archivé : il n'est plus proposé")
    elif status == CLOSED:
        add(
            False,
            f"fermé depuis le {format_date(scheme.closes_on + dt.timedelta(days=1))} "
            f"(dernier jour de dépôt : {format_date(scheme.closes_on)})",
            "closes_on",
        )
    elif status == UPCOMING:
        add(True, f"ouvre le {format_date(scheme.opens_on)}", "opens_on")
    elif status == CLOSING:
        days = (scheme.closes_on - today).days
        add(
            True,
            f"ouvert, ferme le {format_date(scheme.closes_on)} (dans {days} jour{'s' if days > 1 else ''})",
            "closes_on",
        )
    elif scheme.closes_on is not None:
        add(True, f"ouvert jusqu'au {format_date(scheme.closes_on)}", "closes_on")
    elif deadline is not None:
        add(True, f"ouvert en continu, prochain comité le {format_date(deadline)}", "committee_dates")
    else:
        add(True, "ouvert en continu")

    # Who may apply.
    beneficiary = BENEFICIARIES.get(project.beneficiary, project.beneficiary)
    if project.beneficiary in scheme.beneficiaries:
        add(True, f"bénéficiaire éligible : {beneficiary}", "beneficiaries")
    else:
        add(
            False,
            f"type de bénéficiaire non éligible : {beneficiary} "
            f"(bénéficiaires éligibles : {_fixed_words(scheme.beneficiaries, 'beneficiaries') or 'non précisés'})",
            "beneficiaries",
        )
    if scheme.joint_only:
        if project.joint:
            add(True, "projet commun de plusieurs bailleurs", "joint_only")
        else:
            add(False, "réservé aux projets communs de plusieurs bailleurs", "joint_only")

    # Where.
    territory = scheme.territory
    if territory.level == "national":
        add(True, "dispositif national", "territory")
    else:
        label = territory.label or ", ".join(sorted(territory.codes))
        project_codes = project.territory.codes(territory.level)
        if not project_codes:
            add(False, f"territoire du projet non renseigné (le dispositif couvre : {label})", "territory")
        elif project_codes & territory.codes:
            add(True, f"territoire couvert : {label}", "territory")
        else:
            add(False, f"territoire non couvert : le dispositif couvre {label}", "territory")

    # What.
    if scheme.themes:
        common = project.themes & scheme.themes
        if common:
            add(True, f"thème éligible : {_words(common, c.theme_labels)}", "themes")
        else:
            add(
                False,
                f"aucun thème du projet n'est éligible (thèmes du dispositif : {_words(scheme.themes, c.theme_labels)})",
                "themes",
            )
    if scheme.stages:
        stage = STAGES.get(project.stage, project.stage)
        if project.stage in scheme.stages:
            add(True, f"étape éligible : {stage}", "stages")
        else:
            add(
                False,
                f"étape non éligible : {stage} (étapes éligibles : {_fixed_words(scheme.stages, 'stages')})",
                "stages",
            )
    eligible_cost = c.eligible_cost(scheme.expense_types)
    if scheme.expense_types and eligible_cost <= 0:
        add(
            False,
            f"type de dépense non éligible : le dispositif finance {_fixed_words(scheme.expense_types, 'expense_types')}, "
            "le projet n'a aucune dépense de ce type",
            "expense_types",
        )
    if scheme.min_project_cost is not None:
        if eligible_cost < scheme.min_project_cost:
            add(
                False,
                f"projet en dessous du montant minimum : {format_euros(eligible_cost)} "
                f"pour {format_euros(scheme.min_project_cost)} au moins",
                "min_project_cost",
            )
        else:
            add(True, f"montant minimum atteint ({format_euros(scheme.min_project_cost)})", "min_project_cost")
    if scheme.max_duration_months is not None and project.duration_months is not None:
        if project.duration_months > scheme.max_duration_months:
            add(
                False,
                f"durée trop longue : {project.duration_months} mois pour {scheme.max_duration_months} mois au plus",
                "max_duration_months",
            )
        else:
            add(
                True,
                f"durée admise ({project.duration_months} mois sur {scheme.max_duration_months} au plus)",
                "max_duration_months",
            )

    # When the work starts.
    if scheme.start_before_request_allowed is False and project.start_on is not None:
        request_on = project.request_on or today
        if project.start_on <= request_on:
            when = f"demande le {format_date(project.request_on)}" if project.request_on else "aucune demande envoyée"
            add(
                False,
                f"démarrage avant la demande non autorisé : démarrage le {format_date(project.start_on)}, {when}",
                "start_before_request_allowed",
            )
        else:
            add(True, "le projet démarre après la demande", "start_before_request_allowed")

    # How much.
    limits = []
    max_aid = None
    if scheme.rate_max is not None:
        max_aid = (eligible_cost * scheme.rate_max / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        limits.append(f"{format_rate(scheme.rate_max)} de {format_euros(eligible_cost)}")
    if scheme.cap_per_project is not None:
        max_aid = scheme.cap_per_project if max_aid is None else min(max_aid, scheme.cap_per_project)
        limits.append(f"plafond {format_euros(scheme.cap_per_project)} par projet")
    if scheme.org_cap_amount is not None:
        used = c.used(scheme.group, scheme.org_cap_months)
        remaining = max(scheme.org_cap_amount - used, Decimal(0))
        text = (
            f"plafond déjà utilisé : {format_euros(used)} sur {format_euros(scheme.org_cap_amount)} "
            f"sur {scheme.org_cap_months} mois"
        )
        if remaining <= 0:
            add(False, text, "org_cap_amount", "org_cap_months")
        else:
            add(True, f"{text}, reste {format_euros(remaining)}", "org_cap_amount", "org_cap_months")
        max_aid = remaining if max_aid is None else min(max_aid, remaining)
        limits.append(f"reste {format_euros(remaining)} pour l'organisme")
    eligible = all(r.ok for r in reasons)
    if eligible and max_aid is not None:
        add(
            True,
            f"aide possible : jusqu'à {format_euros(max_aid)} ({', '.join(limits)})",
            "rate_max",
            "cap_per_project",
        )
    return Match(scheme, status, eligible, tuple(reasons), max_aid if eligible else None, deadline)


# Co-financing plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanLine:
    """The amount asked of one scheme in a co-financing plan."""

    scheme_key: str
    amount: Decimal


@dataclass(frozen=True)
class YearBalance:
    year: int
    cost: Decimal
    funding: Decimal

    @property
    def net_cost(self) -> Decimal:
        return self.cost - self.funding


@dataclass(frozen=True)
class PlanCheck:
    """The checks of a co-financing plan: what is wrong (``issues``), what holds (``passed``), and the money.

    ``years`` spreads each line over the years in proportion to the cost the scheme funds in each year; the
    remaining net cost of a year is what the organisation pays itself.
    """

    issues: tuple[str, ...]
    passed: tuple[str, ...]
    total_cost: Decimal
    total_funding: Decimal
    public_funding: Decimal
    years: tuple[YearBalance, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def net_cost(self) -> Decimal:
        return self.total_cost - self.total_funding


def _share(amount: Decimal, total: Decimal) -> Decimal:
    return (amount * HUNDRED / total).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else Decimal(0)


def check_plan(
    project: Project,
    lines: Iterable[PlanLine],
    schemes: Mapping[str, Scheme],
    awards: Iterable[Award] = (),
    *,
    today: dt.date,
) -> PlanCheck:
    """Check each line against its scheme's eligibility, rates and caps, then the plan against the caps per
    organisation over their period and every scheme's limit on total public co-financing.

    Parameters
    ----------
    awards
        Aid already obtained by the organisation, *other* than the lines of this plan.
    """
    lines = tuple(lines)
    awards = tuple(awards)
    issues: list[str] = []
    passed: list[str] = []
    total = project.total_cost
    context = _Context(project, awards, today, {})
    used_schemes = [schemes[line.scheme_key] for line in lines]
    for line, scheme in zip(lines, used_schemes, strict=True):
        name = scheme.name
        if line.amount <= 0:
            issues.append(f"{name} : le montant doit être positif ({format_euros(line.amount)})")
            continue
        match = _match_one(scheme, context)
        if not match.eligible:
            refusals = "; ".join(r.text for r in match.reasons if not r.ok)
            issues.append(f"{name} : dispositif non éligible ({refusals})")
        base = context.eligible_cost(scheme.expense_types)
        rate = _share(line.amount, base)
        if scheme.rate_max is not None:
            if base <= 0 or line.amount * HUNDRED > scheme.rate_max * base:
                issues.append(
                    f"{name} : {format_euros(line.amount)} font {format_rate(rate)} du coût éligible "
                    f"({format_euros(base)}), au-delà du taux maximum de {format_rate(scheme.rate_max)}"
                )
            else:
                passed.append(f"{name} : taux de {format_rate(rate)}, maximum {format_rate(scheme.rate_max)}")
        if scheme.rate_min is not None and base > 0 and line.amount * HUNDRED < scheme.rate_min * base:
            issues.append(
                f"{name} : {format_rate(rate)} du coût éligible, en dessous du taux minimum de "
                f"{format_rate(scheme.rate_min)}"
            )
        if scheme.cap_per_project is not None:
            if line.amount > scheme.cap_per_project:
                issues.append(
                    f"{name} : {format_euros(line.amount)} dépasse le plafond par projet de "
                    f"{format_euros(scheme.cap_per_project)}"
                )
            else:
                passed.append(f"{name} : plafond par projet de {format_euros(scheme.cap_per_project)} respecté")

    # Caps per organisation, once per group of schemes sharing one.
    asked: dict[str, Decimal] = {}
    for line, scheme in zip(lines, used_schemes, strict=True):
        if scheme.org_cap_amount is not None:
            asked[scheme.group] = asked.get(scheme.group, Decimal(0)) + line.amount
    for group, amount in asked.items():
        scheme = next(s for s in used_schemes if s.group == group and s.org_cap_amount is not None)
        used = context.used(group, scheme.org_cap_months)
        sentence = (
            f"{format_euros(used)} déjà obtenus + {format_euros(amount)} demandés = {format_euros(used + amount)}"
        )
        limit = f"{format_euros(scheme.org_cap_amount)} par organisme sur {scheme.org_cap_months} mois"
        if used + amount > scheme.org_cap_amount:
            issues.append(f"{scheme.name} : {sentence}, au-delà du plafond de {limit}")
        else:
            passed.append(f"{scheme.name} : {sentence}, dans le plafond de {limit}")

    total_funding = sum((line.amount for line in lines), Decimal(0))
    public = sum((line.amount for line, s in zip(lines, used_schemes, strict=True) if s.is_public), Decimal(0))
    for scheme in {s.key: s for s in used_schemes if s.public_cofinancing_max_rate is not None}.values():
        limit = scheme.public_cofinancing_max_rate
        if public * HUNDRED > limit * total:
            issues.append(
                f"financements publics : {format_euros(public)}, soit {format_rate(_share(public, total))} du coût "
                f"({format_euros(total)}), au-delà des {format_rate(limit)} admis par {scheme.name}"
            )
        else:
            passed.append(
                f"financements publics : {format_rate(_share(public, total))} du coût, "
                f"{format_rate(limit)} au plus pour {scheme.name}"
            )
    if total_funding > total:
        issues.append(
            f"le plan finance {format_euros(total_funding)} pour un coût de {format_euros(total)} : "
            "les aides dépassent le coût du projet"
        )
    years = _spread_by_year(project, lines, used_schemes)
    return PlanCheck(tuple(issues), tuple(passed), total, total_funding, public, years)


def _spread_by_year(project: Project, lines: tuple[PlanLine, ...], schemes: list[Scheme]) -> tuple[YearBalance, ...]:
    years = project.years()
    cost = {y: Decimal(0) for y in years}
    for budget_line in project.lines:
        cost[budget_line.year] += budget_line.amount
    funding = {y: Decimal(0) for y in years}
    for line, scheme in zip(lines, schemes, strict=True):
        if line.amount <= 0:
            continue
        base_by_year = {y: Decimal(0) for y in years}
        for budget_line in project.lines:
            if not scheme.expense_types or budget_line.expense_type in scheme.expense_types:
                base_by_year[budget_line.year] += budget_line.amount
        base = sum(base_by_year.values(), Decimal(0))
        if base <= 0:
            continue
        spread = Decimal(0)
        funded_years = [y for y in years if base_by_year[y] > 0]
        for y in funded_years[:-1]:
            part = (line.amount * base_by_year[y] / base).quantize(CENT, ROUND_HALF_UP)
            funding[y] += part
            spread += part
        funding[funded_years[-1]] += line.amount - spread  # the last year takes the rounding
    return tuple(YearBalance(y, cost[y], funding[y]) for y in years)
