"""Needs analysis of a survey: response rates, needs by territory and segment, map, exports, printable summary.

The analysis page shows aggregates only (no names, nothing personal): every landlord role but
field agents may read it. The answers export is personal data: it follows ``can_view_answers``,
a field agent gets only their sites' households, and every export is audited.
"""

import datetime as dt
import math
from operator import itemgetter
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction, Role
from proxima.core import pdf
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.households.models import Household
from proxima.needs import analysis
from proxima.needs.enums import Need
from proxima.needs.models import Answer, Question, Response, Survey

# The tile server of the maps; a landlord may run its own (or an IGN Géoplateforme URL).
CHART_MAX_ROWS = 25
# Colours of the map's circles by raked share (ColorBrewer "Reds", readable by colour-blind people):
# (upper bound, legend, colour).
MAP_BINS = [
    (0.10, "moins de 10 %", "#fee5d9"),
    (0.20, "10 à 20 %", "#fcae91"),
    (0.30, "20 à 30 %", "#fb6a4a"),
    (0.40, "30 à 40 %", "#de2d26"),
    (math.inf, "40 % et plus", "#a50f15"),
]
BREAKDOWNS = [("", "ensemble des ménages ciblés")] + [(d.code, d.label) for d in analysis.DIMENSIONS.values()]


def _survey(request, pk) -> Survey:
    return get_object_or_404(Survey.objects.for_organisation(request.user.organisation), pk=pk)


