"""Referral pages.

The landlord's side (``can_view_referrals`` / ``can_refer``): the list with filters and export, a referral's page
with its history, the forms that send a household or a person who is not a tenant, and the delays. The partner's
side (``can_answer_referrals``): the referrals addressed to the user's organisation, and nothing else; each shows
what the partner needs to act and no more. Every display of a person's name and contact is audited, in the
landlord's trail (a partner's reads included). Changes of status go through :mod:`proxima.offer.referrals`.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.enums import ContactChannel, InteractionChannel, PersonRole
from proxima.households.models import Household, Person
from proxima.offer import referrals as services
from proxima.offer.enums import ReferralStatus
from proxima.offer.forms_referrals import (
    AbandonForm,
    DelaysForm,
    HouseholdReferralForm,
    InboxFilterForm,
    NoteForm,
    PartnerDelaysForm,
    PersonReferralForm,
    ReferralFilterForm,
    RefuseForm,
)
from proxima.offer.models import Partner, Referral, ReferralSettings, ReferralTransition

# The household's preferred way to be reached, as the channel of the contact that starts a referral.
_CHANNEL_OF_CONTACT = {
    ContactChannel.PHONE: InteractionChannel.PHONE,
    ContactChannel.LETTER: InteractionChannel.LETTER,
    ContactChannel.EMAIL: InteractionChannel.EMAIL,
    ContactChannel.SMS: InteractionChannel.SMS,
    ContactChannel.IN_PERSON: InteractionChannel.OFFICE,
}


def _source(request) -> str:
    return f"{request.method} {request.path}"


def _local(moment):
    """A moment in local time without its zone: spreadsheets (XLSX) take no time zone."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# The list and its export name no one: a lease reference or "non locataire", a commune, the service. Names and
# contacts are on the referral's page, whose every reading is audited.
LIST_EXPORT = [
    ExportColumn("n°", lambda r: r.pk),
    ExportColumn("envoyée le", lambda r: _local(r.sent_at)),
    ExportColumn("état", lambda r: r.get_status_display()),
    ExportColumn("bail", lambda r: r.household.reference if r.household_id else "non locataire"),
    ExportColumn("commune", lambda r: r.commune.name if r.commune_id else ""),
    ExportColumn("service", lambda r: r.service.name),
    ExportColumn("partenaire", lambda r: r.partner.name),
    ExportColumn("besoin", lambda r: r.get_need_display()),
    ExportColumn("réponse attendue au plus tard le", lambda r: r.expires_on),
    ExportColumn("raison du refus", lambda r: r.get_refusal_reason_display()),
    ExportColumn("réponse le", lambda r: _local(r.answered_at)),
    ExportColumn("clôturée le", lambda r: _local(r.closed_at)),
    ExportColumn("envoyée par", lambda r: str(r.sent_by) if r.sent_by_id else ""),
]


def _filtered(request, form, referrals):
    if not form.is_valid():
        return referrals
    data = form.cleaned_data
    if data["status"]:
        referrals = referrals.filter(status=data["status"])
    if data["partner"]:
        referrals = referrals.filter(partner=data["partner"])
    if data["need"]:
        referrals = referrals.filter(need=data["need"])
    if data["sent_from"]:
        referrals = referrals.filter(sent_at__date__gte=data["sent_from"])
    if data["sent_to"]:
        referrals = referrals.filter(sent_at__date__lte=data["sent_to"])
    if q := data["q"].strip():
        number = q.removeprefix("n°").strip()
        referrals = referrals.filter(
            Q(household__reference__icontains=q) | (Q(pk=int(number)) if number.isdigit() else Q(pk__in=[]))
        )
    return referrals


@require(perms.can_view_referrals)
def referral_list(request):
    """The organisation's referrals (a field agent: those of their sites' households and their own), newest first."""
    org = request.user.organisation
    form = ReferralFilterForm(request.GET or None, organisation=org)
    visible = Referral.objects.visible_to(request.user)
    referrals = _filtered(request, form, visible).select_related(
        "household", "commune", "service", "partner", "sent_by"
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=referrals.count(), what="liste des orientations")
        return export_response(fmt, "orientations", LIST_EXPORT, referrals.order_by("-sent_at", "-pk"))
    page = paginate(request, referrals.order_by("-sent_at", "-pk"))
    audit.record_household_list(
        request, ids=[r.household_id for r in page if r.household_id], what="liste des orientations"
    )
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    return render(
        request,
        "offer/referrals/list.html",
        {
            "form": form,
            "page": page,
            "query": querystring_without(request, "page", "format"),
            "status_counts": [(label, counts.get(code, 0)) for code, label in ReferralStatus.choices],
            "can_refer": perms.can_refer(request.user, org),
            "can_manage_settings": perms.can_manage_referral_settings(request.user, org),
        },
    )


