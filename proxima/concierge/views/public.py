"""The concierge's pages for inhabitants (no login, no JavaScript, plain French): what it offers, the request
form, booking a slot at office hours, and following or cancelling a request or an appointment with its code.

Nothing asks who the person's household is: staff link a tenant's request to their household afterwards. The
pages that take a code show only what the code belongs to, never the name or phone given, and count wrong
codes so that codes cannot be guessed; submissions are limited per session and per address, as on the bus's
booking pages (``proxima.agency.views.booking``).
"""

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache

from proxima.agency.public_schedule import french_date, french_hours, french_time, public_organisation
from proxima.concierge import rules, services
from proxima.concierge.enums import AppointmentStatus, RegistrationStatus, RequestKind, RequestStatus
from proxima.concierge.forms import CodeForm, PublicBookingForm, PublicRequestForm
from proxima.concierge.models import Activity, ConciergeRequest, OfficeAppointment, OfficeHours
from proxima.core.throttle import Throttle

REQUEST_SESSION_KEY = "concierge-requests"  # requests sent in this session: the confirmation shows only these
BOOKING_SESSION_KEY = "concierge-bookings"
CODE_THROTTLE = Throttle("concierge-code", per_session=5, per_address=30)
REQUEST_THROTTLE = Throttle("concierge-request", per_session=5, per_address=20)
BOOKING_THROTTLE = Throttle("concierge-booking", per_session=4, per_address=20)
UPCOMING_SHOWN = 10

UNKNOWN_CODE = "Ce code ne correspond à aucune demande ni à aucun rendez-vous. Vérifiez les lettres et les chiffres."
TOO_MANY_CODES = (
    "Trop d'essais de code. Patientez un quart d'heure avant de réessayer, ou appelez la conciergerie : "
    "elle peut vous renseigner par téléphone."
)
TOO_MANY_REQUESTS = (
    "Vous avez déjà envoyé plusieurs demandes. Pour en faire d'autres, patientez un quart d'heure "
    "ou appelez la conciergerie."
)
TOO_MANY_BOOKINGS = (
    "Vous avez déjà pris plusieurs rendez-vous. Pour en prendre d'autres, patientez un quart d'heure "
    "ou appelez la conciergerie."
)
# A request's status as the inhabitant reads it.
STATUS_WORDS = {
    RequestStatus.NEW: "Reçue : la conciergerie va s'en occuper.",
    RequestStatus.IN_PROGRESS: "En cours : la conciergerie s'en occupe.",
    RequestStatus.ON_HOLD: "En attente : la conciergerie attend quelque chose pour continuer (elle vous recontacte si besoin).",
    RequestStatus.DONE: "Traitée.",
    RequestStatus.CANCELLED: "Annulée.",
}


def _context(organisation) -> dict:
    return {"organisation": organisation, "concierge": services.get_concierge_settings(organisation)}


def _remember(request, key: str, pk: int) -> None:
    request.session[key] = [*request.session.get(key, [])[-9:], pk]


def index(request, org):
    """What the concierge offers, its next office hours and activities, and the ways to ask."""
    organisation = public_organisation(org)
    today, now = timezone.localdate(), timezone.now()
    sessions = list(
        OfficeHours.objects.for_organisation(organisation)
        .public()
        .upcoming(today)
        .select_related("stop")
        .order_by("date", "start", "pk")[:UPCOMING_SHOWN]
    )
    activities = (
        Activity.objects.for_organisation(organisation)
        .upcoming(now)
        .annotate(taken=Sum("registrations__places", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)))
        .order_by("starts_at", "pk")[:UPCOMING_SHOWN]
    )
    return render(
        request,
        "concierge/public/index.html",
        {
            **_context(organisation),
            "sessions": [_public_session(s, today=today) for s in sessions],
            "activities": [
                {
                    "activity": a,
                    "day": french_date(timezone.localdate(a.starts_at), today=today),
                    "hours": french_hours(
                        timezone.localtime(a.starts_at).time(), timezone.localtime(a.ends_at).time()
                    ),
                    "full": (a.taken or 0) >= a.capacity,
                }
                for a in activities
            ],
            "kinds": RequestKind.labels,
        },
    )


def _public_session(session: OfficeHours, *, today) -> dict:
    return {
        "session": session,
        "day": french_date(session.date, today=today),
        "hours": french_hours(session.start, session.end),
        "free": sum(1 for slot in services.office_slots(session) if slot.is_bookable),
    }


