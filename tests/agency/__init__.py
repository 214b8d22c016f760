# Each area of the agency app declares its routes' access rules in tests/agency/access_<area>.py (ROUTES, build,
# and optionally PUBLIC_STATUS / ALLOWED_STATUS); tests/test_access.py merges the modules listed here.
from tests.agency import access_booking, access_map, access_plans, access_public, access_stops, access_visits

ACCESS_AREAS = [access_stops, access_plans, access_visits, access_map, access_public, access_booking]
