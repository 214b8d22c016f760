"""Every URL and API route, for every kind of visitor: no view can escape the access rules.

The table below must name every URL pattern of the project: a new view without an entry
makes ``test_every_url_is_declared`` fail, so its access rule is decided, not forgotten.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from proxima.accounts.enums import Role
from proxima.accounts.services import create_api_token
from proxima.imports.models import ImportJob, ImportStatus
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.agency import ACCESS_AREAS as AGENCY_AREAS
from tests.households.factories import ConsentFactory, PersonFactory
from tests.needs import access_analysis, access_collect, access_outreach, access_paper, access_respond, access_surveys
from tests.offer import ACCESS_AREAS as OFFER_AREAS
from tests.territory.factories import DwellingFactory

PUBLIC = "public"
ANY_USER = {"admin", "staff", "field_agent", "read_only", "partner", "other_admin"}
STOCK = {"admin", "staff", "field_agent", "read_only", "other_admin"}
HOUSEHOLDS = {"admin", "staff", "field_agent", "other_admin"}
IMPORT = {"admin", "staff", "other_admin"}
ADMIN = {"admin", "other_admin"}
# What an anonymous visitor gets on the public routes that do not answer 200.
PUBLIC_STATUS = {
    "accounts:password_reset_confirm": 302,  # Django swaps the token in the URL for one in the session
    "api:api-root": 404,  # the API has no home page: its documentation is /api/docs
}
# What an allowed visitor gets when it is not 200 (pages) or 302 (form actions).
ALLOWED_STATUS = {}
VISITORS = ["anonymous", "admin", "staff", "field_agent", "read_only", "partner", "other_admin"]

SITE_MARKER = "Résidence Marqueur-A"
HOUSEHOLD_MARKER = "BAIL-MARQUEUR-A"
PERSON_MARKER = "Marqueurnom"

# name: (who may, HTTP method, kwargs built from the world of organisation A)
ROUTES = {
    "core:home": (ANY_USER, "get", None),
    "accounts:login": (PUBLIC, "get", None),
    "accounts:logout": (ANY_USER, "post", None),
    "accounts:password_change": (ANY_USER, "get", None),
    "accounts:password_reset": (PUBLIC, "get", None),
    "accounts:password_reset_done": (PUBLIC, "get", None),
    "accounts:password_reset_confirm": (PUBLIC, "get", lambda w: {"uidb64": w["uid"], "token": w["reset_token"]}),
    "accounts:password_reset_complete": (PUBLIC, "get", None),
    "accounts:profile": (ANY_USER, "get", None),
    "accounts:api_token_create": (ANY_USER, "post", None),
    "accounts:api_token_revoke": ({"admin"}, "post", lambda w: {"pk": w["token"].pk}),
    "accounts:user_list": (ADMIN, "get", None),
    "accounts:user_create": (ADMIN, "get", None),
    "accounts:user_update": ({"admin"}, "get", lambda w: {"pk": w["users"]["staff"].pk}),
    "accounts:audit_log": (ADMIN, "get", None),
    "territory:dashboard": (STOCK, "get", None),
    "territory:site_list": (STOCK, "get", None),
    "territory:site_detail": (STOCK - {"other_admin"}, "get", lambda w: {"pk": w["site"].pk}),
    "territory:dwelling_list": (STOCK, "get", None),
    "households:list": (HOUSEHOLDS, "get", None),
    "households:detail": (HOUSEHOLDS - {"other_admin"}, "get", lambda w: {"pk": w["household"].pk}),
    "households:consent_create": (HOUSEHOLDS - {"other_admin"}, "post", lambda w: {"pk": w["household"].pk}),
    "households:consent_withdraw": (
        HOUSEHOLDS - {"other_admin"},
        "post",
        lambda w: {"pk": w["household"].pk, "consent_pk": w["consent"].pk},
    ),
    "imports:list": (IMPORT, "get", None),
    "imports:detail": (IMPORT - {"other_admin"}, "get", lambda w: {"pk": w["job"].pk}),
    "imports:progress": (IMPORT - {"other_admin"}, "get", lambda w: {"pk": w["job"].pk}),
    "imports:confirm": (IMPORT - {"other_admin"}, "post", lambda w: {"pk": w["job"].pk}),
    "imports:discard": (IMPORT - {"other_admin"}, "post", lambda w: {"pk": w["job"].pk}),
    "imports:issues": (IMPORT - {"other_admin"}, "get", lambda w: {"pk": w["job"].pk}),
    "api:openapi-json": (PUBLIC, "get", None),
    "api:openapi-view": (PUBLIC, "get", None),
    "api:api-root": (PUBLIC, "get", None),
    "api:list_sites": (STOCK, "get", None),
    "api:get_site": (STOCK - {"other_admin"}, "get", lambda w: {"site_id": w["site"].pk}),
    "api:list_dwellings": (STOCK, "get", None),
    "api:get_dwelling": (STOCK - {"other_admin"}, "get", lambda w: {"dwelling_id": w["dwelling"].pk}),
    "api:list_households": (HOUSEHOLDS, "get", None),
    "api:get_household": (HOUSEHOLDS - {"other_admin"}, "get", lambda w: {"household_id": w["household"].pk}),
}
# Each area of the needs app declares its routes, and what they need in the world, in its own module.
NEEDS_AREAS = [access_surveys, access_collect, access_respond, access_paper, access_analysis, access_outreach]
# The agency app's areas likewise (tests/agency/access_*.py, listed in tests/agency/__init__.py).
AREAS = NEEDS_AREAS + AGENCY_AREAS + OFFER_AREAS
for _area in AREAS:
    assert not set(_area.ROUTES) & set(ROUTES), f"{_area.__name__} declares a route twice"
    ROUTES.update(_area.ROUTES)
    PUBLIC_STATUS.update(getattr(_area, "PUBLIC_STATUS", {}))
    ALLOWED_STATUS.update(getattr(_area, "ALLOWED_STATUS", {}))


def url_names(patterns=None, namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from url_names(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_declared():
    """A URL pattern missing from ROUTES has no decided access rule: declare it."""
    assert set(url_names()) == set(ROUTES)


@pytest.fixture
def world(landlord):
    """Organisation A with one of everything, users of every role, and another landlord's admin."""
    dwelling = DwellingFactory(building__site__organisation=landlord, building__site__name=SITE_MARKER)
    person = PersonFactory(
        household__dwelling=dwelling, household__reference=HOUSEHOLD_MARKER, last_name=PERSON_MARKER
    )
    household = person.household
    partner_org = OrganisationFactory(partner=True)
    other_org = OrganisationFactory(slug="autre-bailleur")
    DwellingFactory(building__site__organisation=other_org, building__site__name="Résidence de B")
    users = {role: UserFactory(organisation=landlord, role=role) for role in Role if role != Role.PARTNER}
    users["partner"] = UserFactory(organisation=partner_org, role=Role.PARTNER)
    users["other_admin"] = UserFactory(organisation=other_org, role=Role.ADMIN)
    token, _ = create_api_token(user=users["admin"], name="test")
    job = ImportJob.objects.create(
        organisation=landlord,
        kind="stock",
        original_name="stock.csv",
        status=ImportStatus.READY,
        validation={"issues": [], "rows_read": 0, "rows_valid": 0, "rows_invalid": 0, "issues_total": 0},
    )
    job.file.save("stock.csv", ContentFile(b"a;b\n1;2\n"))
    staff = users["staff"]
    dwelling.building.site.agents.add(users["field_agent"])  # a field agent sees only their sites' households
    world = {
        "site": dwelling.building.site,
        "dwelling": dwelling,
        "household": household,
        "consent": ConsentFactory(household=household),
        "users": users,
        "token": token,
        "job": job,
        "uid": urlsafe_base64_encode(force_bytes(staff.pk)),
        "reset_token": default_token_generator.make_token(staff),
    }
    for area in AREAS:
        world.update(area.build(world))
    return world


