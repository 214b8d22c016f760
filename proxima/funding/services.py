"""Writes of the funding app, and the adapter between the database and the pure matching module."""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from proxima.funding import matching
from proxima.funding.enums import (
    CHECKABLE_FACTS,
    TRANSITIONS,
    AidType,
    ApplicationStatus,
    Beneficiary,
    ExpenseType,
    Recurrence,
    Stage,
    TerritoryLevel,
)
from proxima.funding.models import (
    BudgetLine,
    FundingLine,
    FundingLineTransition,
    FundingPlan,
    Project,
    Scheme,
)
from proxima.territory.models import Commune, Department, Epci, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMES_FILE = DATA_DIR / "schemes.json"


@cache
def theme_labels() -> dict[str, str]:
    """Theme code → French label (proxima/funding/data/themes.json, see its README)."""
    return {t["value"]: t["label"] for t in json.loads((DATA_DIR / "themes.json").read_text(encoding="utf-8"))}


def theme_choices() -> list[tuple[str, str]]:
    return list(theme_labels().items())


# Loading the seed set -------------------------------------------------------------------------------------------

MONEY_FIELDS = (
    "rate_min",
    "rate_max",
    "cap_per_project",
    "org_cap_amount",
    "public_cofinancing_max_rate",
    "min_project_cost",
)
INT_FIELDS = ("org_cap_months", "max_duration_months")
DATE_FIELDS = ("opens_on", "closes_on", "checked_on")
TEXT_FIELDS = (
    "name",
    "funders",
    "instructing_body",
    "description",
    "cap_group",
    "contact",
    "info_url",
    "application_url",
    "source_url",
    "source_note",
)
BOOL_FIELDS = ("start_before_request_allowed", "joint_only", "is_public_funder", "is_call_for_projects")
TERRITORY_MODELS = {
    TerritoryLevel.REGION: ("regions", Region),
    TerritoryLevel.DEPARTMENT: ("departments", Department),
    TerritoryLevel.EPCI: ("epcis", Epci),
    TerritoryLevel.COMMUNE: ("communes", Commune),
}


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fingerprint(entry: dict) -> str:
    """A digest of a scheme's published facts: it changes when any fact does, which triggers alerts."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _parse_scheme(entry: dict, where: str, errors: list[str]) -> dict | None:
    """Check one entry of the seed file; return the model's values, or add located French messages to ``errors``."""
    count = len(errors)

    def error(name, message):
        errors.append(f"{where}, champ « {name} » : {message}")

    values: dict = {}
    slug = entry.get("slug")
    if not isinstance(slug, str) or not slug:
        error("slug", "identifiant manquant")
    values["slug"] = slug
    for name in TEXT_FIELDS:
        value = entry.get(name, "")
        if not isinstance(value, str):
            error(name, "texte attendu")
        values[name] = value or ""
    for name in ("name", "funders", "source_url"):
        if not values.get(name):
            error(name, "obligatoire")
    for name in MONEY_FIELDS:
        value = entry.get(name)
        try:
            values[name] = None if value is None else Decimal(str(value))
        except InvalidOperation:
            error(name, f"nombre attendu, lu « {value} »")
    for name in ("rate_min", "rate_max", "public_cofinancing_max_rate"):
        value = values.get(name)
        if value is not None and not 0 <= value <= 100:
            error(name, f"pourcentage entre 0 et 100 attendu, lu {value}")
    for name in INT_FIELDS:
        value = entry.get(name)
        if value is not None and (not isinstance(value, int) or value <= 0):
            error(name, f"nombre entier positif attendu, lu « {value} »")
        values[name] = value
    if (values.get("org_cap_amount") is None) != (values.get("org_cap_months") is None):
        error("org_cap_months", "le plafond par organisme va avec sa période en mois")
    for name in DATE_FIELDS:
        value = entry.get(name)
        try:
            values[name] = None if value is None else dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            error(name, f"date AAAA-MM-JJ attendue, lu « {value} »")
    if values.get("checked_on") is None:
        error("checked_on", "la date de vérification est obligatoire")
    try:
        values["committee_dates"] = sorted(
            dt.date.fromisoformat(d).isoformat() for d in entry.get("committee_dates", [])
        )
    except (TypeError, ValueError):
        error("committee_dates", "liste de dates AAAA-MM-JJ attendue")
    for name in BOOL_FIELDS:
        value = entry.get(name, None if name == "start_before_request_allowed" else False)
        if value is not None and not isinstance(value, bool):
            error(name, "true ou false attendu")
        values[name] = value
    for name, choices in (
        ("beneficiaries", Beneficiary.values),
        ("stages", Stage.values),
        ("expense_types", ExpenseType.values),
        ("themes", list(theme_labels())),
        ("unchecked", [*CHECKABLE_FACTS]),
    ):
        value = entry.get(name, [])
        if not isinstance(value, list) or any(v not in choices for v in value):
            unknown = [v for v in value if v not in choices] if isinstance(value, list) else value
            error(name, f"valeurs inconnues : {unknown}")
        values[name] = value
    if not values.get("beneficiaries"):
        error("beneficiaries", "au moins un bénéficiaire")
    for name, enum in (("territory_level", TerritoryLevel), ("aid_type", AidType), ("recurrence", Recurrence)):
        value = entry.get(name)
        if value not in enum.values:
            error(name, f"une valeur parmi {', '.join(enum.values)} attendue, lu « {value} »")
        values[name] = value
    codes = entry.get("territory_codes", [])
    if values.get("territory_level") != TerritoryLevel.NATIONAL and values.get("territory_level") in TERRITORY_MODELS:
        model = TERRITORY_MODELS[values["territory_level"]][1]
        found = set(model.objects.filter(pk__in=codes).values_list("pk", flat=True))
        if not codes or set(codes) - found:
            error("territory_codes", f"codes inconnus ou absents : {sorted(set(codes) - found) or 'aucun code'}")
    values["territory_codes"] = codes
    values["fingerprint"] = fingerprint(entry)
    return values if len(errors) == count else None


