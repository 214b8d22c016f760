"""booking views: residents book and cancel a slot at the bus; staff list, book and cancel for them.

Residents (no login, no JavaScript): a form per visit — a time, a name, an optional phone, a topic, nothing
that identifies their household — then a confirmation page with the code that lets them cancel. The cancel
page asks for that code: it shows only the booking the code belongs to, without the name or phone given, and
wrong codes are counted as on the survey code page (``needs.views.respond``) so codes cannot be guessed.

Sending the booking form again once it has booked (a double click, the back button) shows the confirmation of
the booking this session holds, not "this time is no longer free".

Staff (``can_manage_appointments``): the upcoming days of the published plans, the appointments of a day or
of a visit with the names (each such list is audited), booking for a resident on the phone or at the bus —
optionally linked to a household of the sites they see — and cancelling. Visits whose plan was unpublished or
replaced, or whose stop was deactivated, stay reachable while they hold booked appointments: no new booking
there, but the residents expected can still be seen, called and cancelled.
"""

import datetime as dt

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction
from proxima.agency import appointments, public_schedule
from proxima.agency.enums import AppointmentStatus
from proxima.agency.forms_booking import AppointmentCodeForm, BookingForm, StaffBookingForm
from proxima.agency.models import Appointment, TourPlan
from proxima.agency.public_schedule import french_date, french_hours, french_time, visit_when
from proxima.agency.retention import APPOINTMENT_RETENTION_DAYS
from proxima.agency.views.public import NotOnSchedule, resident_not_found
from proxima.core.decorators import require
from proxima.households.models import Household

SESSION_KEY = "agency-booked"  # the appointments booked in this session: the confirmation page shows only these
# Codes have 31^6 possible values per organisation: these limits make guessing one hopeless while letting a
# resident mistype a few times; several residents may share an address (a town hall's computer).
CODE_ATTEMPTS_PER_SESSION = 5
CODE_ATTEMPTS_PER_ADDRESS = 30
# Online bookings: enough for a family or a neighbour's help, not enough to fill a day's slots in a script.
BOOKINGS_PER_SESSION = 4
BOOKINGS_PER_ADDRESS = 20
WINDOW = 15 * 60  # seconds

UNKNOWN_CODE = "Ce code ne correspond à aucun rendez-vous. Vérifiez les lettres et les chiffres."
TOO_MANY_CODES = (
    "Trop d'essais de code. Patientez un quart d'heure avant de réessayer, ou appelez l'agence : "
    "elle peut annuler votre rendez-vous par téléphone."
)
TOO_MANY_BOOKINGS = (
    "Vous avez déjà pris plusieurs rendez-vous. Pour en prendre d'autres, patientez un quart d'heure "
    "ou appelez l'agence."
)


def _limit_keys(request, kind: str, per_session: int, per_address: int) -> list[tuple[str, int]]:
    if not request.session.session_key:
        request.session.save()
    return [
        (f"agency-{kind}:session:{request.session.session_key}", per_session),
        # As the login lockout sees the client's address (see needs.views.respond for a reverse proxy).
        (f"agency-{kind}:address:{get_client_ip_address(request) or ''}", per_address),
    ]


def _is_limited(keys) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in keys)


def _count(keys) -> None:
    for key, _ in keys:
        cache.add(key, 0, WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW)


def _code_keys(request):
    return _limit_keys(request, "code", CODE_ATTEMPTS_PER_SESSION, CODE_ATTEMPTS_PER_ADDRESS)


def _booking_keys(request):
    return _limit_keys(request, "booking", BOOKINGS_PER_SESSION, BOOKINGS_PER_ADDRESS)


