# The funding app declares its routes' access rules in tests/funding/access_funding.py (ROUTES, build);
# tests/test_access.py merges the modules listed here.
from tests.funding import access_funding

ACCESS_AREAS = [access_funding]