@transaction.atomic
def load_schemes(entries: list[dict], *, wet_run: bool = False, source: str = "schemes.json") -> LoadReport:
    """Create or update the schemes of ``entries`` by slug; all-or-nothing; nothing written unless ``wet_run``.

    Loading the same file twice changes nothing (a scheme whose fingerprint is unchanged is left alone).
    """
    report = LoadReport()
    parsed = []
    seen = set()
    for index, entry in enumerate(entries, start=1):
        where = f"{source}, dispositif n° {index} ({entry.get('slug', '?')})"
        values = _parse_scheme(entry, where, report.errors)
        if values is None:
            continue
        if values["slug"] in seen:
            report.errors.append(f"{where} : identifiant en double")
            continue
        seen.add(values["slug"])
        parsed.append(values)
    if report.errors:
        return report
    existing = {s.slug: s for s in Scheme.objects.filter(slug__in=seen)}
    for values in parsed:
        slug = values["slug"]
        scheme = existing.get(slug)
        if scheme is not None and scheme.fingerprint == values["fingerprint"]:
            report.unchanged.append(slug)
            continue
        (report.updated if scheme else report.created).append(slug)
        if not wet_run:
            continue
        codes = values.pop("territory_codes")
        scheme = scheme or Scheme(slug=slug)
        for name, value in values.items():
            setattr(scheme, name, value)
        scheme.full_clean()
        scheme.save()
        for level, (relation, _model) in TERRITORY_MODELS.items():
            getattr(scheme, relation).set(codes if scheme.territory_level == level else [])
    return report


def read_schemes_file(path: Path = SCHEMES_FILE) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["schemes"]


# Adapter to the pure module -------------------------------------------------------------------------------------


def _territory_label(scheme: Scheme) -> tuple[frozenset[str], str]:
    if scheme.territory_level == TerritoryLevel.NATIONAL:
        return frozenset(), ""
    relation = TERRITORY_MODELS[scheme.territory_level][0]
    objects = list(getattr(scheme, relation).all())
    return frozenset(o.pk for o in objects), ", ".join(sorted(o.name for o in objects))


