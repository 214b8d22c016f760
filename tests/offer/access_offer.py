"""Access rules of the offer's routes, merged into tests/test_access.py's ROUTES.

The catalogue, partners, agreements and bundles name no resident: every role of the landlord reads them.
Writing them commits the landlord: admins and the proximity team. The households a bundle selects are
named records: the roles that work with households (a field agent: their sites' only). Partner users see
none of it. Another landlord's admin gets a 404 on our objects.
"""

from django.core.files.base import ContentFile

from tests.offer.factories import BundleFactory, PartnerFactory, PartnershipAgreementFactory, ServiceFactory

VIEW = {"admin", "staff", "field_agent", "read_only", "other_admin"}
MANAGE = {"admin", "staff", "other_admin"}
HOUSEHOLDS = {"admin", "staff", "field_agent"}


def _service(w):
    return {"pk": w["offer_service"].pk}


def _partner(w):
    return {"pk": w["offer_partner"].pk}


def _agreement(w):
    return {"pk": w["offer_agreement"].pk}


def _bundle(w):
    return {"pk": w["offer_bundle"].pk}


ROUTES = {
    "offer:service_list": (VIEW, "get", None),
    "offer:service_create": (MANAGE, "get", None),
    "offer:service_detail": (VIEW - {"other_admin"}, "get", _service),
    "offer:service_update": (MANAGE - {"other_admin"}, "get", _service),
    "offer:partner_list": (VIEW, "get", None),
    "offer:partner_create": (MANAGE, "get", None),
    "offer:partner_detail": (VIEW - {"other_admin"}, "get", _partner),
    "offer:partner_update": (MANAGE - {"other_admin"}, "get", _partner),
    "offer:agreement_create": (MANAGE - {"other_admin"}, "get", _partner),
    "offer:agreement_update": (MANAGE - {"other_admin"}, "get", _agreement),
    "offer:agreement_document": (VIEW - {"other_admin"}, "get", _agreement),
    "offer:bundle_list": (VIEW, "get", None),
    "offer:bundle_create": (MANAGE, "get", None),
    "offer:bundle_detail": (VIEW - {"other_admin"}, "get", _bundle),
    "offer:bundle_update": (MANAGE - {"other_admin"}, "get", _bundle),
    "offer:bundle_households": (HOUSEHOLDS, "get", _bundle),
}


def build(world):
    """Organisation A's partner with a signed agreement, a service it renders, and a bundle for the world's site."""
    organisation = world["site"].organisation
    partner = PartnerFactory(organisation=organisation)
    agreement = PartnershipAgreementFactory(partner=partner)
    agreement.document.save("convention.pdf", ContentFile(b"%PDF-1.4 convention"))
    service = ServiceFactory(organisation=organisation, partner=partner)
    bundle = BundleFactory(organisation=organisation)
    bundle.services.add(service)
    bundle.sites.add(world["site"])
    return {"offer_partner": partner, "offer_agreement": agreement, "offer_service": service, "offer_bundle": bundle}
