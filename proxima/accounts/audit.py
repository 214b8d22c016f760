"""The audit trail: every write, and every read of a household's record.

Writes are caught by model signals on the audited models, so a new view or command
cannot forget them; reads are recorded explicitly by the pages and endpoints that
show a household (`record_read`). Who is acting and from where is held in a context
variable set by the web middleware, the API authentication and the commands.
Bulk writes (imports) fire no signal: the import records one event that counts them.
"""

import contextlib
import contextvars
from dataclasses import dataclass

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save

from proxima.accounts.enums import AuditAction


@dataclass(frozen=True)
class AuditContext:
    user: object | None  # accounts.User, or None for the system
    source: str


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)

# "app_label.ModelName" of the models whose every save and delete is logged.
AUDITED_MODELS = {
    "accounts.Organisation",
    "accounts.User",
    "accounts.ApiToken",
    "territory.Site",
    "territory.Building",
    "territory.Dwelling",
    "households.Household",
    "households.Person",
    "households.Consent",
    "households.Interaction",
    "imports.ImportJob",
    "needs.Survey",
    "needs.Response",
    "needs.OutreachContact",
    "agency.AgencySettings",
    "agency.Stop",
    "agency.TourPlan",
    "agency.Appointment",
    "agency.VisitLog",
    "agency.VisitContact",
    "offer.Partner",
    "offer.PartnerContact",
    "offer.PartnershipAgreement",
    "offer.Service",
    "offer.Bundle",
    "outreach.Programme",
    "outreach.Enrolment",
    "outreach.ContactPlan",
    "outreach.Contact",
    "outreach.Alert",
    "concierge.ConciergeSettings",
    "concierge.ConciergeRequest",
    "concierge.Item",
    "concierge.Loan",
    "concierge.OfficeHours",
    "concierge.OfficeAppointment",
    "concierge.Activity",
    "concierge.Registration",
    "billing.CollectiveAgreement",
    "billing.BilledService",
    "billing.ChargeRule",
    "billing.Subscription",
    "billing.HouseholdExit",
    "offer.Referral",
    "offer.ReferralSettings",
}


@contextlib.contextmanager
def acting_as(user, source: str):
    """Attribute every audit event recorded inside the block to ``user``, from ``source``."""
    token = _context.set(AuditContext(user=user, source=source[:255]))
    try:
        yield
    finally:
        _context.reset(token)


def current() -> AuditContext:
    return _context.get() or AuditContext(user=None, source="système")


def record(
    *,
    action: str,
    organisation_id,
    target_type: str,
    target_id="",
    target_repr="",
    details=None,
    user=None,
    source=None,
):
    """Append one event to the trail; ``user`` and ``source`` default to the current context."""
    from proxima.accounts.models import AuditEvent

    ctx = current()
    user = user if user is not None else ctx.user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        organisation_id=organisation_id,
        actor=user,
        actor_label=user.email if user is not None else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_repr=str(target_repr)[:200],
        source=(source if source is not None else ctx.source)[:255],
        details=details or {},
    )


def record_read(obj, *, user, source: str, details=None):
    """Log that ``user`` read ``obj`` (a household's record) from ``source``."""
    return record(
        action=AuditAction.READ,
        organisation_id=obj.audit_organisation_id,
        target_type=obj._meta.label,
        target_id=obj.pk,
        target_repr=str(obj),
        user=user,
        source=source,
        details=details,
    )


def record_household_list(request, *, ids, what: str):
    """Log that the user of ``request`` was shown these households (by id) in the list ``what``, with its filters."""
    return record(
        action=AuditAction.LIST,
        organisation_id=request.user.organisation_id,
        target_type="households.Household",
        target_repr=what,
        details={"ids": list(ids), "filters": request.GET.dict()},
    )


def record_household_export(request, *, fmt: str, count: int, what: str):
    """Log that the user of ``request`` exported ``count`` households of the list ``what`` as ``fmt``."""
    return record(
        action=AuditAction.EXPORT,
        organisation_id=request.user.organisation_id,
        target_type="households.Household",
        target_repr=what,
        details={"format": fmt, "filters": request.GET.dict(), "count": count},
    )


def _label(instance) -> str:
    return instance._meta.label


# Bookkeeping columns written on every login or API call: logging them would bury real writes.
_BOOKKEEPING_FIELDS = frozenset({"last_login", "last_used_at"})


def _on_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields and set(update_fields) <= _BOOKKEEPING_FIELDS):
        return
    record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        organisation_id=instance.audit_organisation_id,
        target_type=_label(instance),
        target_id=instance.pk,
        target_repr=str(instance),
    )


def _on_delete(sender, instance, **kwargs):
    record(
        action=AuditAction.DELETE,
        organisation_id=instance.audit_organisation_id,
        target_type=_label(instance),
        target_id=instance.pk,
        target_repr=str(instance),
    )


def _on_login(sender, request, user, **kwargs):
    record(
        action=AuditAction.LOGIN,
        organisation_id=user.organisation_id,
        target_type=_label(user),
        target_id=user.pk,
        target_repr=user.email,
        user=user,
        source=f"{request.method} {request.path}" if request is not None else "système",
    )


def connect_signals():
    from django.apps import apps

    for label in AUDITED_MODELS:
        model = apps.get_model(label)
        post_save.connect(_on_save, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"audit-delete-{label}")
    user_logged_in.connect(_on_login, dispatch_uid="audit-login")