@never_cache
def request_form(request, org):
    """The request form: what for, a few words, a name and a phone or an e-mail."""
    organisation = public_organisation(org)
    context = _context(organisation)
    form = PublicRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if REQUEST_THROTTLE.is_limited(request):
            form.add_error(None, TOO_MANY_REQUESTS)
            status = 429
        elif form.is_valid():
            try:
                created = services.submit_online_request(organisation=organisation, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
                status = 409
            else:
                REQUEST_THROTTLE.count(request)
                _remember(request, REQUEST_SESSION_KEY, created.pk)
                return redirect("concierge_public:requested", org=organisation.slug)
        else:
            status = 422
    return render(request, "concierge/public/request_form.html", {**context, "form": form}, status=status)


@never_cache
def requested(request, org):
    """The confirmation of the request just sent in this session, with its code."""
    organisation = public_organisation(org)
    sent = (
        ConciergeRequest.objects.for_organisation(organisation)
        .filter(pk__in=request.session.get(REQUEST_SESSION_KEY, [])[-1:])
        .first()
    )
    if sent is None:
        return redirect("concierge_public:index", org=organisation.slug)
    return render(request, "concierge/public/requested.html", {**_context(organisation), "req": sent})


def _bookable_sessions(organisation):
    return (
        OfficeHours.objects.for_organisation(organisation)
        .public()
        .upcoming(timezone.localdate())
        .select_related("stop")
    )


@never_cache
def book(request, org, pk):
    """Booking a slot at one session of office hours."""
    organisation = public_organisation(org)
    session = get_object_or_404(_bookable_sessions(organisation), pk=pk)
    slots = services.office_slots(session)
    form = PublicBookingForm(request.POST or None, slots=slots)
    status = 200
    if request.method == "POST":
        if BOOKING_THROTTLE.is_limited(request):
            form.add_error(None, TOO_MANY_BOOKINGS)
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                appointment = services.book_office_appointment(
                    office_hours=session,
                    starts_at=data["slot"],
                    name=data["name"],
                    phone=data["phone"],
                    topic=data["topic"],
                )
            except ValidationError as error:
                form.add_error("slot", error)
                slots = services.office_slots(session)
                form.fields["slot"].choices = [
                    (s.starts_at.strftime("%H:%M"), french_time(s.starts_at)) for s in slots if s.is_bookable
                ]
                status = 409
            else:
                BOOKING_THROTTLE.count(request)
                _remember(request, BOOKING_SESSION_KEY, appointment.pk)
                return redirect("concierge_public:booked", org=organisation.slug)
        else:
            status = 422
    return render(
        request,
        "concierge/public/book.html",
        {
            **_context(organisation),
            **_public_session(session, today=timezone.localdate()),
            "form": form,
            "has_free_slot": any(s.is_bookable for s in slots),
        },
        status=status,
    )


def _appointment_words(appointment: OfficeAppointment) -> dict:
    session = appointment.office_hours
    return {
        "day": french_date(session.date),
        "time": french_time(appointment.starts_at),
        "session": session,
        "is_cancelled": appointment.status == AppointmentStatus.CANCELLED,
    }


@never_cache
def booked(request, org):
    organisation = public_organisation(org)
    appointment = (
        OfficeAppointment.objects.for_organisation(organisation)
        .select_related("office_hours__stop")
        .filter(pk__in=request.session.get(BOOKING_SESSION_KEY, [])[-1:])
        .first()
    )
    if appointment is None:
        return redirect("concierge_public:index", org=organisation.slug)
    return render(
        request,
        "concierge/public/booked.html",
        {**_context(organisation), **_appointment_words(appointment), "appointment": appointment},
    )


@never_cache
def follow(request, org):
    """Follow or cancel a request or an appointment with its code; the page shows only what the code belongs to."""
    organisation = public_organisation(org)
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")[:20]})
    context = {**_context(organisation), "form": form}
    status = 200
    if request.method == "POST":
        if CODE_THROTTLE.is_limited(request):
            form.add_error(None, TOO_MANY_CODES)
            status = 429
        elif form.is_valid():
            found = services.find_by_code(organisation, form.cleaned_data["code"])
            if found is None:
                CODE_THROTTLE.count(request)
                form.add_error("code", UNKNOWN_CODE)
                status = 422
            elif isinstance(found, ConciergeRequest):
                return _follow_request(request, context, found)
            else:
                return _follow_appointment(request, context, found)
        else:
            status = 422
    return render(request, "concierge/public/follow.html", context, status=status)


def _follow_request(request, context, found: ConciergeRequest):
    if request.POST.get("confirm"):
        try:
            found = services.cancel_online_request(request=found)
        except ValidationError as error:
            context["problem"] = " ".join(error.messages)
        else:
            context["just_cancelled"] = True
    return render(
        request,
        "concierge/public/request_status.html",
        {
            **context,
            "req": found,
            "status_words": STATUS_WORDS[RequestStatus(found.status)],
            "can_cancel": found.status in rules.OPEN_STATUSES,
            "received": french_date(timezone.localdate(found.received_at)),
        },
    )


def _follow_appointment(request, context, appointment: OfficeAppointment):
    if request.POST.get("confirm"):
        try:
            appointment = services.cancel_office_appointment(appointment=appointment)
        except ValidationError as error:
            context["problem"] = " ".join(error.messages)
        else:
            context["just_cancelled"] = True
    return render(
        request,
        "concierge/public/appointment_status.html",
        {**context, **_appointment_words(appointment), "appointment": appointment},
    )


urlpatterns = [
    path("<slug:org>/", index, name="index"),
    path("<slug:org>/demande/", request_form, name="request"),
    path("<slug:org>/demande/envoyee/", requested, name="requested"),
    path("<slug:org>/permanence/<int:pk>/", book, name="book"),
    path("<slug:org>/rendez-vous/confirme/", booked, name="booked"),
    path("<slug:org>/suivi/", follow, name="follow"),
]
