"""The catalogue of services: the list with its filters and export, a service's page, its form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from proxima.accounts import perms
from proxima.billing import services as billing_services
from proxima.billing.forms import refusal_text
from proxima.billing.models import BilledService, ChargeRule
from proxima.core.decorators import require
from proxima.core.exports import ExportColumn
from proxima.core.lists import list_response
from proxima.offer import services
from proxima.offer.forms import ServiceFilterForm, ServiceForm
from proxima.offer.models import Service


def _codes(rows) -> str:
    return ", ".join(row.label for row in rows.all())


SERVICE_EXPORT = [
    ExportColumn("service", lambda s: s.name),
    ExportColumn("état", lambda s: s.get_status_display()),
    ExportColumn("rendu par", lambda s: s.provider_name),
    ExportColumn("rôle du bailleur", lambda s: s.get_operating_mode_display()),
    ExportColumn("type", lambda s: s.get_kind_display()),
    ExportColumn("thèmes", lambda s: _codes(s.themes)),
    ExportColumn("publics", lambda s: _codes(s.publics)),
    ExportColumn("adresse", lambda s: s.address),
    ExportColumn("commune", lambda s: s.address_commune.name if s.address_commune_id else ""),
    ExportColumn("mode de facturation", lambda s: s.get_billing_mode_display()),
    ExportColumn("prix pour l'habitant (€)", lambda s: s.price),
    ExportColumn("précisions sur le prix", lambda s: s.price_details),
    ExportColumn("capacité", lambda s: s.capacity),
    ExportColumn("début", lambda s: s.start_date),
    ExportColumn("fin", lambda s: s.end_date),
    ExportColumn("téléphone", lambda s: s.contact_phone),
    ExportColumn("e-mail", lambda s: s.contact_email),
    ExportColumn("description", lambda s: s.description),
]


def _services(request):
    return Service.objects.for_organisation(request.user.organisation)


def filter_services(services_qs, data: dict):
    """Apply the catalogue's filters (cleaned data of ``ServiceFilterForm``)."""
    if q := data.get("q"):
        services_qs = services_qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if theme := data.get("theme"):
        services_qs = services_qs.with_theme(theme)
    if public := data.get("public"):
        services_qs = services_qs.with_public(public)
    if commune := data.get("commune"):
        services_qs = services_qs.in_commune(commune)
    if mode := data.get("mode"):
        services_qs = services_qs.filter(operating_mode=mode)
    if status := data.get("status"):
        services_qs = services_qs.filter(status=status)
    if partner := data.get("partner"):
        services_qs = services_qs.filter(partner=partner)
    return services_qs


@require(perms.can_view_offer)
def service_list(request):
    """The catalogue, filtered by theme, public, commune, operating mode, status; ``?format=csv|xlsx`` exports it."""
    organisation = request.user.organisation
    form = ServiceFilterForm(request.GET or None, organisation=organisation)
    found = (
        _services(request)
        .select_related("partner", "organisation", "address_commune")
        .prefetch_related("themes", "publics")
        .order_by("name", "pk")
    )
    if form.is_bound:
        found = filter_services(found, form.cleaned_data) if form.is_valid() else found.none()
    return list_response(
        request,
        "offer/services/list.html",
        found,
        export_as="catalogue-services",
        columns=SERVICE_EXPORT,
        context={"form": form, "can_manage": perms.can_manage_offer(request.user, organisation)},
    )


def _billing_context(request, service) -> dict:
    """The service's billing as the billing framework sees it: its billed service, rules and check."""
    organisation = request.user.organisation
    if not perms.can_view_billing(request.user, organisation):
        return {}
    billed = (
        BilledService.objects.filter(offer_service=service)
        .select_related("agreement")
        .prefetch_related("agreement__sites", Prefetch("rules", queryset=ChargeRule.objects.prefetch_related("sites")))
        .with_active_subscriptions_count()
        .first()
    )
    check = billing_services.check_catalogue_service(service, today=timezone.localdate())
    charge_list = billing_services.charge_list()
    return {
        "billing": {
            "billed": billed,
            "check": check,
            "entry": charge_list.get(billed.cost_code) if billed is not None and billed.cost_code else None,
            "charge_list": charge_list,
            "can_manage": perms.can_manage_billing(request.user, organisation),
            "can_view_subscribers": perms.can_view_charge_lines(request.user, organisation),
        }
    }


@require(perms.can_view_offer)
def service_detail(request, pk):
    service = get_object_or_404(
        _services(request)
        .select_related("partner", "organisation", "address_commune")
        .prefetch_related("themes", "publics", "hours", "communes", "sites__commune", "stops__commune", "bundles"),
        pk=pk,
    )
    return render(
        request,
        "offer/services/detail.html",
        {
            "service": service,
            "can_manage": perms.can_manage_offer(request.user, request.user.organisation),
            **_billing_context(request, service),
        },
    )


def _save(request, form, service=None):
    try:
        if service is None:
            service = services.create_service(
                organisation=request.user.organisation, values=form.values(), **form.relations()
            )
        else:
            service = services.update_service(service=service, values=form.values(), **form.relations())
    except ValidationError as error:
        form.add_error(None, error)
        return None
    for warning in form.billing_check.warnings if form.billing_check else ():
        messages.warning(request, refusal_text(warning))
    return service


@require(perms.can_manage_offer)
def service_create(request):
    form = ServiceForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid() and (service := _save(request, form)):
        messages.success(request, f"Service « {service.name} » ajouté au catalogue.")
        return redirect("offer:service_detail", pk=service.pk)
    return render(request, "offer/services/form.html", {"form": form, "service": None})


@require(perms.can_manage_offer)
def service_update(request, pk):
    service = get_object_or_404(_services(request), pk=pk)
    form = ServiceForm(request.POST or None, instance=service, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid() and _save(request, form, service):
        messages.success(request, f"Service « {service.name} » enregistré.")
        return redirect("offer:service_detail", pk=service.pk)
    return render(request, "offer/services/form.html", {"form": form, "service": service})


urlpatterns = [
    path("services/", service_list, name="service_list"),
    path("services/nouveau/", service_create, name="service_create"),
    path("services/<int:pk>/", service_detail, name="service_detail"),
    path("services/<int:pk>/modifier/", service_update, name="service_update"),
]
