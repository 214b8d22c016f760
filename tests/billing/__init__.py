# The billing app declares its routes' access rules in tests/billing/access_billing.py (ROUTES, build,
# ALLOWED_STATUS); tests/test_access.py merges the modules listed here.
from tests.billing import access_billing

ACCESS_AREAS = [access_billing]
