"""Bundles of services for a target group: the list, a bundle's page, its form, and the households it selects."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from proxima.accounts import audit, perms
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.models import Household
from proxima.offer import services
from proxima.offer.bundle_services import bundle_household_ids, bundle_rule
from proxima.offer.forms import BundleForm
from proxima.offer.models import Bundle
from proxima.offer.targeting import describe_rule

# The list of a group's households shows no names: a lease reference, a place and the facts the rule read.
# Names are on the household's page, whose every reading is audited.
HOUSEHOLD_EXPORT = [
    ExportColumn("référence du bail", lambda h: h.reference),
    ExportColumn("résidence", lambda h: h.dwelling.building.site.name),
    ExportColumn("commune", lambda h: h.dwelling.building.site.commune.name),
    ExportColumn("personnes", lambda h: h.size),
    ExportColumn("année de naissance du titulaire", lambda h: h.holder_birth_year),
    ExportColumn("impayé (€)", lambda h: h.arrears_amount),
    ExportColumn("mois d'impayés", lambda h: h.arrears_months),
    ExportColumn("voiture", lambda h: h.has_car),
    ExportColumn("canal de contact", lambda h: h.get_contact_channel_display()),
]


def _bundles(request):
    return Bundle.objects.for_organisation(request.user.organisation)


def rule_lines(bundle: Bundle) -> list[str]:
    return describe_rule(
        bundle_rule(bundle),
        site_names=[s.name for s in bundle.sites.all()],
        commune_names=[c.name for c in bundle.communes.all()],
    )


@require(perms.can_view_offer)
def bundle_list(request):
    bundles = (
        _bundles(request)
        .annotate(services_count=Count("services", distinct=True))
        .prefetch_related("sites", "communes")
        .order_by("-is_active", "name", "pk")
    )
    page = paginate(request, bundles)
    return render(
        request,
        "offer/bundles/list.html",
        {
            "page": page,
            "rows": [(bundle, rule_lines(bundle)) for bundle in page],
            "query": querystring_without(request, "page", "format"),
            "can_manage": perms.can_manage_offer(request.user, request.user.organisation),
        },
    )


@require(perms.can_view_offer)
def bundle_detail(request, pk):
    bundle = get_object_or_404(
        _bundles(request).prefetch_related("sites", "communes", "services__partner", "services__organisation"), pk=pk
    )
    organisation = request.user.organisation
    can_see_households = perms.can_view_households(request.user, organisation)
    households_count = None
    if can_see_households:
        households_count = len(bundle_household_ids(bundle=bundle, user=request.user, today=timezone.localdate()))
    return render(
        request,
        "offer/bundles/detail.html",
        {
            "bundle": bundle,
            "rule": rule_lines(bundle),
            "households_count": households_count,
            "can_see_households": can_see_households,
            "can_manage": perms.can_manage_offer(request.user, organisation),
        },
    )


@require(perms.can_view_households)
def bundle_households(request, pk):
    """The households of the target group that the user works with; reading and exporting them is audited."""
    bundle = get_object_or_404(_bundles(request).prefetch_related("sites", "communes"), pk=pk)
    ids = bundle_household_ids(bundle=bundle, user=request.user, today=timezone.localdate())
    households = (
        Household.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("dwelling__building__site__commune")
        .order_by("reference", "pk")
    )
    what = f"bouquet « {bundle.name} »"
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=len(ids), what=what)
        return export_response(fmt, "menages-bouquet", HOUSEHOLD_EXPORT, households)
    page = paginate(request, households)
    audit.record_household_list(request, ids=[h.pk for h in page], what=what)
    return render(
        request,
        "offer/bundles/households.html",
        {
            "bundle": bundle,
            "rule": rule_lines(bundle),
            "page": page,
            "query": querystring_without(request, "page", "format"),
        },
    )


def _bundle_form(request, bundle):
    form = BundleForm(request.POST or None, instance=bundle, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            if bundle is None:
                bundle = services.create_bundle(
                    organisation=request.user.organisation, values=form.values(), **form.relations()
                )
            else:
                services.update_bundle(bundle=bundle, values=form.values(), **form.relations())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Bouquet « {bundle.name} » enregistré.")
            return redirect("offer:bundle_detail", pk=bundle.pk)
    return render(request, "offer/bundles/form.html", {"form": form, "bundle": bundle})


@require(perms.can_manage_offer)
def bundle_create(request):
    return _bundle_form(request, None)


@require(perms.can_manage_offer)
def bundle_update(request, pk):
    return _bundle_form(request, get_object_or_404(_bundles(request), pk=pk))


urlpatterns = [
    path("bouquets/", bundle_list, name="bundle_list"),
    path("bouquets/nouveau/", bundle_create, name="bundle_create"),
    path("bouquets/<int:pk>/", bundle_detail, name="bundle_detail"),
    path("bouquets/<int:pk>/modifier/", bundle_update, name="bundle_update"),
    path("bouquets/<int:pk>/menages/", bundle_households, name="bundle_households"),
]