def request(client, world, name, visitor):
    allowed, method, kwargs = ROUTES[name]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    if visitor != "anonymous":
        client.force_login(world["users"][visitor])
    response = getattr(client, method)(url)
    return allowed, response


@pytest.mark.django_db
@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_access(client, world, name, visitor):
    """Allowed visitors get the page; others are sent to log in (web), get 401 (API), 403 or 404."""
    allowed, response = request(client, world, name, visitor)
    is_api = name.startswith("api:")
    if allowed == PUBLIC:
        if visitor == "anonymous":
            assert response.status_code == PUBLIC_STATUS.get(name, 200)
        else:
            assert response.status_code < 500
        return
    if visitor == "anonymous":
        if is_api:
            assert response.status_code == 401
        else:
            assert response.status_code == 302
            assert response.url.startswith(reverse("accounts:login"))
        return
    if visitor in allowed:
        # Pages answer 200; every form action redirects once done (post/redirect/get).
        expected = 200 if ROUTES[name][1] == "get" else 302
        if name == "core:home" and visitor != "partner":
            expected = 302  # landlord staff land on their dashboard
        if name == "imports:progress":
            expected = 302  # the fragment is for htmx; a plain request is sent to the full page
        expected = ALLOWED_STATUS.get(name, expected)
        assert response.status_code == expected, response.content[:500]
        if visitor == "other_admin":
            content = b"".join(response.streaming_content) if response.streaming else response.content
            for marker in (SITE_MARKER, HOUSEHOLD_MARKER, PERSON_MARKER):
                assert marker.encode() not in content, f"{name} shows organisation A's {marker} to another landlord"
    else:
        # Another organisation's object is a 404 (its existence is not even revealed), a role without right a 403.
        assert response.status_code in (403, 404)
        if visitor == "other_admin" and ROUTES[name][2] is not None:
            assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n, (allowed, _, _) in ROUTES.items() if n.startswith("api:") and allowed != PUBLIC]
)
def test_api_with_token(client, world, name):
    """A bearer token carries its owner's rights; a wrong or revoked token gets 401."""
    allowed, method, kwargs = ROUTES[name]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    _, key = create_api_token(user=world["users"]["read_only"], name="lecture")
    response = getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == (200 if "read_only" in allowed else 403)
    assert getattr(client, method)(url, HTTP_AUTHORIZATION="Bearer pxm_wrong").status_code == 401
