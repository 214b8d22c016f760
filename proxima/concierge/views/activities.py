"""Activities and events: the programme, registrations with a waiting list, and the attendance sheet."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.concierge import services
from proxima.concierge.enums import RegistrationStatus
from proxima.concierge.forms import ActivityForm, AttendanceForm, RegistrationForm
from proxima.concierge.models import Activity, Registration
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

ACTIVITY_EXPORT = [
    ExportColumn("début", lambda a: local(a.starts_at)),
    ExportColumn("fin", lambda a: local(a.ends_at)),
    ExportColumn("intitulé", lambda a: a.title),
    ExportColumn("type", lambda a: a.get_kind_display()),
    ExportColumn("lieu", lambda a: a.place),
    ExportColumn("places", lambda a: a.capacity),
    ExportColumn("places prises", lambda a: a.taken or 0),
    ExportColumn("en liste d'attente", lambda a: a.waiting),
    ExportColumn("présents", lambda a: a.present),
]
REGISTRATION_EXPORT = [
    ExportColumn("nom", lambda r: r.name),
    ExportColumn("référence du bail", lambda r: r.household.reference if r.household_id else ""),
    ExportColumn("téléphone", lambda r: r.phone),
    ExportColumn("places", lambda r: r.places),
    ExportColumn("état", lambda r: r.get_status_display()),
    ExportColumn("inscrit le", lambda r: local(r.registered_at)),
    ExportColumn("présent", lambda r: r.attended),
]


def _activities(request):
    return Activity.objects.for_organisation(request.user.organisation)


def with_figures(activities):
    confirmed = Q(registrations__status=RegistrationStatus.CONFIRMED)
    return activities.annotate(
        taken=Sum("registrations__places", filter=confirmed),
        waiting=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITING)),
        present=Count("registrations", filter=confirmed & Q(registrations__attended=True)),
    )


@require(perms.can_view_concierge)
def activity_list(request):
    """The activities to come (or past ones) with their places taken, waiting list and attendance."""
    now = timezone.now()
    past = request.GET.get("passees") == "1"
    activities = with_figures(_activities(request))
    activities = (
        activities.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
        if past
        else activities.upcoming(now).order_by("starts_at", "pk")
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, "conciergerie-activites", ACTIVITY_EXPORT, activities)
    return render(
        request,
        "concierge/activity_list.html",
        {
            "page": paginate(request, activities),
            "query": querystring_without(request, "page", "format"),
            "past": past,
            "can_manage": perms.can_manage_concierge(request.user, request.user.organisation),
        },
    )


def _activity_form_page(request, activity=None):
    form = ActivityForm(request.POST or None, instance=activity, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ActivityForm.Meta.fields}
        try:
            if activity is None:
                activity = services.create_activity(organisation=request.user.organisation, by=request.user, **values)
                promoted = []
            else:
                activity, promoted = services.update_activity(activity=activity, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Activité « {activity.title} » enregistrée.")
            _tell_promoted(request, promoted)
            return redirect("concierge:activity_detail", pk=activity.pk)
    return render(request, "concierge/activity_form.html", {"form": form, "activity": activity})


def _tell_promoted(request, promoted) -> None:
    """Those who leave the waiting list must be told: name them, with their phone, in the message."""
    if promoted:
        names = ", ".join(f"{r.name}{f' ({r.phone})' if r.phone else ''}" for r in promoted)
        messages.info(request, f"Place libérée pour la liste d'attente : prévenez {names}.")


@require(perms.can_manage_concierge)
def activity_create(request):
    return _activity_form_page(request)


@require(perms.can_manage_concierge)
def activity_update(request, pk):
    return _activity_form_page(request, get_object_or_404(_activities(request), pk=pk))


@require(perms.can_view_concierge)
def activity_detail(request, pk):
    """One activity: registrations and waiting list, the form to register someone, the attendance sheet."""
    activity = get_object_or_404(with_figures(_activities(request)), pk=pk)
    form = RegistrationForm(
        request.POST or None, households=linkable_households(request.user), auto_id="inscription_%s"
    )
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.register(activity=activity, by=request.user, **form.inhabitant())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if registration.status == RegistrationStatus.CONFIRMED:
                messages.success(request, f"{registration.name} est inscrit(e).")
            else:
                messages.warning(request, f"Complet : {registration.name} est sur la liste d'attente.")
            return redirect("concierge:activity_detail", pk=activity.pk)
    registrations = list(activity.registrations.select_related("household").order_by("registered_at", "pk"))
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit_export(
            request,
            target_type="concierge.Registration",
            what=f"inscrits à {activity}",
            fmt=fmt,
            count=len(registrations),
        )
        return export_response(fmt, "inscriptions", REGISTRATION_EXPORT, registrations)
    audit_names(request, registrations, target_type="concierge.Registration", what=f"inscrits à {activity}")
    visible = visible_household_ids(request.user, [r.household_id for r in registrations])
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    now = timezone.now()
    return render(
        request,
        "concierge/activity_detail.html",
        {
            "activity": activity,
            "form": form,
            "groups": [
                ("Inscrits", [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]),
                ("Liste d'attente", [r for r in registrations if r.status == RegistrationStatus.WAITING]),
                ("Désinscrits", [r for r in registrations if r.status == RegistrationStatus.CANCELLED]),
            ],
            "visible": visible,
            "free": max(activity.capacity - (activity.taken or 0), 0),
            "started": activity.starts_at <= now,
            "ended": activity.ends_at <= now,
            "attendance_form": AttendanceForm(registrations=confirmed)
            if activity.starts_at <= now and confirmed
            else None,
            "can_manage": perms.can_manage_concierge(request.user, request.user.organisation),
            "query": querystring_without(request, "page", "format"),
        },
    )


@require(perms.can_view_concierge)
@require_POST
def registration_cancel(request, pk):
    registration = get_object_or_404(Registration.objects.for_organisation(request.user.organisation), pk=pk)
    try:
        registration, promoted = services.cancel_registration(registration=registration, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{registration.name} est désinscrit(e).")
        _tell_promoted(request, promoted)
    return redirect("concierge:activity_detail", pk=registration.activity_id)


@require(perms.can_view_concierge)
@require_POST
def activity_attendance(request, pk):
    """The attendance sheet: the confirmed registrations ticked were there, the others were not."""
    activity = get_object_or_404(_activities(request), pk=pk)
    confirmed = list(activity.registrations.filter(status=RegistrationStatus.CONFIRMED))
    form = AttendanceForm(request.POST, registrations=confirmed)
    if form.is_valid():
        try:
            present, absent = services.record_attendance(
                activity=activity, present=form.cleaned_data["present"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Présences enregistrées : {present} présent(s), {absent} absent(s).")
    else:
        messages.error(request, form_errors(form))
    return redirect("concierge:activity_detail", pk=activity.pk)


urlpatterns = [
    path("activites/", activity_list, name="activity_list"),
    path("activites/nouvelle/", activity_create, name="activity_create"),
    path("activites/<int:pk>/", activity_detail, name="activity_detail"),
    path("activites/<int:pk>/modifier/", activity_update, name="activity_update"),
    path("activites/<int:pk>/presences/", activity_attendance, name="activity_attendance"),
    path("inscriptions/<int:pk>/annuler/", registration_cancel, name="registration_cancel"),
]
