"""Outreach ("aller vers"): the prioritised list of households to call or visit, its printable round
sheet and export, the form recording each contact's outcome, and the settings (thresholds, agents' sites)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.enums import ContactChannel, PersonRole
from proxima.households.models import Household, Interaction, Person
from proxima.needs import outreach
from proxima.needs.forms_outreach import OutreachContactForm, OutreachFilterForm, OutreachSettingsForm, SiteAgentsForm
from proxima.needs.outreach_services import (
    assign_site_agents,
    declined_outreach,
    describe_flag,
    field_agents,
    flag_outreach,
    get_outreach_settings,
    household_flag,
    reason_labels,
    record_outreach_contact,
    update_outreach_settings,
)
from proxima.territory.models import Site

# A round sheet is for one agent or one site: beyond this, the page asks to filter.
PRINT_LIMIT = 300


@dataclass(frozen=True)
class Row:
    """One line of the outreach list, as shown, printed and exported: plain values, no model instance."""

    rank: int
    flag: outreach.Flag
    reference: str
    contact_channel: str
    dwelling: str
    address: str
    site: str
    commune: str
    holder: str
    phone: str
    reasons: list[str]

    @property
    def household_id(self) -> int:
        return self.flag.household_id

    @property
    def last_contact_on(self):
        return self.flag.facts.last_contact_on


def iter_rows(flags: list[outreach.Flag], params, *, start: int = 1, chunk: int = 500) -> Iterator[Row]:
    """The rows of ``flags``, loaded ``chunk`` at a time as plain values (two queries per chunk).

    Exports run through every flagged household of a landlord (tens of thousands): building five model
    instances per row would cost ten times the queries themselves.
    """
    channels = dict(ContactChannel.choices)
    labels = reason_labels()
    for offset in range(0, len(flags), chunk):
        part = flags[offset : offset + chunk]
        ids = [f.household_id for f in part]
        households = {
            row[0]: row[1:]
            for row in Household.objects.filter(pk__in=ids).values_list(
                "pk",
                "reference",
                "contact_channel",
                "dwelling__reference",
                "dwelling__building__address",
                "dwelling__building__site__address",
                "dwelling__building__site__name",
                "dwelling__building__site__commune__name",
            )
        }
        holders = {}
        for household_id, first_name, last_name, phone in (
            Person.objects.filter(household_id__in=ids, role=PersonRole.REFERENCE)
            .order_by("household_id", "pk")
            .values_list("household_id", "first_name", "last_name", "phone")
        ):
            holders.setdefault(household_id, (f"{first_name} {last_name}".strip(), phone))
        for i, flag in enumerate(part, start=start + offset):
            reference, channel, dwelling, building_address, site_address, site, commune = households[flag.household_id]
            holder, phone = holders.get(flag.household_id, ("", ""))
            yield Row(
                rank=i,
                flag=flag,
                reference=reference,
                contact_channel=str(channels.get(channel, "")),
                dwelling=dwelling,
                address=building_address or site_address,
                site=site,
                commune=commune,
                holder=holder,
                phone=phone,
                reasons=describe_flag(flag, params, labels=labels),
            )


OUTREACH_EXPORT = [
    ExportColumn("rang", lambda r: r.rank),
    ExportColumn("priorité (points)", lambda r: r.flag.score),
    ExportColumn("référence du bail", lambda r: r.reference),
    ExportColumn("titulaire", lambda r: r.holder),
    ExportColumn("téléphone", lambda r: r.phone),
    ExportColumn("canal de contact préféré", lambda r: r.contact_channel),
    ExportColumn("résidence", lambda r: r.site),
    ExportColumn("adresse", lambda r: r.address),
    ExportColumn("commune", lambda r: r.commune),
    ExportColumn("logement", lambda r: r.dwelling),
    ExportColumn("motifs", lambda r: " ; ".join(r.reasons)),
    ExportColumn("codes des motifs", lambda r: " ".join(r.flag.reasons)),
    ExportColumn("dernier contact", lambda r: r.last_contact_on),
]


def _filtered_flags(request, form):
    """The flags of the households the user works with, narrowed by the valid filters."""
    user = request.user
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        return [], None
    site_ids = None
    if filters.get("site"):
        site_ids = {filters["site"].pk}
    if filters.get("agent"):
        covered = set(
            filters["agent"].assigned_sites.filter(organisation=user.organisation).values_list("pk", flat=True)
        )
        site_ids = covered if site_ids is None else site_ids & covered
    flags, params = flag_outreach(
        organisation=user.organisation, user=user, today=timezone.localdate(), site_ids=site_ids
    )
    if reason := filters.get("reason"):
        flags = [f for f in flags if reason in f.reasons]
    return flags, params


@require(perms.can_view_outreach)
def outreach_list(request):
    form = OutreachFilterForm(request.GET or None, user=request.user)
    flags, params = _filtered_flags(request, form)
    org = request.user.organisation
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=len(flags), what="liste d'aller vers")
        return export_response(fmt, "aller-vers", OUTREACH_EXPORT, iter_rows(flags, params))
    page = paginate(request, flags)
    rows = list(iter_rows(list(page.object_list), params, start=page.start_index())) if flags else []
    audit.record_household_list(request, ids=[row.household_id for row in rows], what="liste d'aller vers")
    return render(
        request,
        "needs/outreach_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "params": params,
            "query": querystring_without(request, "page", "format"),
            "can_manage_outreach": perms.can_manage_outreach(request.user, org),
            "declined": declined_outreach(Household.objects.visible_to(request.user)).count(),
        },
    )


@require(perms.can_view_outreach)
def outreach_print(request):
    """The round sheet: the filtered list with boxes to tick the outcome of each contact."""
    form = OutreachFilterForm(request.GET or None, user=request.user)
    flags, params = _filtered_flags(request, form)
    rows = list(iter_rows(flags[:PRINT_LIMIT], params))
    audit.record_household_list(
        request, ids=[row.household_id for row in rows], what="liste d'aller vers (impression)"
    )
    filters = form.cleaned_data if form.is_bound and not form.errors else {}
    return render(
        request,
        "needs/outreach_print.html",
        {
            "form": form,
            "rows": rows,
            "total": len(flags),
            "limit": PRINT_LIMIT,
            "site": filters.get("site"),
            "agent": filters.get("agent") or (request.user if "agent" not in form.fields else None),
            "today": timezone.localdate(),
            "query": querystring_without(request, "page", "format"),
        },
    )


def _contact_time(day: dt.date) -> dt.datetime:
    """Today's contact is dated now; an earlier one, recorded afterwards, at noon that day."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@require(perms.can_view_outreach)
