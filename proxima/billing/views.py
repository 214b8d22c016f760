import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.billing import services
from proxima.billing.amounts import Month, StatementEntry, annual_statement
from proxima.billing.enums import BillingMode, RunStatus
from proxima.billing.forms import (
    BilledServiceForm,
    ChargeRuleForm,
    CollectiveAgreementForm,
    MonthForm,
    default_month,
)
from proxima.billing.models import BilledService, BillingRun, ChargeLine, CollectiveAgreement
from proxima.billing.rules import RULES
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import list_response, paginate, querystring_without
from proxima.households.models import Household

SERVICE_EXPORT = [
    ExportColumn("service", lambda s: s.name),
    ExportColumn("prestataire", lambda s: s.provider),
    ExportColumn("mode de facturation", lambda s: s.get_mode_display()),
    ExportColumn("nature de la dépense", lambda s: s.get_cost_type_display()),
    ExportColumn("poste de la liste", lambda s: s.cost_code),
    ExportColumn("accord collectif", lambda s: s.agreement.reference if s.agreement_id else ""),
    ExportColumn("code de charge", lambda s: s.charge_code),
    ExportColumn("règles", lambda s: s.rules_count),
    ExportColumn("service du catalogue", lambda s: s.offer_service.name if s.offer_service_id else ""),
]

# The file for the landlord's management software: its references, one line per household and charge.
LINE_EXPORT = [
    ExportColumn("reference_bail", lambda line: line.household.reference),
    ExportColumn("reference_residence", lambda line: line.household.dwelling.building.site.reference),
    ExportColumn("reference_logement", lambda line: line.household.dwelling.reference),
    ExportColumn("periode", lambda line: f"{line.period_start:%Y-%m}"),
    ExportColumn("du", lambda line: line.period_start),
    ExportColumn("au", lambda line: line.period_end),
    ExportColumn("jours", lambda line: line.days),
    ExportColumn("code_charge", lambda line: line.charge_code),
    ExportColumn("poste_liste_legale", lambda line: line.cost_code),
    ExportColumn("service", lambda line: line.service.name),
    ExportColumn("montant", lambda line: line.amount),
]


def _service(request, pk):
    return get_object_or_404(
        BilledService.objects.for_organisation(request.user.organisation).select_related("offer_service"), pk=pk
    )


def _run(request, pk):
    return get_object_or_404(BillingRun.objects.for_organisation(request.user.organisation), pk=pk)


@require(perms.can_view_billing)
def service_list(request):
    organisation = request.user.organisation
    services_qs = (
        BilledService.objects.for_organisation(organisation)
        .select_related("agreement", "offer_service")
        .with_rules_count()
        .order_by("name", "pk")
    )
    return list_response(
        request,
        "billing/service_list.html",
        services_qs,
        export_as="services-factures",
        columns=SERVICE_EXPORT,
        context={
            "can_manage": perms.can_manage_billing(request.user, organisation),
            "agreements": CollectiveAgreement.objects.for_organisation(organisation).with_sites_count(),
            "charge_list": services.charge_list(),
            "modes": BillingMode,
        },
    )


def _save_service_form(request, form):
    try:
        check = services.save_service(service=form.instance, today=timezone.localdate())
    except ValidationError as error:  # the rules changed between the form's check and the save
        for message in error.messages:
            form.add_error("mode", message)
        return None
    form.save_m2m()
    for warning in check.warnings:
        messages.warning(request, f"{warning.message} Référence : {warning.reference}.")
    messages.success(request, f"Facturation du service « {form.instance.name} » enregistrée.")
    return redirect("billing:service_update", pk=form.instance.pk)


@require(perms.can_manage_billing)
def service_create(request):
    form = BilledServiceForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        form.save(commit=False)
        response = _save_service_form(request, form)
        if response is not None:
            return response
    return render(request, "billing/service_form.html", {"form": form, "charge_list": services.charge_list()})


