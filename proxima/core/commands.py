"""What the daily commands (``proxima referrals expire``, ``proxima appointments forget``…) share: the day they
consider, ``--today`` or today."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def add_today_argument(parser) -> None:
    parser.add_argument("--today", help="le jour à considérer, AAAA-MM-JJ (par défaut : aujourd'hui)")


def today_from(value: str | None) -> dt.date:
    """The day given with ``--today`` (AAAA-MM-JJ), or today; a ``CommandError`` that names it if invalid."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today : date invalide « {value} », attendu AAAA-MM-JJ.") from None