def _history(referral):
    return list(referral.transitions.order_by("at", "pk"))


def _action_forms(referral, side: str) -> dict:
    """The forms of the changes the user may make now, by action."""
    forms = {}
    if referral.status == ReferralStatus.SENT:
        forms["accept"] = NoteForm(prefix="accept")
        forms["refuse"] = RefuseForm(prefix="refuse")
        if side == services.LANDLORD:
            forms["abandon"] = AbandonForm(prefix="abandon")
    elif referral.status == ReferralStatus.ACCEPTED:
        forms["complete"] = NoteForm(prefix="complete")
        forms["abandon"] = AbandonForm(prefix="abandon")
    return forms


@require(perms.can_view_referrals)
def referral_detail(request, pk):
    """A referral as sent, its history, and what the landlord may do with it; reading it is audited."""
    referral = get_object_or_404(
        Referral.objects.visible_to(request.user).select_related(
            "household", "consent", "commune", "service", "partner", "sent_by__organisation"
        ),
        pk=pk,
    )
    target = referral.household if referral.household_id else referral
    audit.record_read(target, user=request.user, source=_source(request), details={"referral": referral.pk})
    return render(
        request,
        "offer/referrals/detail.html",
        {
            "referral": referral,
            "history": _history(referral),
            "forms": _action_forms(referral, services.LANDLORD)
            if perms.can_refer(request.user, request.user.organisation)
            else {},
            "consent_withdrawn": referral.consent is not None and referral.consent.withdrawn_on is not None,
        },
    )


def _holder(household):
    return next((p for p in household.holders), None)


