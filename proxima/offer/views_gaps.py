"""Needs versus offer: the gaps of the organisation's territory, ranked, with the partners present; and the
households behind a gap.

The gaps page has counts only (``can_view_gaps``); the households behind a count are named households
(``can_view_gap_households``), and every display or export of them is audited. The rules are those of
:mod:`proxima.offer.gaps`, with the thresholds given in the URL.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from proxima.accounts import audit, perms
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import querystring_without
from proxima.households.models import Household
from proxima.needs.enums import NEED_THEME, Need, OutreachReason
from proxima.offer import gap_services, gaps
from proxima.offer.forms_gaps import GapForm
from proxima.offer.reference import theme_labels

STATUS_LABELS = {
    gaps.NOT_COVERED: "non couvert",
    gaps.PARTLY_COVERED: "partiellement couvert",
    gaps.COVERED: "couvert",
}
LEVEL_LABELS = {gaps.SITE: "résidence", gaps.COMMUNE: "commune", gaps.EPCI: "EPCI"}
PAGE_SIZE = 50
# The key, in URLs, of the communes that belong to no EPCI (their territory's key is "").
NO_EPCI = "hors-epci"
# Households fetched at once for an export: well below SQLite's limit on query parameters.
CHUNK = 1000


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _decimal(value: float, digits: int = 1) -> str:
    """A number with a decimal comma, its trailing zeros dropped (15 km, 12,5 km): cheaper than number_format for
    thousands of rows."""
    return f"{value:.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")


def describe_reasons(c: gaps.Coverage, params: gaps.GapParams) -> list[str]:
    """Why a (territory, need) is not fully covered, in plain French with the figures behind it."""
    km = _decimal(params.max_distance_km)
    texts = []
    for reason in c.reasons:
        if reason == gaps.NO_SERVICE:
            texts.append("aucun service ouvert du catalogue ne répond à ce besoin")
        elif reason == gaps.TOO_FAR:
            if c.nearest_km is None:
                texts.append("les services qui y répondent n'ont aucun lieu renseigné")
            else:
                texts.append(f"aucun service à moins de {km} km : le plus proche est à {_decimal(c.nearest_km)} km")
        elif reason == gaps.DISTANCE:
            texts.append(f"{_plural(c.beyond_reach, 'ménage', 'ménages')} à plus de {km} km de tout service")
        elif reason == gaps.CAPACITY:
            texts.append(
                f"capacité de {_plural(c.capacity, 'ménage', 'ménages')} pour "
                f"{_plural(c.reached, 'ménage concerné', 'ménages concernés')} à portée"
            )
        elif reason == gaps.OPENING_DAYS:
            texts.append(
                f"ouvert {_plural(c.open_days, 'jour', 'jours')} par semaine ({params.min_open_days} attendus)"
            )
    return texts


@dataclass(frozen=True)
class Row:
    """One line of the page and of its export: plain values."""

    rank: int
    coverage: gaps.Coverage
    need_label: str
    theme_label: str
    status_label: str
    reasons: list[str]
    services: list[str]
    partners: list[str]
    households_url: str


def _rows(coverages, *, params, services, level, can_list_households, start=1):
    """The rows of ``coverages``, ranked from ``start``; a generator (an export may have thousands)."""
    names = {s.id: s.name for s in services}
    need_labels = {code: str(label) for code, label in Need.choices}
    theme_of = {code: str(NEED_THEME[Need(code)].label) for code in Need.values}
    thresholds = urlencode(_threshold_query(params))
    for rank, c in enumerate(coverages, start=start):
        partners = []
        for m in c.partners:
            why = " et ".join(w for w, ok in (("le thème", m.covers_theme), ("le territoire", m.covers_area)) if ok)
            partners.append(f"{m.name} (couvre {why})")
        url = reverse("gaps:households", args=[level, c.territory.key or NO_EPCI, c.need])
        yield (
            Row(
                rank=rank,
                coverage=c,
                need_label=need_labels[c.need],
                theme_label=theme_of[c.need],
                status_label=STATUS_LABELS[c.status],
                reasons=describe_reasons(c, params),
                services=[names[s] for s in c.services],
                partners=partners,
                households_url=(f"{url}?{thresholds}" if thresholds else url) if can_list_households else "",
            )
        )


def _threshold_query(params: gaps.GapParams) -> dict:
    """The thresholds that differ from the defaults, as the page's query parameters."""
    defaults = gaps.GapParams()
    query = {}
    if params.max_distance_km != defaults.max_distance_km:
        query["distance"] = f"{params.max_distance_km:g}"
    if params.min_open_days != defaults.min_open_days:
        query["min_days"] = params.min_open_days
    if params.capacity_share != defaults.capacity_share:
        query["capacity_percent"] = round(params.capacity_share * 100)
    return query


GAP_EXPORT = [
    ExportColumn("rang", lambda r: r.rank),
    ExportColumn("territoire", lambda r: r.coverage.territory.name),
    ExportColumn("niveau", lambda r: LEVEL_LABELS[r.coverage.territory.level]),
    ExportColumn("code", lambda r: r.coverage.territory.key),
    ExportColumn("besoin", lambda r: r.need_label),
    ExportColumn("thème", lambda r: r.theme_label),
    ExportColumn("ménages concernés", lambda r: r.coverage.households),
    ExportColumn("à portée d'un service", lambda r: r.coverage.reached),
    ExportColumn("hors de portée", lambda r: r.coverage.beyond_reach),
    ExportColumn("état", lambda r: r.status_label),
    ExportColumn("raisons", lambda r: " ; ".join(r.reasons)),
    ExportColumn("services à portée", lambda r: " ; ".join(r.services)),
    ExportColumn("capacité (ménages)", lambda r: r.coverage.capacity),
    ExportColumn("jours d'ouverture par semaine", lambda r: r.coverage.open_days),
    ExportColumn("service le plus proche (km)", lambda r: r.coverage.nearest_km),
    ExportColumn("partenaires présents", lambda r: " ; ".join(r.partners)),
]


