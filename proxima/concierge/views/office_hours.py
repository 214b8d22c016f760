"""Office hours (permanences) at the concierge, an office or a bus stop: the sessions, their slots and
appointments, booking for an inhabitant, cancelling, and whether the person came."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.agency.public_schedule import french_date, french_hours
from proxima.concierge import services
from proxima.concierge.enums import AppointmentStatus
from proxima.concierge.forms import OfficeHoursForm, StaffBookingForm
from proxima.concierge.models import OfficeAppointment, OfficeHours
from proxima.concierge.views.common import audit_names, linkable_households, visible_household_ids
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without

OFFICE_HOURS_EXPORT = [
    ExportColumn("date", lambda o: o.date),
    ExportColumn("début", lambda o: o.start.strftime("%H:%M")),
    ExportColumn("fin", lambda o: o.end.strftime("%H:%M")),
    ExportColumn("intitulé", lambda o: o.title),
    ExportColumn("lieu", lambda o: o.get_place_kind_display()),
    ExportColumn("adresse ou arrêt", lambda o: o.where),
    ExportColumn("tenue par", lambda o: str(o.held_by) if o.held_by_id else ""),
    ExportColumn("rendez-vous pris", lambda o: o.booked),
    ExportColumn("réservable en ligne", lambda o: o.is_public),
]


def _office_hours(request):
    return OfficeHours.objects.for_organisation(request.user.organisation).select_related("stop", "held_by")


@require(perms.can_view_concierge)
def office_hours_list(request):
    """The sessions to come (or past ones), with their appointments booked."""
    today = timezone.localdate()
    past = request.GET.get("passees") == "1"
    sessions = _office_hours(request).annotate(
        booked=Count("appointments", filter=Q(appointments__status=AppointmentStatus.BOOKED))
    )
    sessions = (
        sessions.filter(date__lt=today).order_by("-date", "-start", "-pk")
        if past
        else sessions.upcoming(today).order_by("date", "start", "pk")
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, "conciergerie-permanences", OFFICE_HOURS_EXPORT, sessions)
    return render(
        request,
        "concierge/office_hours_list.html",
        {
            "page": paginate(request, sessions),
            "query": querystring_without(request, "page", "format"),
            "past": past,
            "can_manage": perms.can_manage_concierge(request.user, request.user.organisation),
        },
    )


def _form_values(form) -> dict:
    return {name: form.cleaned_data[name] for name in OfficeHoursForm.Meta.fields}


@require(perms.can_manage_concierge)
def office_hours_create(request):
    form = OfficeHoursForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_office_hours(
                organisation=request.user.organisation,
                repeat_weeks=form.cleaned_data["repeat_weeks"],
                **_form_values(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{len(created)} permanence(s) ouverte(s).")
            return redirect("concierge:office_hours_detail", pk=created[0].pk)
    return render(request, "concierge/office_hours_form.html", {"form": form})


@require(perms.can_manage_concierge)
def office_hours_update(request, pk):
    session = get_object_or_404(_office_hours(request), pk=pk)
    form = OfficeHoursForm(request.POST or None, instance=session, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_office_hours(office_hours=session, **_form_values(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Permanence modifiée.")
            return redirect("concierge:office_hours_detail", pk=session.pk)
    return render(request, "concierge/office_hours_form.html", {"form": form, "session": session})


@require(perms.can_view_concierge)
def office_hours_detail(request, pk):
    """One session: its slots with who booked them, the form to book for an inhabitant, who came."""
    session = get_object_or_404(_office_hours(request), pk=pk)
    slots = services.office_slots(session)
    form = StaffBookingForm(
        request.POST or None, slots=slots, households=linkable_households(request.user), auto_id="rdv_%s"
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.book_office_appointment(
                office_hours=session,
                starts_at=data["slot"],
                topic=data["topic"],
                received_via=data["received_via"],
                by=request.user,
                **form.inhabitant(),
            )
        except ValidationError as error:
            form.add_error("slot", error)
        else:
            messages.success(
                request,
                f"Rendez-vous réservé à {appointment.starts_at:%H:%M} pour {appointment.name}. "
                f"Code à lui donner : {appointment.code}.",
            )
            return redirect("concierge:office_hours_detail", pk=session.pk)
    appointments = list(
        session.appointments.select_related("household", "booked_by").order_by("starts_at", "created_at")
    )
    audit_names(
        request,
        appointments,
        target_type="concierge.OfficeAppointment",
        what=f"rendez-vous de la permanence {session}",
    )
    visible = visible_household_ids(request.user, [a.household_id for a in appointments])
    now = timezone.now()
    return render(
        request,
        "concierge/office_hours_detail.html",
        {
            "session": session,
            "when": f"{french_date(session.date)}, {french_hours(session.start, session.end)}",
            "rows": [
                {
                    "appointment": a,
                    "household_visible": a.household_id in visible,
                    "begun": services.slot_start(session, a.starts_at) <= now,
                }
                for a in appointments
            ],
            "free": sum(1 for s in slots if s.is_bookable),
            "form": form,
            "can_manage": perms.can_manage_concierge(request.user, request.user.organisation),
            "public_url": request.build_absolute_uri(
                reverse("concierge_public:book", args=[request.user.organisation.slug, session.pk])
            )
            if session.is_public
            else "",
        },
    )


def _appointment(request, pk) -> OfficeAppointment:
    return get_object_or_404(
        OfficeAppointment.objects.for_organisation(request.user.organisation).select_related("office_hours"), pk=pk
    )


@require(perms.can_view_concierge)
@require_POST
def appointment_cancel(request, pk):
    appointment = _appointment(request, pk)
    try:
        appointment = services.cancel_office_appointment(appointment=appointment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Rendez-vous de {appointment.name} à {appointment.starts_at:%H:%M} annulé.")
    return redirect("concierge:office_hours_detail", pk=appointment.office_hours_id)


@require(perms.can_view_concierge)
@require_POST
def appointment_attendance(request, pk):
    """Whether the person came (``venu=1`` or ``0``)."""
    appointment = _appointment(request, pk)
    try:
        appointment = services.record_appointment_attendance(
            appointment=appointment, attended=request.POST.get("venu") == "1", by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{appointment.name} : {'venu' if appointment.attended else 'absent'}.")
    return redirect("concierge:office_hours_detail", pk=appointment.office_hours_id)


urlpatterns = [
    path("permanences/", office_hours_list, name="office_hours_list"),
    path("permanences/nouvelle/", office_hours_create, name="office_hours_create"),
    path("permanences/<int:pk>/", office_hours_detail, name="office_hours_detail"),
    path("permanences/<int:pk>/modifier/", office_hours_update, name="office_hours_update"),
    path("rendez-vous/<int:pk>/annuler/", appointment_cancel, name="appointment_cancel"),
    path("rendez-vous/<int:pk>/presence/", appointment_attendance, name="appointment_attendance"),
]
