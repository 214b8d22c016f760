"""Access rules of the funding routes, merged into tests/test_access.py's ROUTES.

Schemes are shared reference data: every landlord role reads them, another landlord's admin too. Projects, plans
and their funding files are the organisation's: every landlord role reads them (amounts, no household), admins and
the proximity team write them; another landlord's admin gets a 404 on our project. A saved search is its owner's.
Partners have no access.
"""

from decimal import Decimal

from tests.funding.factories import (
    BudgetLineFactory,
    FundingLineFactory,
    ProjectFactory,
    SavedSearchFactory,
    SchemeFactory,
)

VIEW = {"admin", "staff", "field_agent", "read_only", "other_admin"}
MANAGE = {"admin", "staff", "other_admin"}


def _project(w):
    return {"slug": w["funding_project"].slug}


def _line(w):
    return {"slug": w["funding_project"].slug, "pk": w["funding_line"].pk}


ROUTES = {
    "funding:scheme_list": (VIEW, "get", None),
    "funding:scheme_detail": (VIEW, "get", lambda w: {"slug": w["funding_scheme"].slug}),
    "funding:search_list": (VIEW, "get", None),
    "funding:search_create": (VIEW, "post", None),
    "funding:search_delete": ({"admin"}, "post", lambda w: {"pk": w["funding_search"].pk}),
    "funding:project_list": (VIEW, "get", None),
    "funding:project_create": (MANAGE, "get", None),
    "funding:project_detail": (VIEW - {"other_admin"}, "get", _project),
    "funding:project_update": (MANAGE - {"other_admin"}, "get", _project),
    "funding:plan_detail": (VIEW - {"other_admin"}, "get", _project),
    "funding:plan_line_add": (MANAGE - {"other_admin"}, "post", _project),
    "funding:plan_line_update": (MANAGE - {"other_admin"}, "post", _line),
    "funding:plan_line_remove": (MANAGE - {"other_admin"}, "post", _line),
    "funding:application_move": (MANAGE - {"other_admin"}, "post", _line),
    "funding:project_file_pdf": (VIEW - {"other_admin"}, "get", _project),
    "funding:project_file_xlsx": (VIEW - {"other_admin"}, "get", _project),
    "funding:deadlines": (VIEW, "get", None),
}


def build(world):
    """A scheme, a project of organisation A with a budget and one plan line, and a search saved by its admin."""
    organisation = world["site"].organisation
    scheme = SchemeFactory()
    project = ProjectFactory(organisation=organisation, slug="projet-marqueur")
    BudgetLineFactory(project=project)
    line = FundingLineFactory(plan=project.plan, scheme=scheme, amount_planned=Decimal("20000"))
    search = SavedSearchFactory(user=world["users"]["admin"])
    return {"funding_scheme": scheme, "funding_project": project, "funding_line": line, "funding_search": search}
