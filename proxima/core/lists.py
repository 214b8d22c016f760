"""What every list page shares: search and filters from the query string, pagination, export."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render


def paginate(request, queryset, per_page: int | None = None):
    paginator = Paginator(queryset, per_page or settings.PROXIMA_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without(request, *keys) -> str:
    """The current query string without ``keys`` (to build page and export links)."""
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


def list_response(request, template: str, queryset, *, export_as: str, columns, context: dict | None = None):
    """A list page, or its export when ``?format=csv|xlsx`` is asked: the same filtered rows."""
    from proxima.core.exports import FORMATS, export_response

    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, export_as, columns, queryset)
    return render(
        request,
        template,
        {
            "page": paginate(request, queryset),
            "query": querystring_without(request, "page", "format"),
            **(context or {}),
        },
    )