@require(perms.can_refer)
def referral_create_household(request, household_pk):
    """Send a household to a partner's service. Without its consent in force, the page says so and sends nothing."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user)
        .select_related("dwelling__building__site__commune")
        .prefetch_related(
            Prefetch("persons", queryset=Person.objects.order_by("role", "pk"), to_attr="members"),
            Prefetch(
                "persons", queryset=Person.objects.filter(role=PersonRole.REFERENCE).order_by("pk"), to_attr="holders"
            ),
        ),
        pk=household_pk,
    )
    audit.record_read(household, user=request.user, source=_source(request))
    today = timezone.localdate()
    org = request.user.organisation
    consent = services.active_referral_consent(household)
    available = services.referable_services(org, today=today)
    if request.method == "POST" and consent is not None:
        form = HouseholdReferralForm(request.POST, services=available)
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.refer_household(
                    household=household,
                    service=data["service"],
                    person_name=data["person_name"],
                    phone=data["phone"],
                    email=data["email"],
                    need=data["need"],
                    reason=data["reason"],
                    channel=data["channel"],
                    by=request.user,
                    today=today,
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                return _sent(request, referral)
    else:
        holder = _holder(household)
        form = HouseholdReferralForm(
            services=available,
            initial={
                "person_name": str(holder) if holder else "",
                "phone": holder.phone if holder else "",
                "channel": _CHANNEL_OF_CONTACT.get(household.contact_channel, InteractionChannel.PHONE),
                "service": request.GET.get("service"),
                "need": request.GET.get("need"),
            },
        )
    return render(
        request,
        "offer/referrals/create_household.html",
        {"household": household, "consent": consent, "form": form, "has_services": available.exists()},
    )


def _sent(request, referral):
    """Say when the partner must answer by, and show the referral."""
    messages.success(
        request,
        f"Orientation n° {referral.pk} envoyée à {referral.partner.name} : réponse attendue au plus "
        f"tard le {referral.expires_on:%d/%m/%Y}.",
    )
    return redirect("referrals:detail", pk=referral.pk)


@require(perms.can_refer)
def referral_create_person(request):
    """Send a person who is not a tenant (met at the concierge, at the bus) to a partner's service."""
    today = timezone.localdate()
    org = request.user.organisation
    available = services.referable_services(org, today=today)
    if request.method == "POST":
        form = PersonReferralForm(request.POST, services=available)
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.refer_person(
                    organisation=org,
                    service=data["service"],
                    person_name=data["person_name"],
                    phone=data["phone"],
                    email=data["email"],
                    commune=data["commune"],
                    need=data["need"],
                    reason=data["reason"],
                    channel=data["channel"],
                    consent_given_on=data["consent_given_on"],
                    consent_channel=data["consent_channel"],
                    by=request.user,
                    today=today,
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                return _sent(request, referral)
    else:
        form = PersonReferralForm(
            services=available,
            initial={"service": request.GET.get("service"), "need": request.GET.get("need")},
        )
    return render(request, "offer/referrals/create_person.html", {"form": form, "has_services": available.exists()})


# Changes of status: one endpoint each, for both sides ------------------------------------------------------------


def _actionable(request):
    """The referrals the user may act on: the landlord's staff those they see, a partner's users those addressed
    to their organisation. Anything else is a 404."""
    user = request.user
    if perms.can_refer(user, user.organisation):
        return Referral.objects.visible_to(user)
    return Referral.objects.addressed_to(user.organisation)


def _back(request, referral):
    if perms.can_refer(request.user, request.user.organisation):
        return redirect("referrals:detail", pk=referral.pk)
    return redirect("referrals:inbox_detail", pk=referral.pk)


def _act(request, pk, *, form_class, prefix, action, success):
    referral = get_object_or_404(_actionable(request).select_related("partner", "service"), pk=pk)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return _back(request, referral)
    try:
        action(referral, form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success.format(pk=referral.pk))
    return _back(request, referral)


@require(perms.can_act_on_referrals)
@require_POST
def referral_accept(request, pk):
    return _act(
        request,
        pk,
        form_class=NoteForm,
        prefix="accept",
        action=lambda r, d: services.accept_referral(referral=r, by=request.user, note=d["note"]),
        success="Orientation n° {pk} acceptée.",
    )


@require(perms.can_act_on_referrals)
@require_POST
def referral_refuse(request, pk):
    return _act(
        request,
        pk,
        form_class=RefuseForm,
        prefix="refuse",
        action=lambda r, d: services.refuse_referral(
            referral=r, by=request.user, reason=d["reason"], details=d["details"]
        ),
        success="Orientation n° {pk} refusée.",
    )


@require(perms.can_act_on_referrals)
@require_POST
def referral_complete(request, pk):
    return _act(
        request,
        pk,
        form_class=NoteForm,
        prefix="complete",
        action=lambda r, d: services.complete_referral(referral=r, by=request.user, note=d["note"]),
        success="Orientation n° {pk} déclarée réalisée.",
    )


@require(perms.can_act_on_referrals)
@require_POST
def referral_abandon(request, pk):
    return _act(
        request,
        pk,
        form_class=AbandonForm,
        prefix="abandon",
        action=lambda r, d: services.abandon_referral(referral=r, by=request.user, reason=d["reason"]),
        success="Orientation n° {pk} abandonnée.",
    )


# Delays ---------------------------------------------------------------------------------------------------------


@require(perms.can_manage_referral_settings)
def referral_settings(request):
    """The organisation's delays to answer and to remind, and each partner's own."""
    org = request.user.organisation
    rows = {row.partner_id: row for row in ReferralSettings.objects.for_organisation(org).select_related("partner")}
    own = rows.get(None)
    delays_form = DelaysForm(
        prefix="org",
        initial={
            "expiry_days": own.expiry_days if own else ReferralSettings.DEFAULT_EXPIRY_DAYS,
            "reminder_days": own.reminder_days if own else ReferralSettings.DEFAULT_REMINDER_DAYS,
        },
    )
    partner_form = PartnerDelaysForm(prefix="partner", organisation=org)
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "organisation":
                delays_form = DelaysForm(request.POST, prefix="org")
                if delays_form.is_valid():
                    services.update_referral_delays(organisation=org, **delays_form.cleaned_data)
                    messages.success(request, "Délais de l'organisme enregistrés.")
                    return redirect("referrals:settings")
            elif which == "partner":
                partner_form = PartnerDelaysForm(request.POST, prefix="partner", organisation=org)
                if partner_form.is_valid():
                    data = partner_form.cleaned_data
                    services.update_referral_delays(
                        organisation=org,
                        partner=data["partner"],
                        expiry_days=data["expiry_days"],
                        reminder_days=data["reminder_days"],
                    )
                    messages.success(request, f"Délais propres à {data['partner'].name} enregistrés.")
                    return redirect("referrals:settings")
            elif which == "remove":
                partner = get_object_or_404(Partner.objects.for_organisation(org), pk=request.POST.get("partner"))
                services.remove_partner_delays(organisation=org, partner=partner)
                messages.success(request, f"{partner.name} suit de nouveau les délais de l'organisme.")
                return redirect("referrals:settings")
            else:
                messages.error(request, "Formulaire inconnu : rien n'a été enregistré.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return render(
        request,
        "offer/referrals/settings.html",
        {
            "delays_form": delays_form,
            "partner_form": partner_form,
            "overrides": sorted((r for r in rows.values() if r.partner_id), key=lambda r: r.partner.name.casefold()),
            "own": own,
            "defaults": (ReferralSettings.DEFAULT_EXPIRY_DAYS, ReferralSettings.DEFAULT_REMINDER_DAYS),
        },
    )


# The partner's inbox --------------------------------------------------------------------------------------------

INBOX_EXPORT = [
    ExportColumn("n°", lambda r: r.pk),
    ExportColumn("bailleur", lambda r: r.organisation.name),
    ExportColumn("reçue le", lambda r: _local(r.sent_at)),
    ExportColumn("état", lambda r: r.get_status_display()),
    ExportColumn("service", lambda r: r.service.name),
    ExportColumn("commune", lambda r: r.commune.name if r.commune_id else ""),
    ExportColumn("besoin", lambda r: r.get_need_display()),
    ExportColumn("réponse attendue au plus tard le", lambda r: r.expires_on),
]


def _record_partner_reads(request, referrals, *, action: str, what: str) -> None:
    """One event in each landlord's trail for the referrals of theirs a partner's user was shown or exported."""
    by_landlord = defaultdict(list)
    for referral in referrals:
        by_landlord[referral.organisation_id].append(referral.pk)
    for organisation_id, ids in by_landlord.items():
        audit.record(
            action=action,
            organisation_id=organisation_id,
            target_type="offer.Referral",
            target_repr=what,
            details={"ids": ids, "filters": request.GET.dict()},
            user=request.user,
            source=_source(request),
        )


@require(perms.can_answer_referrals)
def inbox(request):
    """The referrals addressed to the user's organisation, by all the landlords it works with; no names listed."""
    form = InboxFilterForm(request.GET or None)
    referrals = Referral.objects.addressed_to(request.user.organisation).select_related(
        "organisation", "service", "commune"
    )
    if form.is_valid() and form.cleaned_data["status"]:
        referrals = referrals.filter(status=form.cleaned_data["status"])
    referrals = referrals.order_by("-sent_at", "-pk")
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        rows = list(referrals)
        _record_partner_reads(request, rows, action=AuditAction.EXPORT, what="orientations reçues (export)")
        return export_response(fmt, "orientations-recues", INBOX_EXPORT, rows)
    page = paginate(request, referrals)
    _record_partner_reads(request, page, action=AuditAction.LIST, what="orientations reçues")
    return render(
        request,
        "offer/referrals/inbox.html",
        {"form": form, "page": page, "query": querystring_without(request, "page", "format")},
    )


@login_required
def inbox_detail(request, pk):
    """What the partner needs to act: who, how to reach them, where, the service and the need; audited.

    Nothing is addressed to anyone but a partner's users: for the others every referral is a 404, as another
    organisation's object is, so that no one learns from the answer whether a referral exists.
    """
    if not perms.can_answer_referrals(request.user, request.user.organisation):
        raise Http404("Aucune orientation ne vous est adressée.")
    referral = get_object_or_404(
        Referral.objects.addressed_to(request.user.organisation).select_related(
            "organisation", "consent", "commune", "service", "partner", "sent_by"
        ),
        pk=pk,
    )
    audit.record_read(referral, user=request.user, source=_source(request))
    history = list(
        ReferralTransition.objects.filter(referral=referral)
        .order_by("at", "pk")
        .only("at", "from_status", "to_status", "by_label", "reason")
    )
    return render(
        request,
        "offer/referrals/inbox_detail.html",
        {
            "referral": referral,
            "history": history,
            "forms": _action_forms(referral, services.PARTNER),
            "consent_withdrawn": referral.consent is not None and referral.consent.withdrawn_on is not None,
        },
    )