def outreach_contact(request, pk):
    """A flagged household's reasons and recent contacts, and the form recording a call or visit."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user)
        .select_related("dwelling__building__site__commune")
        .prefetch_related(Prefetch("persons", queryset=Person.objects.order_by("role", "birth_year", "pk"))),
        pk=pk,
    )
    today = timezone.localdate()
    flag, params = household_flag(household=household, user=request.user, today=today)
    back = querystring_without(request)
    form = OutreachContactForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            record_outreach_contact(
                household=household,
                outcome=data["outcome"],
                channel=data["channel"],
                reasons=flag.reasons if flag else (),
                by=request.user,
                when=_contact_time(data["contacted_on"]),
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Contact avec le ménage {household.reference} enregistré.")
            return redirect(reverse("needs:outreach_list") + (f"?{back}" if back else ""))
    audit.record_read(household, user=request.user, source=f"{request.method} {request.path}")
    return render(
        request,
        "needs/outreach_contact.html",
        {
            "household": household,
            "flag": flag,
            "reasons": describe_flag(flag, params) if flag else [],
            "interactions": Interaction.objects.filter(household=household).select_related("recorded_by")[:5],
            "form": form,
            "back": back,
            "today": today,
        },
    )


def _agents_form(organisation, data=None):
    sites = Site.objects.for_organisation(organisation).select_related("commune").order_by("name", "pk")
    current = {}
    for site_id, user_id in Site.agents.through.objects.filter(site__organisation=organisation).values_list(
        "site_id", "user_id"
    ):
        current.setdefault(site_id, set()).add(user_id)
    return SiteAgentsForm(data, sites=sites, agents=field_agents(organisation), current=current)


def _settings_form(organisation):
    current = get_outreach_settings(organisation)
    return OutreachSettingsForm(
        initial={"no_contact_months": current.no_contact_months, "far_km": current.far_km, "survey": current.survey},
        organisation=organisation,
    )


def _settings_page(request, settings_form, agents_form):
    return render(request, "needs/outreach_settings.html", {"form": settings_form, "agents_form": agents_form})


@require(perms.can_manage_outreach)
def outreach_settings(request):
    """Thresholds of the rules and the reference survey (the organisation's own surveys only)."""
    org = request.user.organisation
    if request.method == "POST":
        form = OutreachSettingsForm(request.POST, organisation=org)
        if form.is_valid():
            update_outreach_settings(organisation=org, **form.cleaned_data)
            messages.success(request, "Réglages de l'aller vers enregistrés.")
            return redirect("needs:outreach_settings")
        return _settings_page(request, form, _agents_form(org))
    return _settings_page(request, _settings_form(org), _agents_form(org))


@require(perms.can_manage_outreach)
@require_POST
def outreach_agents(request):
    """Which field agents cover which sites: a field agent sees only the households of their sites."""
    org = request.user.organisation
    form = _agents_form(org, request.POST)
    if form.is_valid():
        try:
            changed = assign_site_agents(organisation=org, coverage=form.coverage())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Affectation des agents enregistrée ({changed} résidence(s) modifiée(s)).")
            return redirect("needs:outreach_settings")
    return _settings_page(request, _settings_form(org), form)


urlpatterns = [
    path("aller-vers/", outreach_list, name="outreach_list"),
    path("aller-vers/imprimer/", outreach_print, name="outreach_print"),
    path("aller-vers/menages/<int:pk>/", outreach_contact, name="outreach_contact"),
    path("aller-vers/reglages/", outreach_settings, name="outreach_settings"),
    path("aller-vers/reglages/agents/", outreach_agents, name="outreach_agents"),
]
