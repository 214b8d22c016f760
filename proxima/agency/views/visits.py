"""Visits of the bus for the agents: the week's visits, the log of each visit, and a plan's summary of the logs.

The log names households: its pages are for those who log visits (``can_log_visits``) and every display is
written to the audit trail. The summary has counts only: every landlord role reads it (``can_view_agency``).
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from proxima.accounts import audit, perms
from proxima.agency.enums import AppointmentStatus, FollowUp, VisitTopic
from proxima.agency.forms_visits import VisitLogForm, contact_formset
from proxima.agency.models import TourPlan, VisitLog
from proxima.agency.visit_logs import loggable_visits, save_visit_log, visit_summary
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.households.enums import PersonRole
from proxima.households.models import Household, Person

# Visits of the last weeks still without a log are listed apart, so that none is forgotten.
PENDING_DAYS = 28
SEARCH_LIMIT = 20
DEFAULT_EXTRA_ROWS = 3


def _week_of(request, today: dt.date) -> dt.date:
    """The Monday of the week asked in ``?semaine=YYYY-MM-DD`` (any day of it), or of this week."""
    try:
        day = dt.date.fromisoformat(request.GET.get("semaine", ""))
    except ValueError:
        day = today
    return day - dt.timedelta(days=day.weekday())


@require(perms.can_log_visits)
def visit_list(request):
    """The published visits of a week, day by day, with their appointments and whether they are logged."""
    today = timezone.localdate()
    monday = _week_of(request, today)
    sunday = monday + dt.timedelta(days=6)
    visits = (
        loggable_visits(request.user)
        .select_related("day", "stop__commune")
        .annotate(
            booked=Count("appointments", filter=Q(appointments__status=AppointmentStatus.BOOKED)),
            logged=Count("log"),
        )
        .order_by("day__date", "position", "pk")
    )
    days: dict[dt.date, list] = {}
    for visit in visits.filter(day__date__range=(monday, sunday)):
        days.setdefault(visit.day.date, []).append(visit)
    pending = visits.filter(
        day__date__gte=today - dt.timedelta(days=PENDING_DAYS), day__date__lt=min(today, monday), log__isnull=True
    )
    own_sites = set(request.user.assigned_sites.values_list("pk", flat=True))
    return render(
        request,
        "agency/visits/visit_list.html",
        {
            "days": sorted(days.items()),
            "pending": list(pending),
            "monday": monday,
            "sunday": sunday,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "today": today,
            "own_sites": own_sites,
            "pending_days": PENDING_DAYS,
        },
    )


def _visit(request, pk):
    return get_object_or_404(loggable_visits(request.user).select_related("day__plan", "stop__commune"), pk=pk)


def _contacts(log, user):
    """The contacts of ``log`` the user may see (ordered by reference), and how many others there are."""
    if log is None:
        return [], 0
    visible = Household.objects.visible_to(user)
    contacts = list(
        log.contacts.filter(household__in=visible)
        .select_related("household__dwelling__building__site")
        .order_by("household__reference", "pk")
    )
    return contacts, log.contacts.exclude(household__in=visible).count()


def _labels(codes, choices) -> list[str]:
    labels = dict(choices)
    return [str(labels[c]) for c in codes if c in labels]


@require(perms.can_log_visits)
def visit_log_detail(request, pk):
    """What the log of a visit says; it names households, so each display is audited."""
    visit = _visit(request, pk)
    log = VisitLog.objects.filter(visit=visit).select_related("recorded_by").first()
    contacts, hidden = _contacts(log, request.user)
    audit.record_household_list(
        request, ids=[c.household_id for c in contacts], what=f"compte rendu du passage {visit} (n° {visit.pk})"
    )
    follow_ups = dict(FollowUp.choices)
    rows = [
        {
            "household": c.household,
            "topics": _labels(c.topics, VisitTopic.choices),
            "follow_up": follow_ups.get(c.follow_up, ""),
        }
        for c in contacts
    ]
    return render(
        request,
        "agency/visits/visit_log_detail.html",
        {
            "visit": visit,
            "log": log,
            "rows": rows,
            "hidden": hidden,
            "anonymous_topics": _labels(log.anonymous_topics, VisitTopic.choices) if log else [],
            "can_edit": visit.day.date <= timezone.localdate(),
        },
    )


def _search(households, query: str):
    """Households whose lease reference, or whose reference person's last name, contains ``query``."""
    holders = Person.objects.filter(role=PersonRole.REFERENCE).order_by("pk")
    return list(
        households.filter(Q(reference__icontains=query) | Q(persons__last_name__icontains=query))
        .distinct()
        .select_related("dwelling__building__site")
        .prefetch_related(Prefetch("persons", queryset=holders, to_attr="holders"))
        .order_by("reference")[:SEARCH_LIMIT]
    )


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@require(perms.can_log_visits)
def visit_log_edit(request, pk):
    """The log form: the anonymous welcome, the households met (found by lease reference) and a note.

    Without JavaScript, households are found with the search box; "ajouter" puts them on a new row
    (``?ajouter=<id>``, repeated). A field agent sees and names only the households of their sites; the
    households a colleague named and they cannot see are kept.
    """
    visit = _visit(request, pk)
    today = timezone.localdate()
    log = VisitLog.objects.filter(visit=visit).first()
    households = Household.objects.visible_to(request.user)
    contacts, hidden = _contacts(log, request.user)
    known = {c.household_id for c in contacts}
    added_ids = [i for i in dict.fromkeys(_int(v, 0) for v in request.GET.getlist("ajouter")) if i not in known]
    added = list(households.filter(pk__in=added_ids).order_by("reference"))
    initial = [
        {"reference": c.household.reference, "topics": c.topics, "follow_up": c.follow_up} for c in contacts
    ] + [{"reference": h.reference} for h in added]
    extra = _int(request.GET.get("lignes"), DEFAULT_EXTRA_ROWS)
    query = request.GET.get("q", "").strip()
    found = _search(households, query) if query else []

    if request.method == "POST":
        form = VisitLogForm(request.POST)
        formset = contact_formset(households=households, data=request.POST)
        if form.is_valid() and formset.is_valid():
            try:
                save_visit_log(
                    visit=visit,
                    by=request.user,
                    contacts=formset.entries(),
                    anonymous_count=form.cleaned_data["anonymous_count"],
                    anonymous_topics=form.cleaned_data["anonymous_topics"],
                    note=form.cleaned_data["note"],
                    today=today,
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(request, f"Compte rendu du passage {visit} enregistré.")
                return redirect("agency:visit_log", pk=visit.pk)
    else:
        form = VisitLogForm(
            initial={
                "anonymous_count": log.anonymous_count,
                "anonymous_topics": log.anonymous_topics,
                "note": log.note,
            }
            if log
            else None
        )
        formset = contact_formset(households=households, initial=initial, extra=extra)
    # Everything the page names is audited, the references suggested for a mistyped one included.
    shown = [c.household_id for c in contacts] + [h.pk for h in added] + [h.pk for h in found]
    shown += formset.suggested_ids()
    audit.record_household_list(
        request, ids=list(dict.fromkeys(shown)), what=f"compte rendu du passage {visit} (n° {visit.pk})"
    )
    return render(
        request,
        "agency/visits/visit_log_form.html",
        {
            "visit": visit,
            "log": log,
            "form": form,
            "formset": formset,
            "hidden": hidden,
            "query": query,
            "found": found,
            "added_ids": [h.pk for h in added],
            "known": known | {h.pk for h in added},
            "extra": extra,
            "more_rows": extra + 5,
            "future": visit.day.date > today,
        },
    )


# The first columns of the summary count people; the next ones their topics and follow-ups.
SUMMARY_SPLIT = 8


def _summary_columns():
    columns = [
        ExportColumn("arrêt", lambda r: r["name"]),
        ExportColumn("commune", lambda r: r["commune"]),
        ExportColumn("passages prévus", lambda r: r["figures"].visits),
        ExportColumn("passages avec compte rendu", lambda r: r["figures"].logged_visits),
        ExportColumn("personnes rencontrées", lambda r: r["figures"].people_met),
        ExportColumn("rencontres de ménages identifiés", lambda r: r["figures"].contacts),
        ExportColumn("ménages identifiés distincts", lambda r: r["figures"].households_met),
        ExportColumn("personnes non identifiées", lambda r: r["figures"].anonymous),
    ]
    for code, label in VisitTopic.choices:
        columns.append(ExportColumn(f"ménages – {label}", lambda r, code=code: r["figures"].topics[code]))
    for code, label in VisitTopic.choices:
        columns.append(
            ExportColumn(
                f"accueil anonyme – {label} (passages)", lambda r, code=code: r["figures"].anonymous_topics[code]
            )
        )
    for code, label in FollowUp.choices:
        columns.append(ExportColumn(f"suite – {label}", lambda r, code=code: r["figures"].follow_ups[code]))
    return columns


@require(perms.can_view_agency)
def visit_summary_view(request, pk):
    """People met per stop of a plan, topics and follow-ups: counts, no names (CSV and XLSX too)."""
    plan = get_object_or_404(TourPlan.objects.for_organisation(request.user.organisation), pk=pk)
    summary = visit_summary(plan)
    rows = [{"name": s.stop_name, "commune": s.commune, "figures": s.figures} for s in summary.stops]
    total = {"name": "Total", "commune": "", "figures": summary.total}
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, f"passages-tournee-{plan.pk}", _summary_columns(), [*rows, total])
    columns = _summary_columns()
    # Two tables, as in the export: people met, then topics and follow-ups (both keyed by the stop's name).
    tables = []
    for part in (columns[:SUMMARY_SPLIT], columns[:2] + columns[SUMMARY_SPLIT:]):
        tables.append(
            {
                "headers": [c.header for c in part],
                "rows": [[c.value(r) for c in part] for r in rows],
                "total": [c.value(total) for c in part],
            }
        )
    return render(
        request, "agency/visits/visit_summary.html", {"plan": plan, "tables": tables, "total": summary.total}
    )


urlpatterns = [
    path("passages/", visit_list, name="visit_list"),
    path("passages/<int:pk>/", visit_log_detail, name="visit_log"),
    path("passages/<int:pk>/compte-rendu/", visit_log_edit, name="visit_log_edit"),
    path("tournees/<int:pk>/bilan-des-passages/", visit_summary_view, name="visit_summary"),
]
