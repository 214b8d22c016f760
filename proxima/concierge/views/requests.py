"""The concierge's file ("file de la conciergerie"): requests by status, kind, assignee and due date, each
request's page with its log, the forms that record, correct, assign and move a request along."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.agency.appointments import normalise_code
from proxima.concierge import rules, services
from proxima.concierge.forms import (
    ACTION_BUTTONS,
    AssignForm,
    RequestFilterForm,
    RequestForm,
    RequestUpdateForm,
    TransitionForm,
)
from proxima.concierge.models import ConciergeRequest
from proxima.concierge.views.common import (
    audit_export,
    audit_names,
    form_errors,
    linkable_households,
    local,
    visible_household_ids,
)
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without

# The list and its export name the person and the household, not how to reach them: the phone and e-mail
# are on the request's page, whose every reading is audited.
REQUEST_EXPORT = [
    ExportColumn("code", lambda r: r.code),
    ExportColumn("reçue le", lambda r: local(r.received_at)),
    ExportColumn("reçue", lambda r: r.get_received_via_display()),
    ExportColumn("type", lambda r: r.get_kind_display()),
    ExportColumn("demande", lambda r: r.description),
    ExportColumn("nom", lambda r: r.name),
    ExportColumn("référence du bail", lambda r: r.household.reference if r.household_id else ""),
    ExportColumn("état", lambda r: r.get_status_display()),
    ExportColumn("attribuée à", lambda r: str(r.assigned_to) if r.assigned_to_id else ""),
    ExportColumn("échéance", lambda r: r.due_on),
    ExportColumn("en retard", lambda r: rules.is_overdue(r.status, r.due_on, timezone.localdate())),
    ExportColumn("résultat", lambda r: r.outcome),
    ExportColumn("clôturée le", lambda r: local(r.closed_at)),
]
# Open requests come by due date (overdue first); closed ones, the latest closed first.
OPEN_ORDER = ("due_on", "received_at", "pk")
CLOSED_ORDER = ("-closed_at", "-pk")
ALL_ORDER = ("-received_at", "-pk")


def _requests(request):
    return ConciergeRequest.objects.for_organisation(request.user.organisation)


def filter_requests(queryset, data: dict, *, user, today: dt.date):
    """``queryset`` narrowed by the list's filters (``RequestFilterForm.cleaned_data``), in the list's order."""
    status = data.get("status", "")
    if status == "":
        queryset, order = queryset.open(), OPEN_ORDER
    elif status == "all":
        order = ALL_ORDER
    else:
        queryset = queryset.filter(status=status)
        order = OPEN_ORDER if status in rules.OPEN_STATUSES else CLOSED_ORDER
    if kind := data.get("kind"):
        queryset = queryset.filter(kind=kind)
    assignee = data.get("assignee")
    if assignee == "me":
        queryset = queryset.filter(assigned_to=user)
    elif assignee == "none":
        queryset = queryset.filter(assigned_to__isnull=True)
    elif assignee:
        queryset = queryset.filter(assigned_to_id=int(assignee))
    due = data.get("due")
    if due == "overdue":
        queryset = queryset.overdue(today)
    elif due == "today":
        queryset = queryset.filter(due_on=today)
    elif due == "week":
        queryset = queryset.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))
    if received_via := data.get("received_via"):
        queryset = queryset.filter(received_via=received_via)
    if q := (data.get("q") or "").strip():
        queryset = queryset.filter(Q(code=normalise_code(q)) | Q(name__icontains=q))
    return queryset.order_by(*order)


@require(perms.can_view_concierge)
def request_list(request):
    """The concierge's file: the open requests by due date, filtered, paginated, exported."""
    org = request.user.organisation
    today = timezone.localdate()
    form = RequestFilterForm(request.GET or None, organisation=org)
    base = _requests(request).select_related("household", "assigned_to")
    if form.is_bound and not form.is_valid():
        requests = base.none()
    else:
        requests = filter_requests(base, form.cleaned_data if form.is_bound else {}, user=request.user, today=today)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit_export(
            request,
            target_type="concierge.ConciergeRequest",
            what="file de la conciergerie",
            fmt=fmt,
            count=requests.count(),
        )
        return export_response(fmt, "conciergerie-demandes", REQUEST_EXPORT, requests)
    page = paginate(request, requests)
    rows = list(page.object_list)
    audit_names(request, rows, target_type="concierge.ConciergeRequest", what="file de la conciergerie")
    visible = visible_household_ids(request.user, [r.household_id for r in rows])
    return render(
        request,
        "concierge/request_list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {"request": r, "overdue": r.is_overdue(today), "household_visible": r.household_id in visible}
                for r in rows
            ],
            "query": querystring_without(request, "page", "format"),
            "overdue": _requests(request).overdue(today).count(),
            "today": today,
        },
    )