def _held_appointment(request, visit) -> Appointment | None:
    """The booked appointment this session already holds for the slot and name posted: the form sent again."""
    ids = request.session.get(SESSION_KEY, [])
    try:
        starts_at = dt.time.fromisoformat(request.POST.get("slot", ""))
    except ValueError:
        return None
    name = " ".join(request.POST.get("name", "").split())
    if not ids or not name:
        return None
    return visit.appointments.booked().filter(pk__in=ids, starts_at=starts_at, name=name).first()


def _hold(request, appointment: Appointment) -> None:
    """Keep the appointment in the session, last: the confirmation page shows the last one."""
    ids = [pk for pk in request.session.get(SESSION_KEY, []) if pk != appointment.pk]
    request.session[SESSION_KEY] = [*ids[-9:], appointment.pk]


def _public_context(organisation) -> dict:
    return {"organisation": organisation, "phone": public_schedule.agency_settings(organisation).contact_phone}


@never_cache
@resident_not_found
def book(request, org, visit_pk):
    """The resident's booking form for one visit of the bus.

    A past visit, or one no longer on the schedule, is the residents' 404: the booking link was on a letter or
    a page printed before the plan changed.
    """
    organisation = public_schedule.public_organisation(org)
    # The visits of the public schedule: a visit over since this morning is past too.
    visit = (
        public_schedule.upcoming_visits(organisation)
        .select_related("day__plan__organisation", "stop__commune")
        .filter(pk=visit_pk)
        .first()
    )
    if visit is None:
        raise NotOnSchedule(organisation)
    slots = appointments.visit_slots(visit)
    form = BookingForm(request.POST or None, slots=slots)
    status = 200
    if request.method == "POST":
        held = _held_appointment(request, visit)
        if held is not None:  # sent again after it booked: confirm, as the first answer did
            _hold(request, held)
            return redirect("agency_public:booked", org=organisation.slug)
        keys = _booking_keys(request)
        if _is_limited(keys):
            form.add_error(None, TOO_MANY_BOOKINGS)
            status = 429
        elif form.is_valid():
            try:
                appointment = appointments.book_appointment(
                    visit=visit,
                    starts_at=form.cleaned_data["slot"],
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    topic=form.cleaned_data["topic"],
                )
            except ValidationError as error:
                form.add_error("slot", error)
                slots = appointments.visit_slots(visit)
                form.fields["slot"].choices = [(s.value, s.label) for s in slots if s.is_bookable]
                status = 409
            else:
                _count(keys)
                _hold(request, appointment)
                return redirect("agency_public:booked", org=organisation.slug)
        else:
            status = 422
    return render(
        request,
        "agency/booking/book.html",
        {
            **_public_context(organisation),
            "visit": visit,
            "when": visit_when(visit),
            "form": form,
            "has_free_slot": any(s.is_bookable for s in slots),
            "retention_days": APPOINTMENT_RETENTION_DAYS,
        },
        status=status,
    )


@never_cache
def booked(request, org):
    """The confirmation of the booking just made in this session: date, time, place and the code to cancel."""
    organisation = public_schedule.public_organisation(org)
    ids = request.session.get(SESSION_KEY, [])
    appointment = (
        Appointment.objects.for_organisation(organisation)
        .select_related("visit__day", "visit__stop__commune")
        .filter(pk__in=ids[-1:])
        .first()
    )
    if appointment is None:
        return redirect("agency_public:index", org=organisation.slug)
    return render(
        request,
        "agency/booking/booked.html",
        {**_public_context(organisation), **_appointment_context(appointment), "appointment": appointment},
    )


def _appointment_context(appointment: Appointment) -> dict:
    visit = appointment.visit
    return {
        "day": french_date(visit.day.date),
        "time": french_time(appointment.starts_at),
        "hours": french_hours(appointment.starts_at, appointment.ends_at),
        "stop": visit.stop,
        "is_cancelled": appointment.status == AppointmentStatus.CANCELLED,
    }


