"""Funding pages: the scheme search and its saved searches, projects with their matching, co-financing plans and
applications, deadlines, and the project's funding file (PDF, XLSX).

Schemes are shared reference data: every landlord role reads them. Projects belong to one organisation and are
loaded through ``for_organisation`` (another organisation's project is a 404); writes need ``can_manage_funding``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.core import pdf
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.funding import alerts, files, matching, services
from proxima.funding.enums import TRANSITIONS, ApplicationStatus, SchemeStatus
from proxima.funding.forms import (
    AmountForm,
    ApplicationForm,
    BudgetFormSet,
    PlanLineForm,
    ProjectForm,
    SavedSearchForm,
    SchemeSearchForm,
    budget_initial,
)
from proxima.funding.models import BudgetLine, FundingLine, Project, SavedSearch, Scheme

SCHEME_EXPORT = [
    ExportColumn("dispositif", lambda r: r.scheme.name),
    ExportColumn("financeurs", lambda r: r.scheme.funders),
    ExportColumn("instruction", lambda r: r.scheme.instructing_body),
    ExportColumn("statut", lambda r: str(r.status_label)),
    ExportColumn("prochaine échéance", lambda r: r.deadline),
    ExportColumn("type d'aide", lambda r: r.scheme.get_aid_type_display()),
    ExportColumn("taux minimum (%)", lambda r: r.scheme.rate_min),
    ExportColumn("taux maximum (%)", lambda r: r.scheme.rate_max),
    ExportColumn("plafond par projet (€)", lambda r: r.scheme.cap_per_project),
    ExportColumn("plafond par organisme (€)", lambda r: r.scheme.org_cap_amount),
    ExportColumn("sur (mois)", lambda r: r.scheme.org_cap_months),
    ExportColumn("financements publics au plus (%)", lambda r: r.scheme.public_cofinancing_max_rate),
    ExportColumn("bénéficiaires", lambda r: ", ".join(str(label) for label in r.scheme.beneficiary_labels())),
    ExportColumn("faits non vérifiés", lambda r: ", ".join(r.scheme.unchecked)),
    ExportColumn("source", lambda r: r.scheme.source_url),
    ExportColumn("vérifié le", lambda r: r.scheme.checked_on),
]


def _today():
    return timezone.localdate()


def _can_manage(request) -> bool:
    return perms.can_manage_funding(request.user, request.user.organisation)


def _project(request, slug) -> Project:
    projects = Project.objects.for_organisation(request.user.organisation).prefetch_related("communes")
    return get_object_or_404(projects, slug=slug)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# Schemes and saved searches -------------------------------------------------------------------------------------


@require(perms.can_view_funding)
def scheme_list(request):
    """Search schemes by territory, theme, beneficiary and deadline; each with its status; export CSV/XLSX."""
    form = SchemeSearchForm(request.GET or None)
    criteria = form.criteria() if form.is_bound and form.is_valid() else {}
    rows = alerts.search_schemes(criteria, today=_today())
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, "dispositifs-de-financement", SCHEME_EXPORT, rows)
    return render(
        request,
        "funding/scheme_list.html",
        {
            "form": form,
            "page": paginate(request, rows),
            "query": querystring_without(request, "page", "format"),
            "criteria": criteria,
            "save_form": SavedSearchForm(),
        },
    )


@require(perms.can_view_funding)
def scheme_detail(request, slug):
    """Every fact of a scheme as published, the facts not checked marked « non vérifié », its source."""
    scheme = get_object_or_404(Scheme.objects.with_territory(), slug=slug)
    today = _today()
    data = services.scheme_input(scheme)

    return render(
        request,
        "funding/scheme_detail.html",
        {
            "scheme": scheme,
            "status": SchemeStatus(scheme.status(today)).label,
            "deadline": matching.next_deadline(data, today),
            "territory": data.territory.label or "France entière",
            "theme_labels": [services.theme_labels().get(t, t) for t in scheme.themes],
        },
    )


@require(perms.can_view_funding)
def search_list(request):
    """The user's saved searches and how often each sends its alert."""
    searches = SavedSearch.objects.for_user(request.user)
    return render(request, "funding/search_list.html", {"searches": searches})


@require(perms.can_view_funding)
@require_POST
def search_create(request):
    """Save the current filters with a name and a frequency: an e-mail then tells of new or changed schemes."""
    search_form = SchemeSearchForm(request.POST)
    form = SavedSearchForm(request.POST)
    if not (form.is_valid() and search_form.is_valid()):
        problems = [f"{form.fields[n].label} : {' '.join(e)}" for n, e in form.errors.items() if n in form.fields]
        messages.error(request, "La recherche n'est pas enregistrée. " + " ".join(problems or ["Filtres invalides."]))
        return redirect("funding:scheme_list")
    criteria = search_form.criteria()
    SavedSearch.objects.create(
        user=request.user, organisation=request.user.organisation, criteria=criteria, **form.cleaned_data
    )
    messages.success(request, f"Recherche « {form.cleaned_data['name']} » enregistrée.")
    return redirect("funding:search_list")


