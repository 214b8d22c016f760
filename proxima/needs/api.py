"""API of the needs app: the offline tablets sync their queued responses here."""

from ninja import Router

router = Router(tags=["enquêtes"])