@never_cache
def cancel(request, org):
    """Cancel a booking with its code: the code shows that booking (not the name or phone given), then cancels."""
    organisation = public_schedule.public_organisation(org)
    form = AppointmentCodeForm(request.POST or None, initial={"code": request.GET.get("code", "")[:20]})
    context = {**_public_context(organisation), "form": form}
    status = 200
    if request.method == "POST":
        keys = _code_keys(request)
        if _is_limited(keys):
            form.add_error(None, TOO_MANY_CODES)
            status = 429
        elif form.is_valid():
            appointment = appointments.find_by_code(organisation, form.cleaned_data["code"])
            if appointment is None:
                _count(keys)
                form.add_error("code", UNKNOWN_CODE)
                status = 422
            else:
                context.update(_appointment_context(appointment), appointment=appointment)
                if request.POST.get("confirm"):
                    try:
                        appointment = appointments.cancel_appointment(appointment=appointment)
                    except ValidationError as error:
                        context["problem"] = " ".join(error.messages)
                    else:
                        context.update(_appointment_context(appointment), just_cancelled=True)
                return render(request, "agency/booking/manage.html", context)
        else:
            status = 422
    return render(request, "agency/booking/cancel.html", context, status=status)


public_urlpatterns = [
    path("<slug:org>/passage/<int:visit_pk>/rendez-vous/", book, name="book"),
    path("<slug:org>/rendez-vous/confirmation/", booked, name="booked"),
    path("<slug:org>/rendez-vous/annuler/", cancel, name="cancel"),
]


# Staff pages.


def _staff_visits(request):
    """The visits of the user's organisation open to appointments or still holding booked ones."""
    return appointments.managed_visits(request.user.organisation).select_related(
        "day__plan__organisation", "stop__commune"
    )


def _closed_reason(visit) -> str:
    """Why a visit takes no more appointments ("" when it does), as staff read it in the lists."""
    if visit.day.plan.published_at is None:
        return "tournée retirée de la publication"
    if not visit.stop.is_active:
        return "arrêt désactivé"
    return ""


def _audit_names(request, appointment_list, what: str) -> None:
    """Appointments name residents: log that they were shown, and which linked households (RGPD, art. 30)."""
    if not appointment_list:
        return
    audit.record(
        action=AuditAction.LIST,
        organisation_id=request.user.organisation_id,
        target_type="agency.Appointment",
        target_repr=what,
        details={"ids": [a.pk for a in appointment_list]},
    )
    households = [a.household_id for a in appointment_list if a.household_id]
    if households:
        audit.record_household_list(request, ids=households, what=what)


@require(perms.can_manage_appointments)
def appointment_days(request):
    """The coming days of the published plans: each visit with its booked and free slots, and the letters.

    Visits no longer open but still holding booked appointments are listed too, with the reason they are closed.
    """
    today = timezone.localdate()
    visits = list(
        _staff_visits(request)
        .filter(day__date__gte=today)
        .annotate(booked=Count("appointments", filter=Q(appointments__status=AppointmentStatus.BOOKED)))
        .order_by("day__date", "start", "pk")
    )
    slot_minutes = public_schedule.agency_settings(request.user.organisation).slot_minutes
    days = {}
    for visit in visits:
        slots = len(appointments.slot_times(visit.start, visit.end, slot_minutes))
        days.setdefault(visit.day.date, []).append(
            {
                "visit": visit,
                "hours": french_hours(visit.start, visit.end),
                "slots": slots,
                "booked": visit.booked,
                "closed": _closed_reason(visit),
            }
        )
    plans = TourPlan.objects.for_organisation(request.user.organisation).published().order_by("-start_date", "-pk")
    return render(
        request,
        "agency/booking/days.html",
        {
            "days": [{"date": date, "label": french_date(date), "visits": entries} for date, entries in days.items()],
            "plans": plans,
        },
    )