@require(perms.can_view_concierge)
def request_create(request):
    org = request.user.organisation
    form = RequestForm(request.POST or None, organisation=org, households=linkable_households(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_request(
                organisation=org,
                kind=data["kind"],
                received_via=data["received_via"],
                description=data["description"],
                due_on=data["due_on"],
                assigned_to=data["assigned_to"],
                by=request.user,
                **form.inhabitant(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Demande enregistrée. Code de suivi à donner à la personne : {created.code}.")
            return redirect("concierge:request_detail", pk=created.pk)
    return render(request, "concierge/request_form.html", {"form": form})


def _get(request, pk) -> ConciergeRequest:
    return get_object_or_404(_requests(request).select_related("household", "assigned_to", "created_by"), pk=pk)


@require(perms.can_view_concierge)
def request_detail(request, pk):
    """One request: who asks and how to reach them (an audited read), its log, and what can be done next."""
    concierge_request = _get(request, pk)
    audit.record_read(
        concierge_request,
        user=request.user,
        source=f"{request.method} {request.path}",
        details={"household": concierge_request.household_id} if concierge_request.household_id else None,
    )
    org = request.user.organisation
    actions = rules.available_actions(concierge_request.status)
    return render(
        request,
        "concierge/request_detail.html",
        {
            "req": concierge_request,
            "log": concierge_request.log.select_related("by"),
            "overdue": concierge_request.is_overdue(timezone.localdate()),
            "household_visible": bool(visible_household_ids(request.user, [concierge_request.household_id])),
            "assign_form": AssignForm(initial={"assigned_to": concierge_request.assigned_to_id}, organisation=org),
            "transitions": [
                {"action": a, "label": ACTION_BUTTONS[a], "form": TransitionForm(action=a, auto_id=f"{a}_%s")}
                for a in actions
            ],
        },
    )


@require(perms.can_view_concierge)
def request_update(request, pk):
    concierge_request = _get(request, pk)
    households = linkable_households(request.user)
    visible = bool(visible_household_ids(request.user, [concierge_request.household_id]))
    initial = {
        "kind": concierge_request.kind,
        "description": concierge_request.description,
        "due_on": concierge_request.due_on,
        "household_reference": concierge_request.household.reference if visible else "",
        "name": concierge_request.name,
        "phone": concierge_request.phone,
        "email": concierge_request.email,
    }
    form = RequestUpdateForm(request.POST or None, initial=initial, households=households)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "kind": data["kind"],
            "description": data["description"],
            "due_on": data["due_on"],
            **form.inhabitant(),
        }
        if values["household"] is None and concierge_request.household_id is not None and not visible:
            # A field agent does not see the household a colleague linked: the empty field keeps it.
            del values["household"]
        try:
            services.update_request(request=concierge_request, by=request.user, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Demande {concierge_request.code} modifiée.")
            return redirect("concierge:request_detail", pk=concierge_request.pk)
    return render(request, "concierge/request_update.html", {"form": form, "req": concierge_request})


@require(perms.can_view_concierge)
@require_POST
def request_assign(request, pk):
    concierge_request = _get(request, pk)
    form = AssignForm(request.POST, organisation=request.user.organisation)
    if form.is_valid():
        try:
            services.assign_request(
                request=concierge_request, assignee=form.cleaned_data["assigned_to"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Attribution enregistrée.")
    else:
        messages.error(request, form_errors(form))
    return redirect("concierge:request_detail", pk=concierge_request.pk)


@require(perms.can_view_concierge)
@require_POST
def request_transition(request, pk, action):
    """Move a request along: one service per transition (``services.TRANSITION_SERVICES``)."""
    if action not in services.TRANSITION_SERVICES:
        raise Http404
    concierge_request = _get(request, pk)
    form = TransitionForm(request.POST, action=action)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("concierge:request_detail", pk=concierge_request.pk)
    try:
        concierge_request = services.TRANSITION_SERVICES[action](
            request=concierge_request, by=request.user, **form.service_arguments()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Demande {concierge_request.code} : {concierge_request.get_status_display()}.")
    return redirect("concierge:request_detail", pk=concierge_request.pk)


urlpatterns = [
    path("", request_list, name="request_list"),
    path("demandes/nouvelle/", request_create, name="request_create"),
    path("demandes/<int:pk>/", request_detail, name="request_detail"),
    path("demandes/<int:pk>/modifier/", request_update, name="request_update"),
    path("demandes/<int:pk>/attribuer/", request_assign, name="request_assign"),
    path("demandes/<int:pk>/etat/<slug:action>/", request_transition, name="request_transition"),
]
