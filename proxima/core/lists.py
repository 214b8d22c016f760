"""What every list page shares: search and filters from the query string, pagination, export."""

from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    paginator = Paginator(queryset, per_page or settings.PROXIMA_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without(request, *keys) -> str:
    """The current query string without ``keys`` (to build page and export links)."""
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()