@require(perms.can_manage_appointments)
def appointments_day(request, day):
    """Every appointment of one day, by visit and time: the list to welcome residents at the bus."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    booked = list(
        Appointment.objects.for_organisation(request.user.organisation)
        .booked()
        .filter(visit__in=_staff_visits(request), visit__day__date=date)
        .select_related("visit__stop", "household")
        .order_by("visit__start", "visit__pk", "starts_at")
    )
    _audit_names(request, booked, f"rendez-vous du {date:%d/%m/%Y}")
    visible = _visible_households(request, booked)
    rows = [
        {"appointment": a, "time": french_time(a.starts_at), "household_visible": a.household_id in visible}
        for a in booked
    ]
    return render(request, "agency/booking/day.html", {"date": date, "label": french_date(date), "rows": rows})


def _visible_households(request, appointment_list) -> set[int]:
    """Linked households the user may open (a field agent: those of their sites only)."""
    ids = {a.household_id for a in appointment_list if a.household_id}
    if not ids:
        return set()
    return set(Household.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))


@require(perms.can_manage_appointments)
def visit_appointments(request, pk):
    """One visit's slots with who booked them, and the form to book for a resident while the visit is open."""
    visit = get_object_or_404(_staff_visits(request), pk=pk)
    closed = _closed_reason(visit)
    form = None
    if not closed:
        households = Household.objects.visible_to(request.user)
        slots = appointments.visit_slots(visit)
        form = StaffBookingForm(request.POST or None, slots=slots, households=households, auto_id="rdv_%s")
    elif request.method == "POST":  # a form sent from a page opened before the visit was closed
        messages.error(request, appointments.NOT_BOOKABLE)
        return redirect("agency:visit_appointments", pk=visit.pk)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            appointment = appointments.book_appointment(
                visit=visit,
                starts_at=form.cleaned_data["slot"],
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                topic=form.cleaned_data["topic"],
                household=form.cleaned_data["household_reference"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("slot", error)
        else:
            messages.success(
                request,
                f"Rendez-vous réservé à {french_time(appointment.starts_at)} pour {appointment.name}. "
                f"Code à lui donner : {appointment.code}.",
            )
            return redirect("agency:visit_appointments", pk=visit.pk)
    listed = list(visit.appointments.select_related("household", "booked_by").order_by("starts_at", "created_at"))
    _audit_names(request, listed, f"rendez-vous du passage {visit}")
    visible = _visible_households(request, listed)
    return render(
        request,
        "agency/booking/visit.html",
        {
            "visit": visit,
            "when": visit_when(visit),
            "appointments": [
                {"appointment": a, "time": french_time(a.starts_at), "household_visible": a.household_id in visible}
                for a in listed
            ],
            "form": form,
            "closed": closed,
            "public_url": request.build_absolute_uri(
                reverse("agency_public:book", args=[visit.day.plan.organisation.slug, visit.pk])
            ),
        },
    )


@require(perms.can_manage_appointments)
@require_POST
def appointment_cancel(request, pk):
    appointment = get_object_or_404(
        Appointment.objects.for_organisation(request.user.organisation).filter(visit__in=_staff_visits(request)),
        pk=pk,
    )
    try:
        appointment = appointments.cancel_appointment(appointment=appointment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Rendez-vous de {appointment.name} à {french_time(appointment.starts_at)} annulé.")
    if not _staff_visits(request).filter(pk=appointment.visit_id).exists():
        # The last booking of a visit no longer open: the visit leaves the staff's pages, its day stays.
        return redirect("agency:appointments_day", day=appointment.visit.day.date.isoformat())
    return redirect("agency:visit_appointments", pk=appointment.visit_id)


urlpatterns = [
    path("rendez-vous/", appointment_days, name="appointment_days"),
    path("rendez-vous/jour/<str:day>/", appointments_day, name="appointments_day"),
    path("rendez-vous/passage/<int:pk>/", visit_appointments, name="visit_appointments"),
    path("rendez-vous/<int:pk>/annuler/", appointment_cancel, name="appointment_cancel"),
]
