# The offer app declares its routes' access rules in tests/offer/access_*.py (ROUTES, build);
# tests/test_access.py merges the modules listed here.
from tests.offer import access_gaps, access_offer, access_referrals

ACCESS_AREAS = [access_offer, access_referrals, access_gaps]