class AnalysisForm(forms.Form):
    """What the needs section shows: the breakdown and, for it and the map, the need."""

    decoupage = forms.ChoiceField(label="Découper par", choices=BREAKDOWNS, required=False)
    besoin = forms.ChoiceField(label="Besoin", required=False)

    def __init__(self, *args, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["besoin"].choices = [(n, Need(n).label) for n in needs]

    def selection(self, needs) -> tuple[str | None, str | None]:
        """The valid breakdown and need asked for, or the defaults: by commune, the first need measured."""
        data = self.cleaned_data if self.is_valid() else {}
        breakdown = data.get("decoupage", "commune") if "decoupage" in self.data else "commune"
        need = data.get("besoin") or (needs[0] if needs else None)
        return breakdown or None, need


def bar_chart(estimates, *, title: str, label_of=lambda e: e.label) -> dict | None:
    """Geometry of a horizontal bar chart of raked shares with their confidence interval, for an inline SVG.

    Coordinates are in SVG user units (the chart scales with the page); the axis ends at the
    next 10 % above the highest upper bound, so short bars stay readable.
    """
    rows = [e for e in estimates if e.reliable and e.share is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda e: -e.share)[:CHART_MAX_ROWS]
    label_width, plot_width, row_height, top = 260, 420, 28, 24
    scale_max = min(1.0, math.ceil(max(e.high for e in rows) * 10 + 1e-9) / 10) or 0.1
    step = 0.1 if scale_max <= 0.5 else 0.2

    def x(value):
        return round(label_width + plot_width * min(value, scale_max) / scale_max, 1)

    bars = []
    for i, e in enumerate(rows):
        y = top + i * row_height
        label = label_of(e)
        bars.append(
            {
                "label": label if len(label) <= 38 else label[:36] + "…",
                "label_x": label_width - 8,
                "value_x": round(x(e.high) + 6, 1),
                "full_label": label,
                "y": y,
                "text_y": y + row_height / 2 + 4,
                "bar_y": y + 6,
                "bar_height": row_height - 12,
                "width": round(x(e.share) - label_width, 1),
                "low": x(e.low),
                "high": x(e.high),
                "mid_y": y + row_height / 2,
                "estimate": e,
            }
        )
    ticks = [
        {"x": x(i * step), "value": i * step} for i in range(int(round(scale_max / step)) + 1) if i * step <= scale_max
    ]
    height = top + len(rows) * row_height + 8
    return {
        "title": title,
        "bars": bars,
        "ticks": ticks,
        "width": label_width + plot_width + 60,
        "height": height,
        "plot_left": label_width,
        "plot_bottom": height - 8,
        "truncated": len([e for e in estimates if e.reliable and e.share is not None]) > CHART_MAX_ROWS,
    }


def _map_points(data, needs_analysis, need) -> list[dict]:
    """One circle per commune: sized by respondents, coloured by the raked share (only reliable estimates)."""
    points = []
    for e in needs_analysis.for_need("commune", need):
        place = data.communes.get(e.domain)
        if place is None or place.latitude is None or not e.reliable:
            continue
        points.append(
            {
                "lat": place.latitude,
                "lon": place.longitude,
                "label": e.label,
                "respondents": e.respondents,
                "households": e.households,
                "share": round(e.share, 4),
                "low": round(e.low, 4),
                "high": round(e.high, 4),
                "color": next(color for bound, _, color in MAP_BINS if e.share < bound),
            }
        )
    return points


RESULT_COLUMNS = [
    ExportColumn(header, itemgetter(key))
    for header, key in [
        ("découpage", "breakdown"),
        ("code", "code"),
        ("territoire ou segment", "label"),
        ("besoin (code)", "need"),
        ("besoin", "need_label"),
        ("ménages ciblés", "households"),
        ("répondants", "respondents"),
        ("répondants avec le besoin", "with_need"),
        ("part redressée (%)", "share"),
        ("IC 95 % bas (%)", "low"),
        ("IC 95 % haut (%)", "high"),
        ("part brute (%)", "unweighted_share"),
        ("IC 95 % bas brut (%)", "unweighted_low"),
        ("IC 95 % haut brut (%)", "unweighted_high"),
        ("fiable", "reliable"),
    ]
]
_FIGURES = ["with_need", "share", "low", "high", "unweighted_share", "unweighted_low", "unweighted_high"]


def _result_row(breakdown: str, e: analysis.Estimate) -> dict:
    """One estimate as an export row: shares in percent, left blank on too few respondents."""
    row = {
        "breakdown": breakdown,
        "code": "" if e.domain is None else str(e.domain),
        "label": e.label,
        "need": e.need,
        "need_label": e.need_label,
        "households": e.households,
        "respondents": e.respondents,
        "reliable": e.reliable,
    }
    for name in _FIGURES:
        value = getattr(e, name) if e.reliable else None
        row[name] = value if value is None or name == "with_need" else round(value * 100, 1)
    return row


def _export_results(survey, data, fmt):
    """Every estimate, overall and along every dimension."""
    needs_analysis = analysis.analyse_needs(data, dimensions=analysis.DIMENSIONS)
    rows = [
        _result_row(analysis.DIMENSIONS[code].label if code else "ensemble", estimate)
        for code, estimates in needs_analysis.estimates.items()
        for estimate in estimates
    ]
    return export_response(fmt, f"besoins-enquete-{survey.pk}", RESULT_COLUMNS, rows)


def _provenance(request, survey, data, needs_analysis):
    return {
        "on": data.on,
        "is_demo": request.user.organisation.is_demo,
        "weighting": needs_analysis.weighting,
        "min_respondents": analysis.AnalysisParams().min_respondents,
        "min_cell_respondents": analysis.AnalysisParams().min_cell_respondents,
    }


@require(perms.can_view_needs)
def survey_analysis(request, pk):
    survey = _survey(request, pk)
    data = analysis.load_survey_data(survey, on=dt.date.today())
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            return HttpResponseBadRequest("Format d'export inconnu : csv ou xlsx.")
        return _export_results(survey, data, fmt)
    form = AnalysisForm(request.GET, needs=data.needs)
    breakdown, need = form.selection(data.needs)
    rates = analysis.response_rates(data)
    needs_analysis = analysis.analyse_needs(data, dimensions=[d for d in (breakdown, "commune") if d])
    overall = needs_analysis.estimates.get(None, ())
    breakdown_estimates = needs_analysis.for_need(breakdown, need) if breakdown and need else ()
    rates_by_domain = {r.key: r for r in rates.by_dimension[breakdown]} if breakdown else {}
    dimension = analysis.DIMENSIONS[breakdown] if breakdown else None
    context = {
        "survey": survey,
        "form": form,
        "rates": rates,
        "segment_rates": [(analysis.DIMENSIONS[c].label, rates.by_dimension[c]) for c in ("age", "size", "arrears")],
        "overall": overall,
        "overall_chart": bar_chart(
            overall, title="Part des ménages ayant chaque besoin (redressée)", label_of=lambda e: e.need_label
        ),
        "need": need,
        "need_label": str(Need(need).label) if need else "",
        "dimension": dimension,
        "breakdown_rows": [(e, rates_by_domain.get(e.domain)) for e in breakdown_estimates],
        "breakdown_chart": bar_chart(
            breakdown_estimates, title=f"{Need(need).label if need else ''} : part des ménages par {dimension.label}"
        )
        if dimension
        else None,
        "map_points": _map_points(data, needs_analysis, need) if need else [],
        "map_legend": [(label, color) for _, label, color in MAP_BINS],
        "tile_url": settings.PROXIMA_TILE_URL,
        "tile_attribution": settings.PROXIMA_TILE_ATTRIBUTION,
        "can_view_answers": perms.can_view_answers(request.user, request.user.organisation),
        **_provenance(request, survey, data, needs_analysis),
    }
    return render(request, "needs/analysis_survey.html", context)


def _territory(data, value: str):
    """``site:<pk>``, ``commune:<code>`` or ``epci:<siren>`` of the survey's population, or the whole (None)."""
    if not value:
        return None, None, "ensemble des ménages ciblés"
    code, _, key = value.partition(":")
    dimension = analysis.DIMENSIONS.get(code)
    if dimension is None or not dimension.is_territory:
        raise Http404("Territoire inconnu.")
    keys = data.totals[code]
    if code == "site":
        key = int(key) if key.isdigit() else None
    if key not in keys:
        raise Http404("Ce territoire n'a aucun ménage ciblé par l'enquête.")
    return dimension, key, f"{dimension.label} {dimension.name(data, key)}"


@require(perms.can_view_needs)
def survey_summary(request, pk):
    """A printable one-territory summary (print CSS), or the same as a PDF with ``?format=pdf``.

    ``?territoire=site:<pk>|commune:<code>|epci:<siren>`` picks the territory; without it, the whole survey.
    """
    survey = _survey(request, pk)
    data = analysis.load_survey_data(survey, on=dt.date.today())
    dimension, key, territory_label = _territory(data, request.GET.get("territoire", ""))
    needs_analysis = analysis.analyse_needs(data, dimensions=[dimension.code] if dimension else [])
    if dimension:
        estimates = needs_analysis.for_domain(dimension.code, key)
        local = analysis.load_survey_data(survey, on=data.on, territory=(dimension.code, key))
    else:
        estimates, local = needs_analysis.estimates.get(None, ()), data
    context = {
        "survey": survey,
        "territory_label": territory_label,
        "rates": analysis.response_rates(local),
        "estimates": estimates,
        "chart": bar_chart(estimates, title=f"Besoins, {territory_label}", label_of=lambda e: e.need_label),
        "pdf": request.GET.get("format") == "pdf",
        "local": dimension is not None,
        **_provenance(request, survey, data, needs_analysis),
    }
    if context["pdf"]:
        context["inline_css"] = "\n".join(
            Path(finders.find(name)).read_text(encoding="utf-8")
            for name in ("proxima/proxima.css", "needs/analysis.css")
        )
        html = render_to_string("needs/analysis_summary.html", context, request=request)
        # The styles are inlined and the charts are inline SVG: the PDF fetches nothing.
        try:
            content = pdf.html_to_pdf(html)
        except pdf.PdfUnavailable as error:
            messages.error(request, str(error))
            params = request.GET.copy()
            params.pop("format", None)
            return redirect(f"{request.path}?{params.urlencode()}")
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="synthese-besoins-enquete-{survey.pk}.pdf"'
        return response
    return render(request, "needs/analysis_summary.html", context)


def _answer_rows(responses, question_names):
    for response in responses.iterator(chunk_size=2000):
        values = {a.question.name: a.value for a in response.answers.all()}
        yield {
            "lease": response.household.reference if response.household else "",
            "site": response.site.name if response.site else "",
            "channel": response.get_channel_display(),
            "collected_on": response.collected_on,
            "version": response.version.number,
            **{f"q:{name}": values.get(name, "") for name in question_names},
        }


@require(perms.can_view_answers)
def survey_answers_export(request, pk):
    """One row per response, one column per question (values as XLSForm writes them). Personal data: audited."""
    survey = _survey(request, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Format d'export inconnu : csv ou xlsx.")
    visible = Q(household__in=Household.objects.visible_to(request.user))
    if request.user.role != Role.FIELD_AGENT:
        visible |= Q(household__isnull=True)  # anonymous answers (public link) name nobody
    responses = (
        Response.objects.filter(survey=survey)
        .filter(visible)
        .select_related("household", "site", "version")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("collected_on", "pk")
    )
    names = list(
        dict.fromkeys(
            Question.objects.filter(version__survey=survey)
            .order_by("version__number", "position")
            .values_list("name", flat=True)
        )
    )
    audit.record(
        action=AuditAction.EXPORT,
        organisation_id=survey.organisation_id,
        target_type="needs.Response",
        target_id=survey.pk,
        target_repr=f"réponses à l'enquête « {survey.title} »",
        details={"format": fmt, "count": responses.count()},
        user=request.user,
        source=f"{request.method} {request.path}",
    )
    columns = [
        ExportColumn("référence du bail", itemgetter("lease")),
        ExportColumn("résidence", itemgetter("site")),
        ExportColumn("canal", itemgetter("channel")),
        ExportColumn("date de recueil", itemgetter("collected_on")),
        ExportColumn("version", itemgetter("version")),
        *(ExportColumn(name, itemgetter(f"q:{name}")) for name in names),
    ]
    return export_response(fmt, f"reponses-enquete-{survey.pk}", columns, _answer_rows(responses, names))


urlpatterns = [
    path("enquetes/<int:pk>/analyse/", survey_analysis, name="analysis"),
    path("enquetes/<int:pk>/analyse/synthese/", survey_summary, name="analysis_summary"),
    path("enquetes/<int:pk>/analyse/reponses/", survey_answers_export, name="analysis_answers"),
]
