from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from proxima.accounts import perms
from proxima.core.decorators import require
from proxima.core.exports import ExportColumn
from proxima.core.lists import list_response, paginate, querystring_without
from proxima.territory import geo, stats
from proxima.territory.forms import DwellingFilterForm, SiteFilterForm
from proxima.territory.models import Dwelling, FranceServicesSite, Site

# France services sites are searched for within this box around a site (degrees): about 80 km.
NEAREST_BOX_DEGREES = 0.8


@require(perms.can_view_stock)
def dashboard(request):
    org = request.user.organisation
    sites = Site.objects.for_organisation(org).values("id", "name", "latitude", "longitude", "commune__name")
    site_url = reverse("territory:site_detail", args=[0]).removesuffix("0/")  # one reverse(), not one per site
    points = [
        {
            "lat": s["latitude"],
            "lon": s["longitude"],
            "label": s["name"],
            "detail": s["commune__name"],
            "url": f"{site_url}{s['id']}/",
        }
        for s in sites
    ]
    communes = stats.figures_by_commune(org)
    return render(
        request,
        "territory/dashboard.html",
        {
            "figures": stats.total(communes),
            "communes": communes,
            "sites_count": len(points),
            "map_points": points,
        },
    )


SITE_EXPORT = [
    ExportColumn("référence", lambda s: s.reference),
    ExportColumn("nom", lambda s: s.name),
    ExportColumn("adresse", lambda s: s.address),
    ExportColumn("code INSEE", lambda s: s.commune_id),
    ExportColumn("commune", lambda s: s.commune.name),
    ExportColumn("zone ABC", lambda s: s.commune.zone_abc),
    ExportColumn("territoire détendu", lambda s: s.commune.is_low_demand),
    ExportColumn("latitude", lambda s: s.latitude),
    ExportColumn("longitude", lambda s: s.longitude),
    ExportColumn("logements", lambda s: s.dwellings_count),
    ExportColumn("vacants", lambda s: s.vacant_count),
]


@require(perms.can_view_stock)
def site_list(request):
    form = SiteFilterForm(request.GET or None)
    sites = Site.objects.for_organisation(request.user.organisation).select_related("commune").with_stock_counts()
    if form.is_valid():
        if q := form.cleaned_data["q"]:
            sites = sites.filter(Q(name__icontains=q) | Q(reference__icontains=q) | Q(commune__name__icontains=q))
        if commune := form.cleaned_data["commune"]:
            sites = sites.filter(commune_id=commune)
        if low_demand := form.cleaned_data["low_demand"]:
            sites = sites.filter(commune__is_low_demand=low_demand == "oui")
    return list_response(
        request,
        "territory/site_list.html",
        sites.order_by("name", "pk"),
        export_as="residences",
        columns=SITE_EXPORT,
        context={"form": form},
    )


@require(perms.can_view_stock)
def site_detail(request, pk):
    site = get_object_or_404(
        Site.objects.for_organisation(request.user.organisation).select_related(
            "commune__department", "commune__epci"
        ),
        pk=pk,
    )
    dwellings = (
        Dwelling.objects.filter(building__site=site)
        .select_related("building")
        .prefetch_related("households")
        .order_by("building__reference", "reference")
    )
    candidates = FranceServicesSite.objects.filter(
        latitude__range=(site.latitude - NEAREST_BOX_DEGREES, site.latitude + NEAREST_BOX_DEGREES),
        longitude__range=(site.longitude - NEAREST_BOX_DEGREES, site.longitude + NEAREST_BOX_DEGREES),
    ).values_list("pk", "latitude", "longitude")
    nearest = geo.nearest(site.latitude, site.longitude, candidates)
    france_services = None
    if nearest is not None:
        france_services = (FranceServicesSite.objects.select_related("commune").get(pk=nearest[0]), nearest[1])
    return render(
        request,
        "territory/site_detail.html",
        {
            "site": site,
            "figures": stats.site_figures(site),
            "page": paginate(request, dwellings, per_page=100),
            "query": querystring_without(request, "page"),
            "france_services": france_services,
            "can_view_households": perms.can_view_households(request.user, request.user.organisation),
        },
    )


DWELLING_EXPORT = [
    ExportColumn("référence", lambda d: d.reference),
    ExportColumn("résidence", lambda d: d.building.site.name),
    ExportColumn("référence résidence", lambda d: d.building.site.reference),
    ExportColumn("bâtiment", lambda d: d.building.reference),
    ExportColumn("commune", lambda d: d.building.site.commune.name),
    ExportColumn("typologie", lambda d: d.kind),
    ExportColumn("surface (m²)", lambda d: d.floor_area),
    ExportColumn("loyer (€)", lambda d: d.rent),
    ExportColumn("financement", lambda d: d.financing),
    ExportColumn("statut", lambda d: d.get_status_display()),
    ExportColumn("vacant depuis", lambda d: d.vacant_since),
]


@require(perms.can_view_stock)
def dwelling_list(request):
    form = DwellingFilterForm(request.GET or None)
    dwellings = Dwelling.objects.for_organisation(request.user.organisation).select_related("building__site__commune")
    site = None
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"]:
            dwellings = dwellings.filter(reference__icontains=q)
        for field in ("status", "kind", "financing"):
            if data[field]:
                dwellings = dwellings.filter(**{field: data[field]})
        if data["site"]:
            site = get_object_or_404(Site.objects.for_organisation(request.user.organisation), pk=data["site"])
            dwellings = dwellings.filter(building__site=site)
    return list_response(
        request,
        "territory/dwelling_list.html",
        dwellings.order_by("reference", "pk"),
        export_as="logements",
        columns=DWELLING_EXPORT,
        context={"form": form, "site": site},
    )
