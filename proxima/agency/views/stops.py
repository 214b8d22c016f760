"""Stops of the mobile agency: the list with what each stop is worth, its form, the sites action, the settings."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.agency import services
from proxima.agency.forms import AgencySettingsForm, StopForm
from proxima.agency.models import Stop
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without


@dataclass(frozen=True)
class StopRow:
    """A stop as listed and exported: the households within walking distance and their need-weighted value."""

    stop: Stop
    households: int
    value: float

    @property
    def frequency(self) -> str:
        return frequency_label(self.stop)

    @property
    def windows(self) -> str:
        return ", ".join(f"{a}–{b}" for a, b in self.stop.time_windows) or "toute la journée"


def frequency_label(stop: Stop) -> str:
    parts = []
    if stop.max_gap_weeks:
        parts.append(
            "au moins chaque semaine"
            if stop.max_gap_weeks == 1
            else f"au moins toutes les {stop.max_gap_weeks} semaines"
        )
    parts.append(
        "au plus une fois par semaine"
        if stop.min_gap_weeks == 1
        else f"au plus toutes les {stop.min_gap_weeks} semaines"
    )
    return ", ".join(parts)


STOP_EXPORT = [
    ExportColumn("arrêt", lambda r: r.stop.name),
    ExportColumn("type", lambda r: r.stop.get_kind_display()),
    ExportColumn("commune", lambda r: r.stop.commune.name),
    ExportColumn("adresse", lambda r: r.stop.address),
    ExportColumn("latitude", lambda r: r.stop.latitude),
    ExportColumn("longitude", lambda r: r.stop.longitude),
    ExportColumn("ménages à distance de marche", lambda r: r.households),
    ExportColumn("valeur (ménages pondérés)", lambda r: round(r.value, 2)),
    ExportColumn("durée (minutes)", lambda r: r.stop.duration_minutes),
    ExportColumn("créneaux", lambda r: r.windows),
    ExportColumn("fréquence", lambda r: r.frequency),
    ExportColumn("choix de l'équipe", lambda r: r.stop.get_forcing_display()),
    ExportColumn("actif", lambda r: r.stop.is_active),
    ExportColumn("ce qu'on peut y faire", lambda r: r.stop.services),
]


def _stops(request):
    return Stop.objects.for_organisation(request.user.organisation).select_related("commune")


def stop_rows(organisation, stops) -> list[StopRow]:
    """The rows of ``stops`` with their reach, in a fixed number of queries."""
    stops = list(stops)
    found = services.build_demand(organisation, stops, today=timezone.localdate())
    return [StopRow(s, len(found.reach.get(s.pk, ())), found.stop_value(s.pk)) for s in stops]


@require(perms.can_view_agency)
def stop_list(request):
    """Candidate stops with the households each reaches; ``?format=csv|xlsx`` exports the list."""
    show_inactive = request.GET.get("inactifs") == "1"
    stops = _stops(request)
    if not show_inactive:
        stops = stops.active()
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, "arrets-agence-mobile", STOP_EXPORT, stop_rows(request.user.organisation, stops))
    page = paginate(request, stops)
    agency_settings = services.get_agency_settings(request.user.organisation)
    return render(
        request,
        "agency/stops/list.html",
        {
            "page": page,
            "rows": stop_rows(request.user.organisation, page.object_list),
            "query": querystring_without(request, "page", "format"),
            "show_inactive": show_inactive,
            "agency_settings": agency_settings,
            "can_plan": perms.can_plan_tours(request.user, request.user.organisation),
        },
    )


def _stop_values(form: StopForm) -> dict:
    data = form.cleaned_data
    values = {name: data[name] for name in services.STOP_FIELDS if name in data and name != "time_windows"}
    values["time_windows"] = data["windows"]
    values["commune"] = data["commune"]
    return values


@require(perms.can_plan_tours)
def stop_create(request):
    organisation = request.user.organisation
    form = StopForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        stop = services.create_stop(organisation=organisation, **_stop_values(form))
        messages.success(request, f"Arrêt « {stop.name} » ajouté.")
        return redirect("agency:stop_list")
    return render(request, "agency/stops/form.html", {"form": form, "stop": None})


@require(perms.can_plan_tours)
def stop_update(request, pk):
    organisation = request.user.organisation
    stop = get_object_or_404(_stops(request), pk=pk)
    form = StopForm(request.POST or None, instance=stop, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        services.update_stop(stop=stop, **_stop_values(form))
        messages.success(request, f"Arrêt « {stop.name} » enregistré.")
        return redirect("agency:stop_list")
    return render(request, "agency/stops/form.html", {"form": form, "stop": stop})


@require(perms.can_plan_tours)
@require_POST
def stop_deactivate(request, pk):
    stop = get_object_or_404(_stops(request), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_stop_active(stop=stop, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if active:
            text = f"Arrêt « {stop.name} » réactivé : le planificateur peut de nouveau le choisir."
        else:
            text = (
                f"Arrêt « {stop.name} » désactivé : le planificateur ne le proposera plus. "
                "Les tournées déjà calculées ne changent pas."
            )
        messages.success(request, text)
    return redirect("agency:stop_list")


@require(perms.can_plan_tours)
@require_POST
def stop_add_sites(request):
    created = services.add_sites_as_stops(organisation=request.user.organisation)
    if created:
        plural = "s" if created > 1 else ""
        messages.success(request, f"{created} résidence{plural} ajoutée{plural} comme arrêt{plural}.")
    else:
        messages.info(request, "Toutes vos résidences sont déjà des arrêts : aucun arrêt ajouté.")
    return redirect("agency:stop_list")


@require(perms.can_view_agency)
def agency_settings(request):
    """The walking radius, need weights, depot, slot length and phone; only planners may change them."""
    organisation = request.user.organisation
    current = services.get_agency_settings(organisation)
    can_plan = perms.can_plan_tours(request.user, organisation)
    if request.method == "POST" and not can_plan:
        raise PermissionDenied
    form = AgencySettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_agency_settings(
                organisation=organisation, **{name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Réglages de l'agence mobile enregistrés.")
            return redirect("agency:settings")
    if not can_plan:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "agency/stops/settings.html", {"form": form, "can_plan": can_plan})


urlpatterns = [
    path("arrets/", stop_list, name="stop_list"),
    path("arrets/nouveau/", stop_create, name="stop_create"),
    path("arrets/residences/", stop_add_sites, name="stop_add_sites"),
    path("arrets/<int:pk>/", stop_update, name="stop_update"),
    path("arrets/<int:pk>/activation/", stop_deactivate, name="stop_deactivate"),
    path("reglages/", agency_settings, name="settings"),
]
