"""Tour plans: the list (the agency's entry page), creation and background computation with its progress, the
plan's schedule, coverage, what it gives up and its comparison with the current schedule, manual edits, exports,
publication."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from proxima.accounts import audit, perms
from proxima.agency import services
from proxima.agency.enums import PlanKind, PlanStatus
from proxima.agency.forms import AddVisitForm, MoveVisitForm, PlanForm
from proxima.agency.models import Stop, TourPlan, Visit
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.models import Household

SCHEDULE_EXPORT = [
    ExportColumn("date", lambda v: v.day.date),
    ExportColumn("semaine", lambda v: v.day.week + 1),
    ExportColumn("ordre", lambda v: v.position + 1),
    ExportColumn("arrêt", lambda v: v.stop.name),
    ExportColumn("commune", lambda v: v.stop.commune.name),
    ExportColumn("adresse", lambda v: v.stop.address),
    ExportColumn("arrivée", lambda v: v.arrival.strftime("%H:%M") if v.arrival else ""),
    ExportColumn("ouverture", lambda v: v.start.strftime("%H:%M")),
    ExportColumn("fermeture", lambda v: v.end.strftime("%H:%M")),
    ExportColumn("ce qu'on peut y faire", lambda v: v.stop.services),
]
NEVER_REACHED_EXPORT = [
    ExportColumn("référence du bail", lambda h: h.reference),
    ExportColumn("logement", lambda h: h.dwelling.reference),
    ExportColumn("résidence", lambda h: h.dwelling.building.site.name),
    ExportColumn("commune", lambda h: h.dwelling.building.site.commune.name),
]


def _plans(request):
    return TourPlan.objects.for_organisation(request.user.organisation)


def _plan(request, pk) -> TourPlan:
    return get_object_or_404(_plans(request).select_related("organisation", "compared_to"), pk=pk)


def _can_plan(request) -> bool:
    return perms.can_plan_tours(request.user, request.user.organisation)


@require(perms.can_view_agency)
def plan_list(request):
    """The mobile agency's entry page: the plans, newest first, with their coverage and state."""
    # The result holds the lists of household ids: the list reads only its two figures, in the query.
    plans = (
        _plans(request)
        .defer("result")
        .annotate(
            visits_count=Count("days__visits"),
            households_reached=F("result__households_reached"),
            total_coverage=F("result__total_coverage"),
        )
        .order_by("-created_at", "-id")
    )
    page = paginate(request, plans)
    return render(
        request,
        "agency/plans/list.html",
        {
            "page": page,
            "query": querystring_without(request, "page"),
            "can_plan": _can_plan(request),
            "stops_count": Stop.objects.for_organisation(request.user.organisation).active().count(),
            "statuses": PlanStatus,
        },
    )


def _create(request, kind):
    organisation = request.user.organisation
    form = PlanForm(request.POST or None, organisation=organisation, kind=kind)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        try:
            with transaction.atomic():  # a plan that cannot be queued is not kept
                plan = services.create_plan(organisation=organisation, by=request.user, kind=kind, **values)
                if kind == PlanKind.PLANNED:
                    services.start_planning(plan=plan)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if kind == PlanKind.MANUAL:
                messages.success(request, "Tournée créée : ajoutez ses arrêts jour par jour.")
            return redirect("agency:plan_detail", pk=plan.pk)
    return render(request, "agency/plans/form.html", {"form": form, "is_manual": kind == PlanKind.MANUAL})


@require(perms.can_plan_tours)
def plan_create(request):
    """A plan to compute: the horizon, the days, the day's window; the computation starts in the background."""
    return _create(request, PlanKind.PLANNED)


@require(perms.can_plan_tours)
def plan_create_manual(request):
    """The schedule the bus runs today, entered by hand to be compared with computed plans."""
    return _create(request, PlanKind.MANUAL)


def progress_of(plan: TourPlan) -> tuple[int, str]:
    """Percent and message of a computation. While the engines search, progress follows the time spent out of the
    time limit the planner is given (it stops at the limit at the latest)."""
    from proxima.agency.tasks import compute_plan

    percent, message = plan.progress, plan.progress_message or "En attente"
    if plan.status == PlanStatus.RUNNING and plan.task_id:
        try:
            started = compute_plan.get_result(plan.task_id).started_at
        except (TaskResultDoesNotExist, TaskResultMismatch, ValueError):
            started = None
        if started is not None and percent >= 10:
            elapsed = (timezone.now() - started).total_seconds()
            percent = max(percent, min(94, 10 + round(84 * elapsed / max(plan.time_limit, 1))))
    return percent, message


