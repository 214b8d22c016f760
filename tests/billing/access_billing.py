"""Access rules of the billing routes, merged into tests/test_access.py's ROUTES.

Services' billing, agreements and monthly totals name no household: every landlord role that reads aggregates
(admins, the proximity team, read-only managers and finance). Setting them and running a month puts money on
tenants' accounts: admins and the proximity team. Charge lines and a household's annual statement name
households: admins and the proximity team. Another landlord's admin gets a 404 on our objects.
"""

from proxima.billing import services
from proxima.billing.amounts import Month
from tests.billing.factories import (
    BilledServiceFactory,
    ChargeRuleFactory,
    CollectiveAgreementFactory,
    SubscriptionFactory,
)

VIEW = {"admin", "staff", "read_only", "other_admin"}
MANAGE = {"admin", "staff", "other_admin"}


def _service(w):
    return {"pk": w["billed_service"].pk}


def _run(w):
    return {"pk": w["billing_run"].pk}


def _household(w):
    return {"pk": w["household"].pk}


ROUTES = {
    "billing:service_list": (VIEW, "get", None),
    "billing:service_create": (MANAGE, "get", None),
    "billing:service_update": (MANAGE - {"other_admin"}, "get", _service),
    "billing:rule_add": (MANAGE - {"other_admin"}, "post", _service),
    "billing:agreement_create": (MANAGE, "get", None),
    "billing:agreement_update": (MANAGE - {"other_admin"}, "get", lambda w: {"pk": w["billing_agreement"].pk}),
    # Subscribers and a household's billing name households: as the charge lines.
    "billing:subscription_list": (
        MANAGE - {"other_admin"},
        "get",
        lambda w: {"pk": w["billing_subscription"].service_id},
    ),
    "billing:subscription_end": (MANAGE - {"other_admin"}, "post", lambda w: {"pk": w["billing_subscription"].pk}),
    "billing:household": (MANAGE - {"other_admin"}, "get", _household),
    "billing:exit_record": (MANAGE - {"other_admin"}, "post", _household),
    "billing:household_subscribe": (MANAGE - {"other_admin"}, "post", _household),
    "billing:run_list": (VIEW, "get", None),
    "billing:run_start": (MANAGE, "post", None),
    "billing:run_detail": (VIEW - {"other_admin"}, "get", _run),
    "billing:run_progress": (VIEW - {"other_admin"}, "get", _run),
    "billing:run_close": (MANAGE - {"other_admin"}, "post", _run),
    "billing:line_list": (MANAGE - {"other_admin"}, "get", _run),
    "billing:statement": (MANAGE - {"other_admin"}, "get", lambda w: {"pk": w["household"].pk}),
}
# The progress fragment is for htmx: a plain request is sent to the run's page.
ALLOWED_STATUS = {"billing:run_progress": 302}


def build(world):
    """A recoverable charge billed to the world's household for November 2026, an agreement on its site, and
    the household's subscription."""
    organisation = world["site"].organisation
    rule = ChargeRuleFactory(service__organisation=organisation)
    run, _ = services.run_month(organisation=organisation, month=Month(2026, 11))
    agreement = CollectiveAgreementFactory(organisation=organisation, sites=[world["site"]])
    subscription = SubscriptionFactory(
        household=world["household"], service=BilledServiceFactory(organisation=organisation, subscription=True)
    )
    return {
        "billed_service": rule.service,
        "billing_run": run,
        "billing_agreement": agreement,
        "billing_subscription": subscription,
    }
