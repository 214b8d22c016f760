# The outreach programme declares its routes' access rules in tests/outreach/access_<area>.py (ROUTES, build);
# tests/test_access.py merges the modules listed here.
from tests.outreach import access_programme

ACCESS_AREAS = [access_programme]