@require(perms.can_view_funding)
@require_POST
def search_delete(request, pk):
    search = get_object_or_404(SavedSearch.objects.for_user(request.user), pk=pk)
    search.delete()
    messages.success(request, f"Recherche « {search.name} » supprimée : elle n'enverra plus d'alerte.")
    return redirect("funding:search_list")


# Projects --------------------------------------------------------------------------------------------------------


@require(perms.can_view_funding)
def project_list(request):
    """The organisation's projects with their cost and how many schemes their plan asks."""
    projects = (
        Project.objects.for_organisation(request.user.organisation)
        .with_total_cost()
        .annotate(lines_count=Count("plan__lines", distinct=True))
        .order_by("name", "pk")
    )
    return render(
        request,
        "funding/project_list.html",
        {
            "page": paginate(request, projects),
            "query": querystring_without(request, "page"),
            "can_manage": _can_manage(request),
        },
    )


def _budget_by_year(lines: list[BudgetLine]) -> list[dict]:
    years: dict[int, dict] = {}
    for line in lines:
        year = years.setdefault(line.year, {"year": line.year, "lines": [], "total": 0, "fte": 0})
        year["lines"].append(line)
        year["total"] += line.amount
        year["fte"] += line.fte or 0
    return [years[y] for y in sorted(years)]


@require(perms.can_view_funding)
def project_detail(request, slug):
    """The project, its budget by year, and every scheme: eligible or not, with the reason for each rule."""
    project = _project(request, slug)
    matches = services.match_project(project, today=_today())
    return render(
        request,
        "funding/project_detail.html",
        {
            "project": project,
            "years": _budget_by_year(list(project.budget_lines.all())),
            "matches": [(m, SchemeStatus(m.status).label) for m in matches],
            "eligible_count": sum(1 for m in matches if m.eligible),
            "theme_labels": [services.theme_labels().get(t, t) for t in project.themes],
            "can_manage": _can_manage(request),
        },
    )


def _save_project(request, project=None):
    organisation = request.user.organisation
    form = ProjectForm(request.POST or None, instance=project)
    budget = BudgetFormSet(request.POST or None, initial=budget_initial(project) if project else None, prefix="budget")
    if request.method == "POST" and form.is_valid() and budget.is_valid():
        try:
            with transaction.atomic():  # the project and its budget, or nothing
                values = form.values()
                communes = form.cleaned_data["commune_codes"]
                if project is None:
                    project = services.create_project(
                        organisation=organisation, slug=form.cleaned_data["slug"], communes=communes, **values
                    )
                else:
                    project = services.update_project(project=project, communes=communes, **values)
                services.set_budget_lines(
                    project=project,
                    lines=[{k: v for k, v in line.items() if k != "DELETE"} for line in budget.lines()],
                )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    target = name if name in form.fields else None
                    form.add_error(target, [f"{name} : {e}" if target is None else e for e in errors[0].messages])
            else:
                form.add_error(None, error)
            if project is not None and project.pk is None:
                project = None
        else:
            messages.success(request, f"Projet « {project.name} » enregistré.")
            return redirect("funding:project_detail", slug=project.slug)
    return render(request, "funding/project_form.html", {"form": form, "budget": budget, "project": project})


@require(perms.can_manage_funding)
def project_create(request):
    """A project with its budget lines by year; saved all at once or not at all."""
    return _save_project(request)


@require(perms.can_manage_funding)
def project_update(request, slug):
    return _save_project(request, _project(request, slug))


# Co-financing plan and applications -----------------------------------------------------------------------------


def _plan_lines(project):
    return list(
        FundingLine.objects.filter(plan__project=project)
        .select_related("scheme")
        .prefetch_related("transitions")
        .order_by("pk")
    )


@require(perms.can_view_funding)
def plan_detail(request, slug):
    """The plan's lines, every check with its message, the remaining net cost per year, the applications."""
    project = _project(request, slug)
    check = services.check_project_plan(project, today=_today())
    can_manage = _can_manage(request)
    lines = _plan_lines(project)
    rows = []
    for line in lines:
        row = {"line": line, "transitions": list(line.transitions.all())}
        if can_manage and TRANSITIONS[ApplicationStatus(line.status)]:
            row["form"] = ApplicationForm(line=line, auto_id=f"line{line.pk}_%s", initial={"on": _today()})
        if can_manage and line.status == ApplicationStatus.PLANNED:
            row["amount_form"] = AmountForm(auto_id=f"amount{line.pk}_%s", initial={"amount": line.amount_planned})
        rows.append(row)
    return render(
        request,
        "funding/plan_detail.html",
        {
            "project": project,
            "check": check,
            "rows": rows,
            "can_manage": can_manage,
            "add_form": PlanLineForm(auto_id="add_%s") if can_manage else None,
        },
    )


@require(perms.can_manage_funding)
@require_POST
def plan_line_add(request, slug):
    project = _project(request, slug)
    form = PlanLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "La ligne n'est pas ajoutée : choisissez un dispositif et un montant positif.")
    else:
        try:
            services.add_plan_line(
                project=project, scheme=form.cleaned_data["scheme"], amount=form.cleaned_data["amount"]
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, f"Ligne « {form.cleaned_data['scheme'].name} » ajoutée au plan.")
    return redirect("funding:plan_detail", slug=project.slug)


