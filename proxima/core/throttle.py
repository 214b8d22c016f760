"""Counting what anonymous visitors do on public forms, to stop scripts while letting people make mistakes.

A limit holds per browser session and per client address (several residents may share one: a town hall's
computer), over a window of minutes, in the cache shared by the web processes. Same approach as the agency's
booking pages (``proxima.agency.views.booking``).
"""

from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    """At most ``per_session`` and ``per_address`` counted actions named ``name`` per ``window`` seconds."""

    name: str
    per_session: int
    per_address: int
    window: int = 15 * 60

    def _keys(self, request) -> list[tuple[str, int]]:
        if not request.session.session_key:
            request.session.save()
        return [
            (f"{self.name}:session:{request.session.session_key}", self.per_session),
            (f"{self.name}:address:{get_client_ip_address(request) or ''}", self.per_address),
        ]

    def is_limited(self, request) -> bool:
        return any((cache.get(key) or 0) >= limit for key, limit in self._keys(request))

    def count(self, request) -> None:
        for key, _limit in self._keys(request):
            cache.add(key, 0, self.window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, self.window)
