"""Authentication of the REST API: bearer tokens for machine clients, or the browser session."""

import datetime as dt

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from proxima.accounts.models import ApiToken

LAST_USED_PRECISION = dt.timedelta(minutes=5)


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer pxm_…``: the token acts with exactly its owner's rights."""

    def authenticate(self, request, token):
        try:
            api_token = (
                ApiToken.objects.active()
                .select_related("user__organisation")
                .get(key_hash=ApiToken.hash_key(token), user__is_active=True)
            )
        except ApiToken.DoesNotExist:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
            api_token.last_used_at = now
            api_token.save(update_fields=["last_used_at"])
        return api_token.user


class UserSessionAuth(SessionAuth):
    """A logged-in browser (for example on /api/docs); returns the user like the token does."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None
