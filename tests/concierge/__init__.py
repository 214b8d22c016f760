# Each area of the concierge app declares its routes' access rules in tests/concierge/access_<area>.py (ROUTES,
# build, and optionally PUBLIC_STATUS / ALLOWED_STATUS); tests/test_access.py merges the modules listed here.
from tests.concierge import (
    access_activities,
    access_history,
    access_loans,
    access_office_hours,
    access_public,
    access_requests,
)

ACCESS_AREAS = [access_requests, access_loans, access_office_hours, access_activities, access_history, access_public]
