"""Access rules of the needs app's collect routes, merged into tests/test_access.py's ROUTES.

Answers are collected by the landlord's staff who meet residents (admins, proximity team, field
agents for their sites): never by read-only users or partners. Another landlord's admin collects
for its own households only, so it gets its own (empty) pages and a 404 on ours.
"""

from tests.needs.factories import small_survey

COLLECTORS = {"admin", "staff", "field_agent", "other_admin"}
SURVEY_MANAGERS = {"admin", "staff"}

ROUTES = {
    "needs:collect_start": (COLLECTORS, "get", None),
    "needs:collect_entry": (
        COLLECTORS - {"other_admin"},
        "get",
        lambda w: {"survey_pk": w["collect_survey"].pk, "household_pk": w["household"].pk},
    ),
    "needs:offline": (COLLECTORS, "get", None),
    "needs:offline_worker": ("public", "get", None),
    "needs:survey_links": (SURVEY_MANAGERS, "get", lambda w: {"pk": w["collect_survey"].pk}),
    "api:needs_surveys": (COLLECTORS, "get", None),
    "api:needs_households": (COLLECTORS, "get", None),
    "api:needs_responses": (COLLECTORS, "post", None),
}
# Without their parameters (the survey, the body) the API routes answer 422 to those allowed.
ALLOWED_STATUS = {"api:needs_households": 422, "api:needs_responses": 422}


def build(world):
    """An open survey of organisation A aimed at the world's site."""
    return {"collect_survey": small_survey(world["site"].organisation, sites=[world["site"]])}
