import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Sum
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
    EndSubscriptionForm,
    ExitForm,
    HouseholdSubscriptionForm,
    MonthForm,
    SubscriptionForm,
    default_month,
    form_errors,
)
from proxima.billing.models import (
    BilledService,
    BillingRun,
    ChargeLine,
    CollectiveAgreement,
    HouseholdExit,
    Subscription,
)
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


def _save_agreement_form(request, form):
    """Save the agreement and its scope all at once; the framework's warnings on its services are shown."""
    agreement = form.save(commit=False)
    try:
        warnings = services.save_agreement(
            agreement=agreement, sites=form.cleaned_data["sites"], today=timezone.localdate()
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    for warning in warnings:
        messages.warning(request, warning)
    messages.success(request, f"Accord « {agreement.reference} » enregistré.")
    return redirect("billing:service_list")


@require(perms.can_manage_billing)
def agreement_create(request):
    form = CollectiveAgreementForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid() and (response := _save_agreement_form(request, form)):
        return response
    return render(request, "billing/agreement_form.html", {"form": form})


@require(perms.can_manage_billing)
def agreement_update(request, pk):
    """An agreement's reference, signature date, validity and scope (its sites), changed all at once."""
    agreement = get_object_or_404(CollectiveAgreement.objects.for_organisation(request.user.organisation), pk=pk)
    form = CollectiveAgreementForm(request.POST or None, instance=agreement, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid() and (response := _save_agreement_form(request, form)):
        return response
    return render(
        request,
        "billing/agreement_form.html",
        {"form": form, "agreement": agreement, "billed_services": agreement.services.order_by("name")},
    )


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


SUBSCRIPTION_EXPORT = [
    ExportColumn("reference_bail", lambda sub: sub.household.reference),
    ExportColumn("reference_residence", lambda sub: sub.household.dwelling.building.site.reference),
    ExportColumn("consentement_le", lambda sub: sub.consent_given_on),
    ExportColumn("recueilli_par", lambda sub: sub.get_consent_channel_display()),
    ExportColumn("resilie_le", lambda sub: sub.ended_on),
]


def _subscriptions_page(request, service, form):
    subscriptions = (
        Subscription.objects.for_organisation(request.user.organisation)
        .filter(service=service)
        .select_related("household__dwelling__building__site", "recorded_by")
        .order_by(F("ended_on").desc(nulls_first=True), "household__reference", "pk")
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(
            request, fmt=fmt, count=subscriptions.count(), what=f"abonnés de « {service.name} »"
        )
        return export_response(fmt, f"abonnes-{service.pk}", SUBSCRIPTION_EXPORT, subscriptions)
    page = paginate(request, subscriptions)
    audit.record_household_list(request, ids=[sub.household_id for sub in page], what=f"abonnés de « {service.name} »")
    return render(
        request,
        "billing/subscription_list.html",
        {
            "service": service,
            "page": page,
            "query": querystring_without(request, "page", "format"),
            "form": form,
            "end_form": EndSubscriptionForm(),
            "can_manage": perms.can_manage_billing(request.user, request.user.organisation),
            "is_subscription": service.mode == BillingMode.SUBSCRIPTION,
        },
    )


@require(perms.can_view_charge_lines)
def subscription_list(request, pk):
    """A service's subscribers with their consent (date, channel) and withdrawal; staff record a new consent.

    The list names households: the households shown, and every export, are written to the audit trail.
    """
    service = _service(request, pk)
    organisation = request.user.organisation
    form = SubscriptionForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        if not perms.can_manage_billing(request.user, organisation):
            raise PermissionDenied
        if form.is_valid():
            household = form.cleaned_data["reference"]
            try:
                services.subscribe(
                    service=service,
                    household=household,
                    given_on=form.cleaned_data["consent_given_on"],
                    channel=form.cleaned_data["consent_channel"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Consentement du ménage {household.reference} enregistré.")
                return redirect("billing:subscription_list", pk=service.pk)
    return _subscriptions_page(request, service, form)


@require(perms.can_manage_billing)
@require_POST
def subscription_end(request, pk):
    """Record the withdrawal of a household's consent; back to the page it was asked from."""
    subscription = get_object_or_404(
        Subscription.objects.for_organisation(request.user.organisation).select_related("household", "service"),
        pk=pk,
    )
    form = EndSubscriptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"La résiliation n'est pas enregistrée : {form_errors(form)}")
    else:
        try:
            services.end_subscription(subscription=subscription, on=form.cleaned_data["ended_on"])
        except ValidationError as error:
            messages.error(request, f"La résiliation n'est pas enregistrée : {' '.join(error.messages)}")
        else:
            messages.success(
                request,
                f"Abonnement du ménage {subscription.household.reference} à « {subscription.service.name} » résilié "
                f"le {form.cleaned_data['ended_on']:%d/%m/%Y}.",
            )
    if request.POST.get("retour") == "menage":
        return redirect("billing:household", pk=subscription.household_id)
    return redirect("billing:subscription_list", pk=subscription.service_id)


def _household(request, pk):
    return get_object_or_404(
        Household.objects.for_organisation(request.user.organisation).select_related("dwelling__building__site"),
        pk=pk,
    )


@require(perms.can_view_charge_lines)
def household_billing(request, pk):
    """A household's billing: its exit date (pro rata), its subscriptions and consents; the read is audited."""
    household = _household(request, pk)
    organisation = request.user.organisation
    exit_ = HouseholdExit.objects.filter(household=household).first()
    subscriptions = (
        Subscription.objects.for_organisation(organisation)
        .filter(household=household)
        .select_related("service", "recorded_by")
        .order_by(F("ended_on").desc(nulls_first=True), "-consent_given_on", "pk")
    )
    audit.record_read(household, user=request.user, source="facturation du ménage")
    return render(
        request,
        "billing/household.html",
        {
            "household": household,
            "exit": exit_,
            "subscriptions": subscriptions,
            "exit_form": ExitForm(initial={"left_on": exit_.left_on if exit_ else None}),
            "subscribe_form": HouseholdSubscriptionForm(organisation=organisation),
            "end_form": EndSubscriptionForm(),
            "can_manage": perms.can_manage_billing(request.user, organisation),
        },
    )


@require(perms.can_manage_billing)
@require_POST
def exit_record(request, pk):
    """Record, change or clear (empty date) the household's exit date."""
    household = _household(request, pk)
    form = ExitForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"La date de sortie n'est pas enregistrée : {form_errors(form)}")
    elif form.cleaned_data["left_on"] is None:
        if services.clear_exit(household=household):
            messages.success(request, "Date de sortie effacée : le ménage est de nouveau facturé chaque mois.")
        else:
            messages.error(request, "La date de sortie n'est pas enregistrée : indiquez le dernier jour d'occupation.")
    else:
        try:
            exit_ = services.record_exit(household=household, left_on=form.cleaned_data["left_on"])
        except ValidationError as error:
            messages.error(request, f"La date de sortie n'est pas enregistrée : {' '.join(error.messages)}")
        else:
            messages.success(request, f"Sortie enregistrée : dernier jour d'occupation le {exit_.left_on:%d/%m/%Y}.")
    return redirect("billing:household", pk=household.pk)


@require(perms.can_manage_billing)
@require_POST
def household_subscribe(request, pk):
    """Record the household's consent to one of the organisation's subscriptions."""
    household = _household(request, pk)
    form = HouseholdSubscriptionForm(request.POST, organisation=request.user.organisation)
    if not form.is_valid():
        messages.error(request, f"Le consentement n'est pas enregistré : {form_errors(form)}")
        return redirect("billing:household", pk=household.pk)
    service = form.cleaned_data["service"]
    try:
        services.subscribe(
            service=service,
            household=household,
            given_on=form.cleaned_data["consent_given_on"],
            channel=form.cleaned_data["consent_channel"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, f"Le consentement n'est pas enregistré : {' '.join(error.messages)}")
    else:
        messages.success(request, f"Consentement à « {service.name} » enregistré.")
    return redirect("billing:household", pk=household.pk)