def _ordered(coverages):
    """Every coverage in the gaps' order: most households first, not covered, then partly, then covered."""
    return sorted(
        coverages,
        key=lambda c: (
            -c.households,
            gaps.STATUSES.index(c.status),
            c.territory.name.casefold(),
            c.territory.key,
            gaps.NEEDS.index(c.need),
        ),
    )


@require(perms.can_view_gaps)
def gap_list(request):
    """The gaps of the organisation's territory at one level, ranked by households concerned."""
    org = request.user.organisation
    form = GapForm(request.GET or None)
    params = form.params()
    level = form.value("level", gaps.COMMUNE)
    need = form.value("need", "")
    show = form.value("show", "gaps")
    today = timezone.localdate()
    inputs = gap_services.load_gap_inputs(organisation=org, today=today, params=params)
    report, territories = gap_services.compute_organisation_gaps(inputs, level=level, params=params)
    chosen = _ordered(report.coverages) if show == "all" else list(report.gaps)
    if need:
        chosen = [c for c in chosen if c.need == need]
    row_options = {
        "params": params,
        "services": inputs.services,
        "level": level,
        "can_list_households": perms.can_view_gap_households(request.user, org),
    }
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, f"besoins-offre-{level}", GAP_EXPORT, _rows(chosen, **row_options))
    page = Paginator(chosen, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(_rows(page.object_list, start=page.start_index(), **row_options))
    statuses = [c.status for c in report.coverages if not need or c.need == need]
    mapping = [
        (str(label), sorted(theme_labels().get(t, t) for t in gaps.NEED_THEMES[code])) for code, label in Need.choices
    ]
    return render(
        request,
        "offer/gaps/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": querystring_without(request, "page", "format"),
            "params": params,
            "capacity_percent": round(params.capacity_share * 100),
            "level_label": LEVEL_LABELS[level],
            "territories": len(territories),
            "summary": {status: statuses.count(status) for status in gaps.STATUSES},
            "status_labels": STATUS_LABELS,
            "services_count": len(inputs.services),
            "mapping": mapping,
            "today": today,
        },
    )


def _territory(sites, level: str, key: str, need: str) -> gaps.Territory:
    """The territory of the organisation's sites at ``level`` with ``key``; 404 when there is none (another
    organisation's commune included)."""
    if level not in gaps.LEVELS or need not in gaps.NEEDS:
        raise Http404("Territoire ou besoin inconnu.")
    key = "" if level == gaps.EPCI and key == NO_EPCI else key
    territory = next((t for t in gap_services.territories_of(sites, level) if t.key == key), None)
    if territory is None:
        raise Http404("Territoire inconnu.")
    return territory


def _why(signal: gap_services.Signals, need: str, reason_labels: dict) -> str:
    parts = []
    if need in signal.survey_needs:
        parts.append("réponse à une enquête")
    parts.extend(reason_labels[r] for r in signal.reasons if gaps.OUTREACH_NEEDS.get(r) == need)
    return " ; ".join(parts)


HOUSEHOLD_EXPORT = [
    ExportColumn("référence du bail", lambda r: r["household"].reference),
    ExportColumn("résidence", lambda r: r["household"].dwelling.building.site.name),
    ExportColumn("commune", lambda r: r["household"].dwelling.building.site.commune.name),
    ExportColumn("signalé par", lambda r: r["why"]),
]


def _households(ids):
    """The households of ``ids`` with their site, in the order of ``ids``, fetched in chunks."""
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        found = Household.objects.select_related("dwelling__building__site__commune").in_bulk(part)
        yield from (found[pk] for pk in part if pk in found)


@require(perms.can_view_gap_households)
def gap_households(request, level, key, need):
    """The households of a territory concerned by a need, by lease reference; each display is audited."""
    org = request.user.organisation
    form = GapForm(request.GET or None)
    params = form.params()
    territory = _territory(gap_services.load_sites(org), level, key, need)
    today = timezone.localdate()
    concerned = gap_services.households_concerned(
        organisation=org, today=today, params=params, site_ids=territory.site_ids, need=need
    )
    need_label = str(Need(need).label)
    what = f"ménages concernés : {need_label}, {territory.name}"
    reason_labels = {code: str(label) for code, label in OutreachReason.choices}
    why = {pk: _why(signal, need, reason_labels) for pk, signal in concerned}
    ids = [pk for pk, _ in concerned]
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_household_export(request, fmt=fmt, count=len(ids), what=what)
        rows = ({"household": h, "why": why[h.pk]} for h in _households(ids))
        return export_response(fmt, "menages-concernes", HOUSEHOLD_EXPORT, rows)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"household": h, "why": why[h.pk]} for h in _households(list(page))]
    audit.record_household_list(request, ids=list(page), what=what)
    back = {"level": level, **{k: v for k, v in request.GET.items() if k not in ("page", "format")}}
    return render(
        request,
        "offer/gaps/households.html",
        {
            "territory": territory,
            "level_label": LEVEL_LABELS[territory.level],
            "need": need,
            "need_label": need_label,
            "page": page,
            "rows": rows,
            "query": querystring_without(request, "page", "format"),
            "back": urlencode(back),
            "can_refer": perms.can_refer(request.user, org),
        },
    )