@require(perms.can_manage_billing)
def service_update(request, pk):
    service = _service(request, pk)
    form = BilledServiceForm(request.POST or None, instance=service, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        form.save(commit=False)
        response = _save_service_form(request, form)
        if response is not None:
            return response
    rules = service.rules.prefetch_related("sites")
    return render(
        request,
        "billing/service_form.html",
        {
            "form": form,
            "service": service,
            "rules": rules,
            "rule_form": ChargeRuleForm(service=service),
            "charge_list": services.charge_list(),
            "check": services.check_service(service, today=timezone.localdate()),
        },
    )


@require(perms.can_manage_billing)
@require_POST
def rule_add(request, pk):
    service = _service(request, pk)
    form = ChargeRuleForm(request.POST, service=service)
    if service.mode not in {
        BillingMode.RECOVERABLE_CHARGE,
        BillingMode.COLLECTIVE_AGREEMENT,
        BillingMode.SUBSCRIPTION,
    }:
        messages.error(
            request, f"{RULES['not_billed_by_landlord'].title} ({RULES['not_billed_by_landlord'].reference})"
        )
    elif form.is_valid():
        form.save()
        messages.success(request, "Règle de facturation ajoutée.")
    else:
        errors = "; ".join(
            f"{form.fields[f].label if f in form.fields else ''} : {' '.join(e)}" for f, e in form.errors.items()
        )
        messages.error(request, f"La règle n'est pas ajoutée : {errors}")
    return redirect("billing:service_update", pk=service.pk)


@require(perms.can_manage_billing)
def agreement_create(request):
    form = CollectiveAgreementForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Accord « {form.instance.reference} » enregistré.")
        return redirect("billing:service_list")
    return render(request, "billing/agreement_form.html", {"form": form})


@require(perms.can_view_billing)
def run_list(request):
    organisation = request.user.organisation
    form = MonthForm(initial={"month": default_month(timezone.localdate())})
    return render(
        request,
        "billing/run_list.html",
        {
            "runs": BillingRun.objects.for_organisation(organisation),
            "form": form,
            "can_manage": perms.can_manage_billing(request.user, organisation),
            "can_view_lines": perms.can_view_charge_lines(request.user, organisation),
        },
    )


@require(perms.can_manage_billing)
@require_POST
def run_start(request):
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["month"]))
        return redirect("billing:run_list")
    month = form.cleaned_data["month"]
    try:
        run = services.start_run(organisation=request.user.organisation, month=month, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("billing:run_list")
    messages.success(request, f"Facturation du mois {month} lancée.")
    return redirect("billing:run_detail", pk=run.pk)


def _run_context(request, run):
    organisation = request.user.organisation
    return {
        "run": run,
        "statuses": RunStatus,
        "can_manage": perms.can_manage_billing(request.user, organisation),
        "can_view_lines": perms.can_view_charge_lines(request.user, organisation),
    }


@require(perms.can_view_billing)
def run_detail(request, pk):
    run = _run(request, pk)
    return render(request, "billing/run_detail.html", _run_context(request, run))


@require(perms.can_view_billing)
def run_progress(request, pk):
    """The status block alone, polled by the page (htmx, or a meta refresh without JavaScript)."""
    run = _run(request, pk)
    if not request.htmx:
        return redirect("billing:run_detail", pk=run.pk)
    response = render(request, "billing/_run_status.html", _run_context(request, run))
    if not run.is_running:
        response["HX-Refresh"] = "true"  # done: reload once so the totals and refusals appear
    return response


@require(perms.can_manage_billing)
@require_POST
def run_close(request, pk):
    run = _run(request, pk)
    try:
        services.close_run(run=run, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Le mois {run} est clôturé : ses lignes ne changeront plus.")
    return redirect("billing:run_detail", pk=run.pk)


@require(perms.can_view_charge_lines)
def line_list(request, pk):
    run = _run(request, pk)
    lines = (
        ChargeLine.objects.filter(run=run)
        .select_related("household__dwelling__building__site", "service")
        .order_by("household__reference", "service__name", "pk")
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=run.lines_count, what=f"lignes de charge {run}")
        return export_response(fmt, f"charges-{run.month:%Y-%m}", LINE_EXPORT, lines)
    page = paginate(request, lines)
    audit.record_household_list(request, ids=[line.household_id for line in page], what=f"lignes de charge {run}")
    return render(
        request,
        "billing/line_list.html",
        {"run": run, "page": page, "query": querystring_without(request, "page", "format")},
    )


@require(perms.can_view_charge_lines)
def statement(request, pk):
    """The household's annual statement of recoverable charges (décompte annuel), printable; the read is audited."""
    household = get_object_or_404(
        Household.objects.for_organisation(request.user.organisation).select_related("dwelling__building__site"),
        pk=pk,
    )
    try:
        year = int(request.GET.get("annee", timezone.localdate().year))
        dt.date(year, 1, 1)
    except ValueError:
        year = timezone.localdate().year
    rows = (
        ChargeLine.objects.recoverable()
        .filter(household=household, run__month__year=year)
        .values("run__month", "cost_code")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    entries = [
        StatementEntry(Month(row["run__month"].year, row["run__month"].month), row["cost_code"], row["amount"])
        for row in rows
    ]
    result = annual_statement(year, entries, charge_list=services.charge_list())
    audit.record_read(household, user=request.user, source=f"décompte annuel des charges {year}")
    return render(
        request,
        "billing/statement.html",
        {"household": household, "statement": result, "year": year, "charge_list": services.charge_list()},
    )