def _progress_context(plan):
    percent, message = progress_of(plan)
    return {"plan": plan, "percent": percent, "message": message, "is_running": _is_running(plan)}


def _is_running(plan) -> bool:
    return plan.status in (PlanStatus.QUEUED, PlanStatus.RUNNING)


@require(perms.can_view_agency)
def plan_detail(request, pk):
    """The plan: progress while it computes; then per day its stops and times, coverage, what it gives up."""
    plan = _plan(request, pk)
    if _is_running(plan):
        return render(request, "agency/plans/running.html", _progress_context(plan))
    visits = Visit.objects.select_related("stop__commune").order_by("position")
    days = list(plan.days.prefetch_related(Prefetch("visits", queryset=visits)).order_by("date"))
    result = plan.result or {}
    left_ids = [item["stop_id"] for item in result.get("left_out", [])]
    stops = Stop.objects.for_organisation(plan.organisation).in_bulk(left_ids)
    left_out = [
        {"stop": stops[item["stop_id"]], "reason": services.LEFT_OUT_LABELS.get(item["reason"], item["reason"])}
        for item in result.get("left_out", [])
        if item["stop_id"] in stops
    ]
    can_plan = _can_plan(request)
    weeks = []
    for week in result.get("weeks", []):
        weeks.append({**week, "number": week["week"] + 1, "days": [d for d in days if d.week == week["week"]]})
    context = {
        "plan": plan,
        "days": days,
        "weeks": weeks,
        "result": result,
        "left_out": left_out,
        "never_reached": len(result.get("never_reached_household_ids", [])),
        "reached": len(result.get("reached_household_ids", [])),
        "comparison": result.get("comparison"),
        "can_plan": can_plan,
        "can_view_households": perms.can_view_households(request.user, request.user.organisation),
        "other_published": _plans(request).published().exclude(pk=plan.pk).first(),
        "statuses": PlanStatus,
    }
    if can_plan and plan.status == PlanStatus.READY:
        context["add_form"] = AddVisitForm(plan=plan, days=days, auto_id="add_%s")
        context["move_days"] = [(d.pk, d) for d in days]
    return render(request, "agency/plans/detail.html", context)


@require(perms.can_view_agency)
def plan_progress(request, pk):
    """The progress block, polled by htmx; a plain request goes to the plan's page."""
    plan = _plan(request, pk)
    if not request.htmx:
        return redirect("agency:plan_detail", pk=plan.pk)
    response = render(request, "agency/plans/_progress.html", _progress_context(plan))
    if not _is_running(plan):
        response["HX-Refresh"] = "true"  # done: reload once so the plan appears
    return response


