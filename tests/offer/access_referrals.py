"""Access rules of the referral routes, merged into tests/test_access.py's ROUTES.

The landlord's staff who orient residents (admins, staff, field agents) read and send referrals; read-only users
never see names. A partner's users see only the referrals addressed to their organisation, through their own
pages; the actions that change a referral's status are shared by both sides, each on the referrals it may
touch. Another landlord's admin gets a 404 on every one of ours.
"""

from tests.offer.factories import PartnerFactory, ServiceFactory
from tests.offer.factories_referrals import ReferralFactory

REFERRERS = {"admin", "staff", "field_agent", "other_admin"}
ACTORS = {"admin", "staff", "field_agent", "partner"}
MANAGERS = {"admin", "staff", "other_admin"}


def _referral(w):
    return {"pk": w["referral"].pk}


ROUTES = {
    "referrals:list": (REFERRERS, "get", None),
    "referrals:detail": (REFERRERS - {"other_admin"}, "get", _referral),
    "referrals:create_household": (
        REFERRERS - {"other_admin"},
        "get",
        lambda w: {"household_pk": w["household"].pk},
    ),
    "referrals:create_person": (REFERRERS, "get", None),
    "referrals:accept": (ACTORS, "post", _referral),
    "referrals:refuse": (ACTORS, "post", _referral),
    "referrals:complete": (ACTORS, "post", _referral),
    "referrals:abandon": (ACTORS, "post", _referral),
    "referrals:settings": (MANAGERS, "get", None),
    "referrals:inbox": ({"partner"}, "get", None),
    "referrals:inbox_detail": ({"partner"}, "get", _referral),
}


def build(world):
    """A referral of the world's household to a service of the partner whose account the world's partner uses."""
    landlord = world["household"].organisation
    partner = PartnerFactory(organisation=landlord, account=world["users"]["partner"].organisation)
    service = ServiceFactory(organisation=landlord, partner=partner)
    return {"referral": ReferralFactory(household=world["household"], service=service)}