def _line(project, pk) -> FundingLine:
    return get_object_or_404(FundingLine.objects.filter(plan__project=project).select_related("scheme"), pk=pk)


@require(perms.can_manage_funding)
@require_POST
def plan_line_update(request, slug, pk):
    project = _project(request, slug)
    line = _line(project, pk)
    form = AmountForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"« {line.scheme.name} » : indiquez un montant prévu positif.")
    else:
        try:
            services.update_plan_line(line=line, amount=form.cleaned_data["amount"])
        except ValidationError as error:
            messages.error(request, f"« {line.scheme.name} » : {_errors(error)}")
        else:
            messages.success(request, f"Montant prévu de « {line.scheme.name} » modifié.")
    return redirect("funding:plan_detail", slug=project.slug)


@require(perms.can_manage_funding)
@require_POST
def plan_line_remove(request, slug, pk):
    project = _project(request, slug)
    line = _line(project, pk)
    try:
        services.remove_plan_line(line=line)
    except ValidationError as error:
        messages.error(request, f"« {line.scheme.name} » : {_errors(error)}")
    else:
        messages.success(request, f"« {line.scheme.name} » retiré du plan.")
    return redirect("funding:plan_detail", slug=project.slug)


@require(perms.can_manage_funding)
@require_POST
def application_move(request, slug, pk):
    """Record that an application was sent, granted, refused or paid (with its date and amount)."""
    project = _project(request, slug)
    line = _line(project, pk)
    form = ApplicationForm(request.POST, line=line)
    if not form.is_valid():
        messages.error(request, f"« {line.scheme.name} » : choisissez le nouvel état et sa date (JJ/MM/AAAA).")
    else:
        data = form.cleaned_data
        try:
            services.move_application(line=line, to=data["to"], on=data["on"], amount=data["amount"], by=request.user)
        except ValidationError as error:
            messages.error(request, f"« {line.scheme.name} » : {_errors(error)}")
        else:
            messages.success(request, f"« {line.scheme.name} » : demande {line.get_status_display()}.")
    return redirect("funding:plan_detail", slug=project.slug)


@require(perms.can_view_funding)
def deadlines(request):
    """Planned applications whose scheme closes or meets within the next days, soonest first."""
    try:
        days = max(1, min(int(request.GET.get("jours", 60)), 366))
    except ValueError:
        days = 60
    today = _today()
    rows = alerts.upcoming_deadlines(request.user.organisation, today=today, days=days)
    return render(
        request,
        "funding/deadlines.html",
        {"rows": [(r, r.days_left(today)) for r in rows], "days": days, "today": today},
    )


# The funding file -----------------------------------------------------------------------------------------------


@require(perms.can_view_funding)
def project_file_pdf(request, slug):
    """The project's funding file in PDF: budget by year, plan, checks, remaining cost, applications."""
    project = _project(request, slug)
    context = files.file_context(project, today=_today())
    try:
        content = pdf.html_to_pdf(files.file_html(context))
    except pdf.PdfUnavailable as error:
        return render(request, "funding/pdf_unavailable.html", {"project": project, "detail": str(error)}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="financement-{project.slug}.pdf"'
    return response


@require(perms.can_view_funding)
def project_file_xlsx(request, slug):
    """The same file as a workbook: one sheet each for the project, budget, plan, checks and cost per year."""
    project = _project(request, slug)
    content = files.file_xlsx(files.file_context(project, today=_today()))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="financement-{project.slug}.xlsx"'
    return response


urlpatterns = [
    path("", scheme_list, name="scheme_list"),
    path("dispositifs/<slug:slug>/", scheme_detail, name="scheme_detail"),
    path("recherches/", search_list, name="search_list"),
    path("recherches/enregistrer/", search_create, name="search_create"),
    path("recherches/<int:pk>/supprimer/", search_delete, name="search_delete"),
    path("projets/", project_list, name="project_list"),
    path("projets/nouveau/", project_create, name="project_create"),
    path("projets/<slug:slug>/", project_detail, name="project_detail"),
    path("projets/<slug:slug>/modifier/", project_update, name="project_update"),
    path("projets/<slug:slug>/plan/", plan_detail, name="plan_detail"),
    path("projets/<slug:slug>/plan/lignes/", plan_line_add, name="plan_line_add"),
    path("projets/<slug:slug>/plan/lignes/<int:pk>/montant/", plan_line_update, name="plan_line_update"),
    path("projets/<slug:slug>/plan/lignes/<int:pk>/retirer/", plan_line_remove, name="plan_line_remove"),
    path("projets/<slug:slug>/plan/lignes/<int:pk>/demande/", application_move, name="application_move"),
    path("projets/<slug:slug>/dossier.pdf", project_file_pdf, name="project_file_pdf"),
    path("projets/<slug:slug>/dossier.xlsx", project_file_xlsx, name="project_file_xlsx"),
    path("echeances/", deadlines, name="deadlines"),
]
