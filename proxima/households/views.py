import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households import services
from proxima.households.forms import ConsentForm, HouseholdFilterForm
from proxima.households.models import Consent, Household, Person
from proxima.needs.outreach_services import describe_flag, household_flag
from proxima.territory.models import Site

# The household's page shows its latest contacts; the full history stays in the database.
INTERACTIONS_SHOWN = 20

# The list and its export show no names: a lease reference, a dwelling and figures. The names
# are on the household's page, whose every reading is audited.
HOUSEHOLD_EXPORT = [
    ExportColumn("référence du bail", lambda h: h.reference),
    ExportColumn("logement", lambda h: h.dwelling.reference),
    ExportColumn("résidence", lambda h: h.dwelling.building.site.name),
    ExportColumn("commune", lambda h: h.dwelling.building.site.commune.name),
    ExportColumn("date d'entrée", lambda h: h.move_in_date),
    ExportColumn("personnes", lambda h: h.persons_count),
    ExportColumn("loyer (€)", lambda h: h.rent),
    ExportColumn("charges (€)", lambda h: h.charges),
    ExportColumn("impayé (€)", lambda h: h.arrears_amount),
    ExportColumn("mois d'impayés", lambda h: h.arrears_months),
    ExportColumn("voiture", lambda h: h.has_car),
    ExportColumn("canal de contact", lambda h: h.get_contact_channel_display()),
]


def _filtered_households(request, form):
    households = (
        Household.objects.visible_to(request.user)
        .select_related("dwelling__building__site__commune")
        .with_persons_count()
    )
    site = None
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"]:
            households = households.filter(reference__icontains=q)
        if data["commune"]:
            households = households.filter(dwelling__building__site__commune_id=data["commune"])
        if data["in_arrears"] == "oui":
            households = households.in_arrears()
        elif data["in_arrears"] == "non":
            households = households.filter(arrears_amount=0)
        if data["has_car"] in ("oui", "non"):
            households = households.filter(has_car=data["has_car"] == "oui")
        elif data["has_car"] == "inconnu":
            households = households.filter(has_car__isnull=True)
        if data["site"]:
            site = get_object_or_404(Site.objects.for_organisation(request.user.organisation), pk=data["site"])
            households = households.filter(dwelling__building__site=site)
    return households.order_by("reference", "pk"), site


@require(perms.can_view_households)
def household_list(request):
    form = HouseholdFilterForm(request.GET or None)
    households, site = _filtered_households(request, form)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=households.count(), what="liste des ménages")
        return export_response(fmt, "menages", HOUSEHOLD_EXPORT, households)
    page = paginate(request, households)
    audit.record_household_list(request, ids=[h.pk for h in page], what="liste des ménages")
    return render(
        request,
        "households/household_list.html",
        {"form": form, "site": site, "page": page, "query": querystring_without(request, "page", "format")},
    )


def _get_household(request, pk):
    return get_object_or_404(
        Household.objects.visible_to(request.user).select_related("dwelling__building__site__commune"),
        pk=pk,
    )


@require(perms.can_view_households)
def household_detail(request, pk):
    household = get_object_or_404(
        Household.objects.visible_to(request.user)
        .select_related("dwelling__building__site__commune")
        .prefetch_related(
            Prefetch("persons", queryset=Person.objects.order_by("role", "birth_year")),
            Prefetch("consents", queryset=Consent.objects.select_related("recorded_by")),
        ),
        pk=pk,
    )
    audit.record_read(household, user=request.user, source=f"{request.method} {request.path}")
    org = request.user.organisation
    interactions = list(household.interactions.select_related("recorded_by")[: INTERACTIONS_SHOWN + 1])
    can_view_outreach = perms.can_view_outreach(request.user, org)
    outreach_reasons = None
    if can_view_outreach:
        flag, params = household_flag(household=household, user=request.user, today=timezone.localdate())
        outreach_reasons = describe_flag(flag, params) if flag else []
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "today": dt.date.today(),
            "consent_form": ConsentForm(),
            "can_record_consent": perms.can_record_consent(request.user, org),
            "can_refer": perms.can_refer(request.user, org),
            "interactions": interactions[:INTERACTIONS_SHOWN],
            "more_interactions": len(interactions) > INTERACTIONS_SHOWN,
            "can_view_outreach": can_view_outreach,
            "outreach_reasons": outreach_reasons,
            "can_view_billing": perms.can_view_charge_lines(request.user, org),
        },
    )


@require(perms.can_record_consent)
@require_POST
def consent_create(request, pk):
    household = _get_household(request, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent(household=household, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Consentement enregistré.")
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}")
    return redirect("households:detail", pk=household.pk)


@require(perms.can_record_consent)
@require_POST
def consent_withdraw(request, pk, consent_pk):
    household = _get_household(request, pk)
    consent = get_object_or_404(household.consents, pk=consent_pk)
    try:
        services.withdraw_consent(consent=consent, on=dt.date.today())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Retrait du consentement enregistré.")
    return redirect("households:detail", pk=household.pk)
