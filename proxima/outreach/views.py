"""Pages of the elderly outreach programme.

Staff (``can_view_programme``) see the programmes, the people enrolled and their history. Everyone who
calls or visits (staff and the partners' volunteers, ``can_view_own_contacts``) has a calendar of the
contacts due to them and records each outcome; a volunteer sees only the people assigned to them, and only
their name, phone, address and plan. Alerts are read by the landlord's staff and, for those escalated to
it, by the partner organisation. Every page that names a person writes it to the audit trail of the
landlord the person belongs to.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction, OrganisationKind
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.enums import ConsentPurpose
from proxima.households.models import Consent
from proxima.needs.outreach_services import get_outreach_settings, outreach_params
from proxima.needs.views.outreach import iter_rows
from proxima.outreach import schedule, services
from proxima.outreach.enums import AlertStatus, ConsentState, ContactKind
from proxima.outreach.forms import (
    AlertFilterForm,
    AlertTransitionForm,
    BulkEnrolForm,
    ConsentForm,
    ContactForm,
    EndForm,
    EnrolForm,
    EnrolmentFilterForm,
    PlanForm,
    ProgrammeForm,
)
from proxima.outreach.models import Alert, Contact, ContactPlan, Enrolment, Programme

# What "Mes contacts à faire" shows: the contacts already late, today's, and those of the next days.
SHOWN_BUCKETS = (schedule.OVERDUE, schedule.TODAY, schedule.THIS_WEEK)
HISTORY_SHOWN = 30
VOLUNTEER_HISTORY_SHOWN = 5
NO_ASSIGNEE = "aucun"


def _record_persons_read(request, enrolments, *, what: str, action: str = AuditAction.LIST) -> None:
    """Log which households were shown, in the trail of the landlord each belongs to (a volunteer's calendar may
    span several landlords, and the landlord must see who read its residents' details)."""
    by_organisation = defaultdict(list)
    for enrolment in enrolments:
        by_organisation[enrolment.organisation_id].append(enrolment.household_id)
    for organisation_id, ids in sorted(by_organisation.items()):
        audit.record(
            action=action,
            organisation_id=organisation_id,
            target_type="households.Household",
            target_repr=what,
            details={"ids": sorted(set(ids)), "filters": request.GET.dict()},
        )


def _address(household) -> str:
    building = household.dwelling.building
    site = building.site
    street = building.address or site.address
    return ", ".join(part for part in (street, site.commune.name) if part)


# --- Programmes -----------------------------------------------------------------------------------------------


def _programme(request, pk):
    return get_object_or_404(Programme.objects.for_organisation(request.user.organisation), pk=pk)


@require(perms.can_view_programme)
def programme_list(request):
    """The organisation's programmes with their number of people followed and unresolved alerts."""
    active = Enrolment.objects.active().filter(programme=OuterRef("pk")).order_by().values("programme")
    alerts = (
        Alert.objects.unresolved()
        .filter(enrolment__programme=OuterRef("pk"))
        .order_by()
        .values("enrolment__programme")
    )
    programmes = (
        Programme.objects.for_organisation(request.user.organisation)
        .select_related("referent", "partner")
        .annotate(
            enrolled=Coalesce(Subquery(active.annotate(n=Count("pk")).values("n")), 0),
            unresolved_alerts=Coalesce(Subquery(alerts.annotate(n=Count("pk")).values("n")), 0),
        )
    )
    return render(
        request,
        "outreach/programme_list.html",
        {
            "programmes": programmes,
            "can_manage": perms.can_manage_programme(request.user, request.user.organisation),
        },
    )


@require(perms.can_manage_programme)
def programme_create(request):
    org = request.user.organisation
    form = ProgrammeForm(request.POST if request.method == "POST" else None, organisation=org)
    if request.method == "POST" and form.is_valid():
        programme = services.save_programme(organisation=org, **form.cleaned_data)
        messages.success(request, f"Programme « {programme.name} » créé.")
        return redirect("outreach:programme_detail", pk=programme.pk)
    return render(request, "outreach/programme_form.html", {"form": form, "programme": None})


@require(perms.can_manage_programme)
def programme_update(request, pk):
    programme = _programme(request, pk)
    form = ProgrammeForm(
        request.POST if request.method == "POST" else None, instance=programme, organisation=request.user.organisation
    )
    if request.method == "POST" and form.is_valid():
        services.save_programme(organisation=request.user.organisation, programme=programme, **form.cleaned_data)
        messages.success(request, "Réglages du programme enregistrés.")
        return redirect("outreach:programme_detail", pk=programme.pk)
    return render(request, "outreach/programme_form.html", {"form": form, "programme": programme})


def _last_contact(field):
    return Subquery(Contact.objects.filter(enrolment=OuterRef("pk")).order_by("-occurred_at", "-pk").values(field)[:1])


def _enrolments(request, programme, form):
    enrolments = (
        Enrolment.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("person", "household__dwelling__building__site__commune")
        .with_consent()
        .annotate(
            last_contact_at=_last_contact("occurred_at"),
            last_contact_success=_last_contact("success"),
            unresolved_alerts=Coalesce(
                Subquery(
                    Alert.objects.unresolved()
                    .filter(enrolment=OuterRef("pk"))
                    .order_by()
                    .values("enrolment")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .prefetch_related(
            Prefetch(
                "plans", queryset=ContactPlan.objects.current().select_related("assignee"), to_attr="current_plans"
            )
        )
    )
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status", "")
    if status == "":
        enrolments = enrolments.active()
    elif status == "ended":
        enrolments = enrolments.exclude(ended_on=None)
    consent = data.get("consent")
    if consent == ConsentState.GIVEN:
        enrolments = enrolments.filter(has_consent=True)
    elif consent == ConsentState.WITHDRAWN:
        enrolments = enrolments.filter(consent_withdrawn=True)
    elif consent == ConsentState.PENDING:
        enrolments = enrolments.filter(has_consent=False, consent_withdrawn=False)
    if q := data.get("q"):
        enrolments = enrolments.filter(
            Q(household__reference__icontains=q)
            | Q(person__last_name__icontains=q)
            | Q(person__first_name__icontains=q)
        )
    return enrolments.order_by("person__last_name", "person__first_name", "pk")


def consent_state(enrolment) -> str:
    if enrolment.has_consent:
        return ConsentState.GIVEN
    if enrolment.consent_withdrawn:
        return ConsentState.WITHDRAWN
    return ConsentState.PENDING


def _plans_text(enrolment) -> str:
    return " ; ".join(
        f"{plan} ({plan.assignee.get_full_name() or plan.assignee.email if plan.assignee else 'à attribuer'})"
        for plan in enrolment.current_plans
    )


ENROLMENT_EXPORT = [
    ExportColumn("personne suivie", lambda e: str(e.person)),
    ExportColumn("téléphone", lambda e: e.person.phone),
    ExportColumn("référence du bail", lambda e: e.household.reference),
    ExportColumn("résidence", lambda e: e.household.dwelling.building.site.name),
    ExportColumn("adresse", lambda e: _address(e.household)),
    ExportColumn("inscrit le", lambda e: e.enrolled_on),
    ExportColumn("origine", lambda e: e.get_source_display()),
    ExportColumn("accord", lambda e: str(ConsentState(consent_state(e)).label)),
    ExportColumn("plans de contact", _plans_text),
    ExportColumn(
        "dernier contact", lambda e: timezone.localtime(e.last_contact_at).date() if e.last_contact_at else None
    ),
    ExportColumn("dernier contact réussi", lambda e: e.last_contact_success),
    ExportColumn("alertes non résolues", lambda e: e.unresolved_alerts),
    ExportColumn("fin du suivi", lambda e: e.ended_on),
    ExportColumn("motif de fin", lambda e: e.get_end_reason_display()),
]


@require(perms.can_view_programme)
def programme_detail(request, pk):
    """The programme's settings and the people it follows (filtered, paginated, exported)."""
    programme = get_object_or_404(
        Programme.objects.for_organisation(request.user.organisation).select_related("referent", "partner"), pk=pk
    )
    form = EnrolmentFilterForm(request.GET or None)
    enrolments = _enrolments(request, programme, form)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(
            request, fmt=fmt, count=enrolments.count(), what=f"suivis du programme {programme}"
        )
        return export_response(fmt, "suivis-aines", ENROLMENT_EXPORT, enrolments)
    page = paginate(request, enrolments)
    rows = [{"enrolment": e, "consent": ConsentState(consent_state(e))} for e in page]
    _record_persons_read(request, page, what=f"suivis du programme {programme}")
    return render(
        request,
        "outreach/programme_detail.html",
        {
            "programme": programme,
            "form": form,
            "page": page,
            "rows": rows,
            "query": querystring_without(request, "page", "format"),
            "can_manage": perms.can_manage_programme(request.user, request.user.organisation),
        },
    )


@require(perms.can_manage_programme)
def programme_enrol_list(request, pk):
    """The elderly people living alone of the outreach list not yet enrolled: tick and enrol them."""
    programme = _programme(request, pk)
    today = timezone.localdate()
    flags = services.elderly_candidates(programme=programme, user=request.user, today=today)
    form = BulkEnrolForm(
        request.POST if request.method == "POST" else None, candidate_ids=[f.household_id for f in flags]
    )
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = services.enrol_from_outreach_list(
                programme=programme, by=request.user, today=today, household_ids=form.cleaned_data["households"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{len(enrolled)} personne(s) inscrite(s) au programme.")
            return redirect("outreach:programme_detail", pk=programme.pk)
    params = outreach_params(get_outreach_settings(programme.organisation), today=today)
    rows = list(iter_rows(flags, params))
    audit.record_household_list(
        request, ids=[r.household_id for r in rows], what="liste d'aller vers (inscription au programme)"
    )
    return render(request, "outreach/programme_enrol_list.html", {"programme": programme, "form": form, "rows": rows})


@require(perms.can_manage_programme)
def programme_enrol(request, pk):
    """Enrol one household by its lease reference, with its consent if just given."""
    programme = _programme(request, pk)
    form = EnrolForm(request.POST if request.method == "POST" else None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = services.enrol_household(
                programme=programme,
                household=form.household,
                by=request.user,
                today=timezone.localdate(),
                consent_given_on=data["consent_given_on"] if data["consent_given"] else None,
                consent_channel=data["consent_channel"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{enrolment.person} est inscrit au programme.")
            return redirect("outreach:enrolment_detail", pk=enrolment.pk)
    return render(request, "outreach/programme_enrol.html", {"programme": programme, "form": form})


# --- Enrolments -----------------------------------------------------------------------------------------------


def _enrolment(request, pk):
    return get_object_or_404(
        Enrolment.objects.visible_to(request.user)
        .select_related("programme__partner", "person", "household__dwelling__building__site__commune")
        .with_consent(),
        pk=pk,
    )


@require(perms.can_view_programme)
def enrolment_detail(request, pk):
    """One person's follow-up: consent, plans, next contacts, history and alerts; the forms to act on it."""
    enrolment = _enrolment(request, pk)
    programme = enrolment.programme
    today = timezone.localdate()
    audit.record_read(enrolment.household, user=request.user, source=f"{request.method} {request.path}")
    due, _ = services.load_due_contacts(
        ContactPlan.objects.current().filter(enrolment=enrolment).select_related("assignee"), today=today
    )
    plans = {p.pk: p for p in enrolment.plans.current().select_related("assignee")}
    can_manage = perms.can_manage_programme(request.user, request.user.organisation)
    return render(
        request,
        "outreach/enrolment_detail.html",
        {
            "enrolment": enrolment,
            "programme": programme,
            "address": _address(enrolment.household),
            "consent": ConsentState(consent_state(enrolment)),
            "due": [{"due": d, "plan": plans[d.plan.plan_id]} for d in due],
            "contacts": list(enrolment.contacts.select_related("recorded_by")[:HISTORY_SHOWN]),
            "alerts": list(enrolment.alerts.all()),
            "can_manage": can_manage,
            "consent_form": ConsentForm(),
            "plan_form": PlanForm(programme=programme),
            "end_form": EndForm(),
        },
    )


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))


@require(perms.can_record_consent)
@require_POST
def enrolment_consent(request, pk):
    enrolment = _enrolment(request, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_enrolment_consent(enrolment=enrolment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Accord aux appels et visites de convivialité enregistré.")
    else:
        _form_errors(request, form)
    return redirect("outreach:enrolment_detail", pk=enrolment.pk)


@require(perms.can_manage_programme)
@require_POST
def enrolment_plan(request, pk):
    enrolment = _enrolment(request, pk)
    form = PlanForm(request.POST, programme=enrolment.programme)
    if form.is_valid():
        try:
            plan = services.save_plan(enrolment=enrolment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Plan enregistré : {plan}.")
    else:
        _form_errors(request, form)
    return redirect("outreach:enrolment_detail", pk=enrolment.pk)


@require(perms.can_manage_programme)
@require_POST
def plan_stop(request, pk, plan_pk):
    enrolment = _enrolment(request, pk)
    plan = get_object_or_404(enrolment.plans.all(), pk=plan_pk)
    try:
        services.stop_plan(plan=plan, on=timezone.localdate())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Plan arrêté : {plan}.")
    return redirect("outreach:enrolment_detail", pk=enrolment.pk)


@require(perms.can_manage_programme)
@require_POST
def enrolment_end(request, pk):
    enrolment = _enrolment(request, pk)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.end_enrolment(enrolment=enrolment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Fin du suivi enregistrée.")
    else:
        _form_errors(request, form)
    return redirect("outreach:enrolment_detail", pk=enrolment.pk)


# --- Contacts to make -----------------------------------------------------------------------------------------


def _contact_enrolments(user):
    """The enrolments whose contacts ``user`` may record: their organisation's (as they see them) for the
    landlord's staff; for a volunteer, only those assigned to them."""
    if perms.is_volunteer(user):
        return Enrolment.objects.assigned_to(user)
    return Enrolment.objects.visible_to(user).contactable()


def _contact_time(day: dt.date) -> dt.datetime:
    """Today's contact is dated now; an earlier one, recorded afterwards, at noon that day."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@require(perms.can_view_own_contacts)
def contact_record(request, pk):
    """Record the outcome of a call or visit. A volunteer sees the person's name, phone, address and plan only."""
    enrolment = get_object_or_404(
        _contact_enrolments(request.user).select_related(
            "programme", "person", "household__dwelling__building__site__commune"
        ),
        pk=pk,
    )
    volunteer = perms.is_volunteer(request.user)
    plans = enrolment.plans.current().select_related("assignee")
    if volunteer:
        plans = plans.filter(assignee=request.user)
    plans = list(plans)
    kinds = {p.kind for p in plans} if volunteer else set(ContactKind.values)
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        initial={"kind": plans[0].kind if plans else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.record_contact(
                enrolment=enrolment,
                kind=data["kind"],
                outcome=data["outcome"],
                when=_contact_time(data["contacted_on"]),
                by=request.user,
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
        else:
            text = f"Contact avec {enrolment.person} enregistré."
            if not contact.success:
                text += " Le contact n'a pas abouti : il sera à refaire dans quelques jours."
            messages.success(request, text)
            return redirect("outreach:my_contacts")
    audit.record(
        action=AuditAction.READ,
        organisation_id=enrolment.organisation_id,
        target_type="households.Household",
        target_id=enrolment.household_id,
        target_repr=str(enrolment.household),
        user=request.user,
        source=f"{request.method} {request.path}",
    )
    shown = VOLUNTEER_HISTORY_SHOWN if volunteer else HISTORY_SHOWN
    return render(
        request,
        "outreach/contact_form.html",
        {
            "enrolment": enrolment,
            "address": _address(enrolment.household),
            "plans": plans,
            "contacts": list(enrolment.contacts.all()[:shown]),
            "form": form,
            "volunteer": volunteer,
        },
    )


@dataclass(frozen=True)
class DueRow:
    """One line of a calendar, as shown and exported."""

    due: schedule.DueContact
    plan: ContactPlan

    @property
    def enrolment(self) -> Enrolment:
        return self.plan.enrolment


CALENDAR_EXPORT = [
    ExportColumn("à faire le", lambda r: r.due.due_on),
    ExportColumn("jours de retard", lambda r: r.due.days_late),
    ExportColumn("type de contact", lambda r: r.plan.get_kind_display()),
    ExportColumn("rythme (jours)", lambda r: r.plan.every_days),
    ExportColumn("personne", lambda r: str(r.enrolment.person)),
    ExportColumn("téléphone", lambda r: r.enrolment.person.phone),
    ExportColumn("adresse", lambda r: _address(r.enrolment.household)),
    ExportColumn("dernier contact", lambda r: r.due.last_on),
    ExportColumn("dernier contact réussi", lambda r: r.due.last_success),
    ExportColumn("assuré par", lambda r: str(r.plan.assignee) if r.plan.assignee else "à attribuer"),
]


def _calendar_agent(request):
    """Whose calendar: one's own; a manager may look at a colleague's or a volunteer's, or the unassigned plans."""
    wanted = request.GET.get("agent", "")
    if not wanted or not perms.can_manage_programme(request.user, request.user.organisation):
        return request.user, []
    choices = list(
        (services.staff_assignees(request.user.organisation) | _programme_volunteers(request.user.organisation))
        .order_by("last_name", "first_name", "email")
        .distinct()
    )
    if wanted == NO_ASSIGNEE:
        return None, choices
    for user in choices:
        if str(user.pk) == wanted:
            return user, choices
    raise Http404("Aucun agent de ce nom.")


def _programme_volunteers(organisation):
    from proxima.accounts.models import User

    partners = Programme.objects.for_organisation(organisation).exclude(partner=None).values("partner")
    return User.objects.filter(organisation__in=partners, role="partner", is_active=True)


@require(perms.can_view_own_contacts)
def my_contacts(request):
    """ "Mes contacts à faire": the calls and visits due to the user, late ones first, then today's and the week's."""
    today = timezone.localdate()
    agent, agents = _calendar_agent(request)
    can_manage = perms.can_manage_programme(request.user, request.user.organisation)
    if agent is not None and agent.pk == request.user.pk:
        enrolments = _contact_enrolments(request.user)
    elif agent is not None and perms.is_volunteer(agent):  # a manager looking at a volunteer's calendar
        enrolments = Enrolment.objects.assigned_to(agent).for_organisation(request.user.organisation)
    else:  # ... at a colleague's, or at the plans nobody is assigned yet
        enrolments = Enrolment.objects.for_organisation(request.user.organisation).contactable()
    plans = (
        ContactPlan.objects.current()
        .filter(enrolment__in=enrolments.values("pk"), assignee=agent)
        .select_related("assignee", "enrolment__person", "enrolment__household__dwelling__building__site__commune")
    )
    due, plans_by_id = services.load_due_contacts(plans, today=today)
    rows = [DueRow(d, plans_by_id[d.plan.plan_id]) for d in due if d.bucket in SHOWN_BUCKETS]
    fmt = request.GET.get("format")
    _record_persons_read(
        request,
        [r.enrolment for r in rows],
        what="contacts à faire du programme d'aller vers",
        action=AuditAction.EXPORT if fmt in FORMATS else AuditAction.LIST,
    )
    if fmt in FORMATS:
        return export_response(fmt, "contacts-a-faire", CALENDAR_EXPORT, rows)
    buckets = {bucket: [r for r in rows if r.due.bucket == bucket] for bucket in SHOWN_BUCKETS}
    return render(
        request,
        "outreach/my_contacts.html",
        {
            "overdue": buckets[schedule.OVERDUE],
            "today_rows": buckets[schedule.TODAY],
            "week": buckets[schedule.THIS_WEEK],
            "later": sum(1 for d in due if d.bucket == schedule.LATER),
            "agent": agent,
            "agents": agents if can_manage else [],
            "can_manage": can_manage,
            "no_assignee": NO_ASSIGNEE,
            "selected": request.GET.get("agent", ""),
            "today": today,
            "query": querystring_without(request, "format"),
            "volunteer": perms.is_volunteer(request.user),
        },
    )


# --- Alerts ---------------------------------------------------------------------------------------------------


ALERT_EXPORT = [
    ExportColumn("levée le", lambda a: a.raised_on),
    ExportColumn("niveau", lambda a: a.get_level_display()),
    ExportColumn("état", lambda a: a.get_status_display()),
    ExportColumn("contacts manqués d'affilée", lambda a: a.failures_in_row),
    ExportColumn("programme", lambda a: a.enrolment.programme.name),
    ExportColumn("personne", lambda a: str(a.enrolment.person)),
    ExportColumn("téléphone", lambda a: a.enrolment.person.phone),
    ExportColumn("adresse", lambda a: _address(a.enrolment.household)),
    ExportColumn("partenaire", lambda a: a.partner.name if a.partner else ""),
]


@require(perms.can_view_programme_alerts)
def alert_list(request):
    """Unresolved alerts first: the landlord's staff see theirs, a partner only those escalated to it."""
    form = AlertFilterForm(request.GET or None)
    alerts = services.visible_alerts(request.user).select_related(
        "partner",
        "enrolment__programme",
        "enrolment__person",
        "enrolment__household__dwelling__building__site__commune",
    )
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status", "")
    if status == "":
        alerts = alerts.unresolved()
    elif status != "all":
        alerts = alerts.filter(status=status)
    if level := data.get("level"):
        alerts = alerts.filter(level=level)
    alerts = alerts.order_by("-raised_on", "-pk")
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        rows = list(alerts)
        _record_persons_read(
            request, [a.enrolment for a in rows], what="alertes du programme d'aller vers", action=AuditAction.EXPORT
        )
        return export_response(fmt, "alertes-aines", ALERT_EXPORT, rows)
    page = paginate(request, alerts)
    _record_persons_read(request, [a.enrolment for a in page], what="alertes du programme d'aller vers")
    return render(
        request,
        "outreach/alert_list.html",
        {
            "form": form,
            "page": page,
            "query": querystring_without(request, "page", "format"),
            "partner_view": request.user.organisation.kind == OrganisationKind.PARTNER,
        },
    )


def _alert(request, pk):
    return get_object_or_404(
        services.visible_alerts(request.user).select_related(
            "partner",
            "referent",
            "enrolment__programme",
            "enrolment__person",
            "enrolment__household__dwelling__building__site__commune",
        ),
        pk=pk,
    )


@require(perms.can_view_programme_alerts)
def alert_detail(request, pk):
    """The alert, who it concerns (name, phone, address), the recent contacts, its history and what to do."""
    alert = _alert(request, pk)
    enrolment = alert.enrolment
    audit.record(
        action=AuditAction.READ,
        organisation_id=alert.organisation_id,
        target_type="households.Household",
        target_id=enrolment.household_id,
        target_repr=str(enrolment.household),
        user=request.user,
        source=f"{request.method} {request.path}",
    )
    return render(
        request,
        "outreach/alert_detail.html",
        {
            "alert": alert,
            "enrolment": enrolment,
            "address": _address(enrolment.household),
            "contacts": list(enrolment.contacts.all()[:VOLUNTEER_HISTORY_SHOWN]),
            "transitions": list(alert.transitions.all()),
            "form": AlertTransitionForm() if services.can_handle(request.user, alert) else None,
            "staff_view": request.user.organisation_id == alert.organisation_id,
            "has_consent": Consent.objects.active()
            .filter(household_id=enrolment.household_id, purpose=ConsentPurpose.OUTREACH)
            .exists(),
        },
    )


@require(perms.can_handle_programme_alerts)
@require_POST
def alert_transition(request, pk):
    alert = _alert(request, pk)
    if not services.can_handle(request.user, alert):
        raise PermissionDenied
    form = AlertTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.transition_alert(
                alert=alert, by=request.user, to_status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Alerte {AlertStatus(form.cleaned_data['status']).label}.")
    else:
        _form_errors(request, form)
    return redirect(reverse("outreach:alert_detail", args=[alert.pk]))
