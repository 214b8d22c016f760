"""Access rules of the needs app's surveys routes, merged into tests/test_access.py's ROUTES."""

from tests.needs.factories import small_survey

# Reading a survey's questions: those who read the needs and those who collect answers (no household is named).
READERS = {"admin", "staff", "field_agent", "read_only"}
# Writing, importing, opening and closing: perms.can_manage_surveys.
MANAGERS = {"admin", "staff"}

ROUTES = {
    "needs:survey_list": (READERS | {"other_admin"}, "get", None),
    "needs:survey_create": (MANAGERS | {"other_admin"}, "get", None),
    "needs:survey_import": (MANAGERS | {"other_admin"}, "get", None),
    "needs:survey_detail": (READERS, "get", lambda w: {"pk": w["managed_survey"].pk}),
    "needs:survey_edit": (MANAGERS, "get", lambda w: {"pk": w["managed_survey"].pk}),
    "needs:survey_open": (MANAGERS, "post", lambda w: {"pk": w["managed_survey"].pk}),
    "needs:survey_close": (MANAGERS, "post", lambda w: {"pk": w["managed_survey"].pk}),
    "needs:survey_export": (READERS, "get", lambda w: {"pk": w["managed_survey"].pk}),
}


def build(world):
    """Objects these routes need, added to the access test's world of organisation A."""
    return {"managed_survey": small_survey(world["site"].organisation, sites=[world["site"]])}