@require(perms.can_plan_tours)
@require_POST
def plan_compute(request, pk):
    """Compute the plan again (after a failure, or with changed stops or weights)."""
    plan = _plan(request, pk)
    try:
        services.start_planning(plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("agency:plan_detail", pk=plan.pk)


@require(perms.can_view_agency)
def plan_export(request, pk):
    """The schedule as CSV or XLSX: one row per stop served, in order."""
    plan = _plan(request, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    visits = (
        Visit.objects.filter(day__plan=plan)
        .select_related("day", "stop__commune")
        .order_by("day__date", "position", "pk")
    )
    return export_response(fmt, f"tournee-{plan.pk}", SCHEDULE_EXPORT, visits)


@require(perms.can_view_households)
def plan_never_reached(request, pk):
    """The households the plan never reaches (those the user works with); every showing is audited."""
    plan = _plan(request, pk)
    ids = (plan.result or {}).get("never_reached_household_ids", [])
    households = (
        Household.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("dwelling__building__site__commune")
        .order_by("dwelling__building__site__name", "reference", "pk")
    )
    what = f"ménages jamais atteints par la tournée « {plan.name} »"
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=households.count(), what=what)
        return export_response(fmt, f"menages-non-atteints-tournee-{plan.pk}", NEVER_REACHED_EXPORT, households)
    page = paginate(request, households)
    audit.record_household_list(request, ids=[h.pk for h in page.object_list], what=what)
    return render(
        request,
        "agency/plans/never_reached.html",
        {"plan": plan, "page": page, "query": querystring_without(request, "page", "format")},
    )


@require(perms.can_plan_tours)
@require_POST
def plan_publish(request, pk):
    plan = _plan(request, pk)
    try:
        unpublished = services.publish_plan(plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = f"La tournée « {plan.name} » est publiée : c'est désormais l'horaire que voient les habitants."
        if unpublished:
            text += " La tournée publiée jusqu'ici a été retirée de la publication (une seule à la fois)."
        messages.success(request, text)
    return redirect("agency:plan_detail", pk=plan.pk)


@require(perms.can_plan_tours)
@require_POST
def plan_unpublish(request, pk):
    plan = _plan(request, pk)
    try:
        services.unpublish_plan(plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"La tournée « {plan.name} » n'est plus publiée : les habitants ne la voient plus.")
    return redirect("agency:plan_detail", pk=plan.pk)


def _report(request, effect: services.EditEffect) -> None:
    (messages.warning if effect.issues else messages.success)(request, effect.message())


def _editable_plan(request, pk) -> TourPlan:
    plan = _plan(request, pk)
    if plan.status != PlanStatus.READY:
        raise Http404  # a plan being computed, failed or not yet computed has no schedule to edit
    return plan


@require(perms.can_plan_tours)
@require_POST
def visit_add(request, pk):
    """Add a stop to a day at a position; the times and coverage are recomputed at once."""
    plan = _editable_plan(request, pk)
    days = list(plan.days.order_by("date"))
    form = AddVisitForm(request.POST, plan=plan, days=days)
    if not form.is_valid():
        messages.error(request, "L'arrêt n'est pas ajouté : choisissez un arrêt, un jour et une position valides.")
        return redirect("agency:plan_detail", pk=plan.pk)
    day = next(d for d in days if d.pk == form.cleaned_data["day"])
    try:
        effect = services.add_visit(
            plan=plan, day=day, stop=form.cleaned_data["stop"], position=form.cleaned_data["position"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _report(request, effect)
    return redirect("agency:plan_detail", pk=plan.pk)


def _visit(plan, visit_pk) -> Visit:
    return get_object_or_404(Visit.objects.filter(day__plan=plan).select_related("day__plan", "stop"), pk=visit_pk)


@require(perms.can_plan_tours)
@require_POST
def visit_move(request, pk, visit_pk):
    """Move a stop to another day or position; the times and coverage are recomputed at once."""
    plan = _editable_plan(request, pk)
    visit = _visit(plan, visit_pk)
    days = list(plan.days.order_by("date"))
    form = MoveVisitForm(request.POST, days=days)
    if not form.is_valid():
        messages.error(request, "L'arrêt n'est pas déplacé : choisissez un jour et une position valides.")
        return redirect("agency:plan_detail", pk=plan.pk)
    day = next(d for d in days if d.pk == form.cleaned_data["day"])
    try:
        effect = services.move_visit(visit=visit, day=day, position=form.cleaned_data["position"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _report(request, effect)
    return redirect("agency:plan_detail", pk=plan.pk)


@require(perms.can_plan_tours)
@require_POST
def visit_remove(request, pk, visit_pk):
    """Take a stop out of its day; the times and coverage are recomputed at once."""
    plan = _editable_plan(request, pk)
    visit = _visit(plan, visit_pk)
    try:
        effect = services.remove_visit(visit=visit)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _report(request, effect)
    return redirect("agency:plan_detail", pk=plan.pk)


urlpatterns = [
    path("", plan_list, name="plan_list"),
    path("tournees/nouvelle/", plan_create, name="plan_create"),
    path("tournees/actuelle/", plan_create_manual, name="plan_create_manual"),
    path("tournees/<int:pk>/", plan_detail, name="plan_detail"),
    path("tournees/<int:pk>/progression/", plan_progress, name="plan_progress"),
    path("tournees/<int:pk>/calculer/", plan_compute, name="plan_compute"),
    path("tournees/<int:pk>/export/", plan_export, name="plan_export"),
    path("tournees/<int:pk>/menages-non-atteints/", plan_never_reached, name="plan_never_reached"),
    path("tournees/<int:pk>/publier/", plan_publish, name="plan_publish"),
    path("tournees/<int:pk>/retirer/", plan_unpublish, name="plan_unpublish"),
    path("tournees/<int:pk>/passages/", visit_add, name="visit_add"),
    path("tournees/<int:pk>/passages/<int:visit_pk>/deplacer/", visit_move, name="visit_move"),
    path("tournees/<int:pk>/passages/<int:visit_pk>/retirer/", visit_remove, name="visit_remove"),
]