def scheme_input(scheme: Scheme) -> matching.Scheme:
    """The pure module's view of a scheme (territories prefetched with ``Scheme.objects.with_territory()``)."""
    codes, label = _territory_label(scheme)
    return matching.Scheme(
        key=scheme.slug,
        name=scheme.name,
        beneficiaries=frozenset(scheme.beneficiaries),
        territory=matching.SchemeTerritory(scheme.territory_level, codes, label),
        themes=frozenset(scheme.themes),
        stages=frozenset(scheme.stages),
        expense_types=frozenset(scheme.expense_types),
        rate_min=scheme.rate_min,
        rate_max=scheme.rate_max,
        cap_per_project=scheme.cap_per_project,
        cap_group=scheme.cap_group,
        org_cap_amount=scheme.org_cap_amount,
        org_cap_months=scheme.org_cap_months,
        public_cofinancing_max_rate=scheme.public_cofinancing_max_rate,
        min_project_cost=scheme.min_project_cost,
        start_before_request_allowed=scheme.start_before_request_allowed,
        max_duration_months=scheme.max_duration_months,
        joint_only=scheme.joint_only,
        is_public=scheme.is_public_funder,
        opens_on=scheme.opens_on,
        closes_on=scheme.closes_on,
        committee_dates=tuple(dt.date.fromisoformat(d) for d in scheme.committee_dates),
        archived=scheme.is_archived,
        unchecked=frozenset(scheme.unchecked),
    )


def project_input(project: Project) -> matching.Project:
    """The pure module's view of a project: its communes with their EPCI, departments and regions."""
    communes = list(project.communes.select_related("department"))
    territory = matching.Territory(
        communes=frozenset(c.code for c in communes),
        epcis=frozenset(c.epci_id for c in communes if c.epci_id),
        departments=frozenset(c.department_id for c in communes),
        regions=frozenset(c.department.region_id for c in communes),
    )
    lines = tuple(
        matching.BudgetLine(line.year, line.kind, line.expense_type, line.amount, line.fte)
        for line in project.budget_lines.all()
    )
    return matching.Project(
        beneficiary=project.beneficiary,
        territory=territory,
        themes=frozenset(project.themes),
        stage=project.stage,
        lines=lines,
        start_on=project.start_on,
        request_on=project.request_on,
        duration_months=project.duration_months,
        joint=project.is_joint,
    )


def organisation_awards(organisation, *, exclude_plan: FundingPlan | None = None) -> list[matching.Award]:
    """Aid the organisation obtained, from the applications recorded in Proxima, for the caps per organisation."""
    lines = FundingLine.objects.for_organisation(organisation).obtained().select_related("scheme")
    if exclude_plan is not None:
        lines = lines.exclude(plan=exclude_plan)
    return [
        matching.Award(line.scheme.cap_group or line.scheme.slug, line.decided_on, line.amount_obtained or Decimal(0))
        for line in lines
    ]


def match_project(project: Project, *, today: dt.date) -> tuple[matching.Match, ...]:
    """Every scheme but archived ones, matched to ``project``: eligible ones first, then by name."""
    schemes = [scheme_input(s) for s in Scheme.objects.not_archived().with_territory()]
    plan = FundingPlan.objects.filter(project=project).first()
    awards = organisation_awards(project.organisation, exclude_plan=plan)
    matches = matching.match_schemes(project_input(project), schemes, awards, today=today, theme_labels=theme_labels())
    return tuple(sorted(matches, key=lambda m: (not m.eligible, m.scheme.name)))


def check_project_plan(project: Project, *, today: dt.date) -> matching.PlanCheck:
    """The checks of the project's plan, each line counted at its best-known amount."""
    plan = get_or_create_plan(project=project)
    lines = list(
        plan.lines.select_related("scheme").prefetch_related(
            "scheme__regions", "scheme__departments", "scheme__epcis", "scheme__communes"
        )
    )
    schemes = {line.scheme.slug: scheme_input(line.scheme) for line in lines}
    return matching.check_plan(
        project_input(project),
        [matching.PlanLine(line.scheme.slug, line.amount) for line in lines],
        schemes,
        organisation_awards(project.organisation, exclude_plan=plan),
        today=today,
    )


# Writes ---------------------------------------------------------------------------------------------------------

