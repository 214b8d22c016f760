"""Access rules of the needs app's respond routes (residents' pages), merged into tests/test_access.py's ROUTES.

Every page is public: a resident has a code, not an account. The pages of the questionnaire
send a visitor without a code in progress back to the code page (302).
"""

from tests.needs.factories import small_survey

ROUTES = {
    "respond:start": ("public", "get", None),
    "respond:site": ("public", "get", lambda w: {"token": w["respond_survey"].public_token, "site_pk": w["site"].pk}),
    "respond:section": ("public", "get", lambda w: {"step": 1}),
    "respond:review": ("public", "get", None),
    "respond:thanks": ("public", "get", None),
}
PUBLIC_STATUS = {"respond:section": 302, "respond:review": 302}


def build(world):
    """An open survey of organisation A aimed at the world's site."""
    return {"respond_survey": small_survey(world["site"].organisation, sites=[world["site"]])}
