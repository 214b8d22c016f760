"""Access rules of the needs app's analysis routes, merged into tests/test_access.py's ROUTES.

The analysis is aggregates only: landlord roles but field agents (``can_view_needs``). The answers
export is personal data: the staff who act on households, field agents for their sites (``can_view_answers``).
Partners never see either.
"""

NEEDS = {"admin", "staff", "read_only"}
ANSWERS = {"admin", "staff", "field_agent"}


def _survey(world):
    return {"pk": world["analysis_survey"].pk}


ROUTES = {
    "needs:analysis": (NEEDS, "get", _survey),
    "needs:analysis_summary": (NEEDS, "get", _survey),
    "needs:analysis_answers": (ANSWERS, "get", _survey),
}


def build(world):
    """Objects these routes need, added to the access test's world of organisation A."""
    from tests.needs.factories import ResponseFactory, small_survey

    survey = small_survey(world["household"].organisation, sites=[world["site"]])
    ResponseFactory(survey=survey, household=world["household"], needs=["isolation"])
    return {"analysis_survey": survey}