PROJECT_FIELDS = (
    "name",
    "description",
    "themes",
    "stage",
    "beneficiary",
    "is_joint",
    "start_on",
    "request_on",
    "duration_months",
)


@transaction.atomic
def create_project(*, organisation, slug: str, communes, **values) -> Project:
    if Project.objects.for_organisation(organisation).filter(slug=slug).exists():
        raise ValidationError({"slug": f"Un projet a déjà l'identifiant « {slug} »."})
    project = Project(organisation=organisation, slug=slug, **values)
    project.full_clean(exclude=["communes"])
    project.save()
    project.communes.set(communes)
    FundingPlan.objects.create(project=project)
    return project


@transaction.atomic
def update_project(*, project: Project, communes, **values) -> Project:
    for name, value in values.items():
        setattr(project, name, value)
    project.full_clean(exclude=["communes"])
    project.save()
    project.communes.set(communes)
    return project


@transaction.atomic
def set_budget_lines(*, project: Project, lines: list[dict]) -> list[BudgetLine]:
    """Replace the project's budget with ``lines`` (year, kind, expense_type, label, fte, amount), all or none."""
    project.budget_lines.all().delete()
    created = []
    for values in lines:
        line = BudgetLine(project=project, **values)
        line.full_clean()
        created.append(line)
    return BudgetLine.objects.bulk_create(created)


def get_or_create_plan(*, project: Project) -> FundingPlan:
    plan, _ = FundingPlan.objects.get_or_create(project=project)
    return plan


@transaction.atomic
def add_plan_line(*, project: Project, scheme: Scheme, amount: Decimal) -> FundingLine:
    plan = get_or_create_plan(project=project)
    if plan.lines.filter(scheme=scheme).exists():
        raise ValidationError(f"Le plan compte déjà une ligne pour « {scheme.name} » : modifiez son montant.")
    if amount <= 0:
        raise ValidationError("Le montant prévu doit être positif.")
    return FundingLine.objects.create(plan=plan, scheme=scheme, amount_planned=amount)


@transaction.atomic
def update_plan_line(*, line: FundingLine, amount: Decimal) -> FundingLine:
    if line.status != ApplicationStatus.PLANNED:
        raise ValidationError("Seul le montant d'une demande encore prévue se modifie : la demande est partie.")
    if amount <= 0:
        raise ValidationError("Le montant prévu doit être positif.")
    line.amount_planned = amount
    line.save(update_fields=["amount_planned"])
    return line


@transaction.atomic
def remove_plan_line(*, line: FundingLine) -> None:
    if line.status != ApplicationStatus.PLANNED:
        raise ValidationError("Une demande envoyée ne se retire pas du plan : enregistrez plutôt la décision.")
    line.delete()


@transaction.atomic
def move_application(*, line: FundingLine, to: str, on: dt.date, amount: Decimal | None, by) -> FundingLine:
    """Move an application to ``to`` on day ``on`` (with the amount requested, obtained or paid) and log it."""
    current = ApplicationStatus(line.status)
    to = ApplicationStatus(to)
    if to not in TRANSITIONS[current]:
        raise ValidationError(f"Une demande « {current.label} » ne peut pas passer à « {to.label} ».")
    if to in (ApplicationStatus.REQUESTED, ApplicationStatus.OBTAINED, ApplicationStatus.PAID) and (
        amount is None or amount <= 0
    ):
        raise ValidationError(f"Indiquez le montant {to.label} (positif).")
    if to == ApplicationStatus.REQUESTED:
        line.requested_on, line.amount_requested = on, amount
    elif to in (ApplicationStatus.OBTAINED, ApplicationStatus.REFUSED):
        if line.requested_on and on < line.requested_on:
            raise ValidationError("La décision ne peut pas précéder la demande.")
        line.decided_on = on
        line.amount_obtained = amount if to == ApplicationStatus.OBTAINED else Decimal(0)
    else:
        if amount > line.amount_obtained:
            raise ValidationError("Le montant versé ne peut pas dépasser le montant obtenu.")
        line.paid_on, line.amount_paid = on, amount
    FundingLineTransition.objects.create(line=line, by=by, from_status=current, to_status=to, on=on, amount=amount)
    line.status = to
    line.save()
    return line
