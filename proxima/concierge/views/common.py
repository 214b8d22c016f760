"""What the concierge's staff pages share: the households a user may link or open, and the audit of names shown."""

from django.utils import timezone

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction, Role
from proxima.households.models import Household


def linkable_households(user):
    """The households a user may link to a request, a loan, an appointment or a registration (a field agent:
    those of the sites entrusted to them)."""
    return Household.objects.visible_to(user)


def visible_household_ids(user, ids) -> set[int]:
    """Among ``ids``, the households the user may open; a query only for a field agent, who sees a few sites."""
    ids = {pk for pk in ids if pk}
    if not ids or user.role != Role.FIELD_AGENT:
        return ids
    return set(Household.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def audit_names(request, rows, *, target_type: str, what: str) -> None:
    """The rows name inhabitants: log that they were shown, and which linked households (RGPD, art. 30)."""
    if not rows:
        return
    audit.record(
        action=AuditAction.LIST,
        organisation_id=request.user.organisation_id,
        target_type=target_type,
        target_repr=what,
        details={"ids": [row.pk for row in rows], "filters": request.GET.dict()},
    )
    households = [row.household_id for row in rows if row.household_id]
    if households:
        audit.record_household_list(request, ids=households, what=what)


def audit_export(request, *, target_type: str, what: str, fmt: str, count: int) -> None:
    audit.record(
        action=AuditAction.EXPORT,
        organisation_id=request.user.organisation_id,
        target_type=target_type,
        target_repr=what,
        details={"format": fmt, "filters": request.GET.dict(), "count": count},
    )


def form_errors(form) -> str:
    """The errors of a form posted from a page that shows it elsewhere, as one message: « Champ : erreur »."""
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label} : {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def local(value):
    """A stored date and time as the local wall-clock time to the second, naive: spreadsheets take no time zone."""
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value is not None else None
