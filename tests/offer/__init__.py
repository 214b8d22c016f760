# The offer app declares its routes' access rules in tests/offer/access_offer.py (ROUTES, build);
# tests/test_access.py merges the modules listed here.
from tests.offer import access_offer

ACCESS_AREAS = [access_offer]
