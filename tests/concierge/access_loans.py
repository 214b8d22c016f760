"""Access rules of the concierge's inventory and loans, merged into tests/test_access.py's ROUTES.

Loans name their borrowers: the staff at the counter (admins, proximity team, field agents). The inventory
(what is lent, and how long) is managed by admins and the proximity team.
"""

from tests.concierge.access_requests import MANAGE, VIEW
from tests.concierge.factories import ItemFactory, LoanFactory

ROUTES = {
    "concierge:item_list": (VIEW | {"other_admin"}, "get", None),
    "concierge:item_create": (MANAGE | {"other_admin"}, "get", None),
    "concierge:item_update": (MANAGE, "get", lambda w: {"pk": w["concierge_item"].pk}),
    "concierge:loan_list": (VIEW | {"other_admin"}, "get", None),
    "concierge:loan_create": (VIEW | {"other_admin"}, "get", None),
    "concierge:loan_return": (VIEW, "post", lambda w: {"pk": w["concierge_loan"].pk}),
}


def build(world):
    """An item lent to the world's household."""
    organisation = world["household"].organisation
    item = ItemFactory(organisation=organisation)
    loan = LoanFactory(
        item=ItemFactory(organisation=organisation), household=world["household"], name="Mme Marqueurnom"
    )
    return {"concierge_item": item, "concierge_loan": loan}
