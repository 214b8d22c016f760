"""A household's interaction history: every contact recorded by any app (surveys, outreach, the mobile agency,
the concierge…), newest first, filtered, paginated and exported. Reading it is audited like the household's
record."""

import datetime as dt

from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone

from proxima.accounts import audit, perms
from proxima.concierge.forms import HistoryFilterForm
from proxima.concierge.views.common import local
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without
from proxima.households.models import Household, Interaction

HISTORY_EXPORT = [
    ExportColumn("date", lambda i: local(i.occurred_at)),
    ExportColumn("canal", lambda i: i.get_channel_display()),
    ExportColumn("origine", lambda i: i.source),
    ExportColumn("thème", lambda i: i.theme),
    ExportColumn("résultat", lambda i: i.outcome),
    ExportColumn("remarque", lambda i: i.note),
    ExportColumn("par", lambda i: str(i.recorded_by) if i.recorded_by_id else ""),
]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@require(perms.can_view_interaction_history)
def household_history(request, pk):
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("dwelling__building__site"), pk=pk
    )
    interactions = Interaction.objects.filter(household=household)
    sources = sorted(set(interactions.order_by().values_list("source", flat=True).distinct()))
    form = HistoryFilterForm(request.GET or None, sources=sources)
    if form.is_bound and not form.is_valid():
        interactions = interactions.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["channel"]:
            interactions = interactions.filter(channel=data["channel"])
        if data["source"]:
            interactions = interactions.filter(source=data["source"])
        if data["since"]:
            interactions = interactions.filter(occurred_at__gte=_day_start(data["since"]))
        if data["until"]:
            interactions = interactions.filter(occurred_at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    interactions = interactions.select_related("recorded_by").order_by("-occurred_at", "-pk")
    source = f"{request.method} {request.path}"
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit.record_read(household, user=request.user, source=source, details={"export": fmt})
        return export_response(fmt, f"historique-{household.reference}", HISTORY_EXPORT, interactions)
    audit.record_read(household, user=request.user, source=source)
    return render(
        request,
        "concierge/household_history.html",
        {
            "household": household,
            "form": form,
            "page": paginate(request, interactions),
            "query": querystring_without(request, "page", "format"),
        },
    )


urlpatterns = [
    path("menages/<int:pk>/historique/", household_history, name="household_history"),
]
