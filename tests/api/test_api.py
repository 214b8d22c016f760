import pytest

from proxima.accounts.enums import Role
from proxima.accounts.services import create_api_token
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.territory.factories import DwellingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(landlord):
    _, key = create_api_token(user=UserFactory(organisation=landlord, role=Role.STAFF), name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_sites_with_counts_and_pagination(client, auth, landlord):
    dwelling = DwellingFactory(building__site__organisation=landlord, vacant=True)
    DwellingFactory(building__site=dwelling.building.site, organisation=landlord)
    DwellingFactory.create_batch(2, building__site__organisation=landlord)
    body = client.get("/api/sites?limit=2", **auth).json()
    assert body["count"] == 3 and body["limit"] == 2 and len(body["items"]) == 2
    first = body["items"][0]
    assert (first["dwellings_count"], first["vacant_count"], first["commune_code"], first["zone_abc"]) == (
        2,
        1,
        "36044",
        "B2",
    )
    assert client.get("/api/sites?limit=2&offset=2", **auth).json()["items"][0]["id"] != first["id"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1"])
def test_bad_pagination_is_refused(client, auth, query):
    assert client.get(f"/api/sites?{query}", **auth).status_code == 422


def test_dwellings_filtered_by_status(client, auth, landlord):
    DwellingFactory(organisation=landlord, building__site__organisation=landlord, vacant=True, reference="V1")
    DwellingFactory(organisation=landlord, building__site__organisation=landlord, reference="O1")
    body = client.get("/api/dwellings?status=vacant", **auth).json()
    assert [d["reference"] for d in body["items"]] == ["V1"]
    assert body["items"][0]["vacant_since"] == "2026-03-01"


def test_households_list_has_no_names_and_detail_has_persons(client, auth, landlord):
    person = PersonFactory(household__dwelling__building__site__organisation=landlord, last_name="Martin")
    listing = client.get("/api/households", **auth).json()
    assert listing["items"][0]["persons_count"] == 1
    assert "Martin" not in str(listing)
    detail = client.get(f"/api/households/{person.household_id}", **auth).json()
    assert detail["persons"][0]["last_name"] == "Martin"
    assert detail["arrears_amount"] == "0.00"


def test_other_organisation_objects_are_not_found(client, auth, other_landlord):
    household = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
    assert client.get(f"/api/households/{household.pk}", **auth).status_code == 404
    assert client.get("/api/households", **auth).json()["count"] == 0


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/sites", "/api/households/{household_id}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_docs_assets_are_served_locally(client):
    """The API docs page loads its scripts from this server, not from a CDN."""
    content = client.get("/api/docs").content.decode()
    assert "cdn.jsdelivr.net" not in content
