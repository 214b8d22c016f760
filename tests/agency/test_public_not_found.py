"""A stop, commune or visit no longer on the schedule: a 404 page for residents, not the staff's one."""

import pytest
from django.urls import reverse

from tests.agency.factories_public import agency_settings, published_visit

pytestmark = pytest.mark.django_db

RESIDENT_TEXT = "n'est plus au programme du bus"
STAFF_TEXT = "données d'une autre organisation"


@pytest.fixture
def visit(landlord):
    agency_settings(landlord)
    return published_visit(landlord, days=7)


def unpublish(visit):
    """The plan changes: the one that had this stop is no longer published."""
    plan = visit.day.plan
    plan.published_at = None
    plan.save()


def assert_resident_404(response, organisation):
    assert response.status_code == 404
    content = response.content.decode()
    assert RESIDENT_TEXT in content
    assert "change de temps en temps" in content
    assert f'href="{reverse("agency_public:index", args=[organisation.slug])}"' in content
    assert "02 54 00 00 00" in content
    assert '<meta name="robots" content="noindex">' in content
    assert STAFF_TEXT not in content
    assert f'href="{reverse("core:home")}"' not in content


class TestStop:
    def test_removed_stop(self, client, landlord, visit):
        """The stop's page, once its plan is unpublished: the resident 404 with the schedule's link and the phone."""
        page = reverse("agency_public:stop", args=[landlord.slug, visit.stop.pk])
        assert client.get(page).status_code == 200
        unpublish(visit)
        assert_resident_404(client.get(page), landlord)

    def test_deactivated_stop(self, client, landlord, visit):
        visit.stop.is_active = False
        visit.stop.save()
        assert_resident_404(client.get(reverse("agency_public:stop", args=[landlord.slug, visit.stop.pk])), landlord)

    def test_unknown_stop(self, client, landlord, visit):
        assert_resident_404(client.get(reverse("agency_public:stop", args=[landlord.slug, 999999])), landlord)

    def test_without_phone(self, client, landlord):
        """No phone set: the page still leads to the schedule, with no empty phone line."""
        visit = published_visit(landlord, days=7)
        unpublish(visit)
        response = client.get(reverse("agency_public:stop", args=[landlord.slug, visit.stop.pk]))
        assert response.status_code == 404
        content = response.content.decode()
        assert RESIDENT_TEXT in content
        assert "Téléphone" not in content and "tel:" not in content

    def test_poster_of_a_removed_stop(self, client, landlord, visit):
        """The poster's address is on printed pages too: the same resident 404."""
        unpublish(visit)
        assert_resident_404(client.get(reverse("agency_public:poster", args=[landlord.slug, visit.stop.pk])), landlord)

    def test_calendar_of_a_removed_stop_stays_a_plain_404(self, client, landlord, visit):
        """A calendar application reads no HTML."""
        unpublish(visit)
        response = client.get(reverse("agency_public:stop_calendar", args=[landlord.slug, visit.stop.pk]))
        assert response.status_code == 404
        assert RESIDENT_TEXT not in response.content.decode()


class TestCommune:
    @pytest.mark.parametrize("code", ["75056", "99999"])
    def test_commune_no_longer_served(self, client, landlord, visit, code):
        """Paris (no stop) and a code that is no commune."""
        assert_resident_404(client.get(reverse("agency_public:commune", args=[landlord.slug, code])), landlord)


class TestBooking:
    def test_past_visit(self, client, landlord, visit):
        """Last week's visit: the booking page is the resident 404."""
        past = published_visit(landlord, days=-7, stop=visit.stop)
        assert_resident_404(client.get(reverse("agency_public:book", args=[landlord.slug, past.pk])), landlord)

    def test_removed_visit(self, client, landlord, visit):
        """A visit of a plan no longer published, whether the form is shown or sent."""
        unpublish(visit)
        page = reverse("agency_public:book", args=[landlord.slug, visit.pk])
        assert_resident_404(client.get(page), landlord)
        assert_resident_404(client.post(page, {"slot": "09:50", "name": "Mme Martin"}), landlord)

    def test_unknown_visit(self, client, landlord, visit):
        assert_resident_404(client.get(reverse("agency_public:book", args=[landlord.slug, 999999])), landlord)


class TestUnknownOrganisation:
    @pytest.mark.parametrize(
        ("name", "args"),
        [("index", []), ("stop", [1]), ("commune", ["36044"]), ("poster", [1]), ("book", [1])],
    )
    def test_plain_404(self, client, landlord, visit, name, args):
        """An unknown slug tells nothing: no resident page, no organisation's name or phone."""
        response = client.get(reverse(f"agency_public:{name}", args=["inconnu", *args]))
        assert response.status_code == 404
        content = response.content.decode()
        assert RESIDENT_TEXT not in content
        assert landlord.name not in content
        assert "02 54 00 00 00" not in content

    def test_another_landlords_stop(self, client, landlord, other_landlord, visit):
        """Our stop under another landlord's slug: that landlord's resident page, nothing of ours."""
        agency_settings(other_landlord)
        response = client.get(reverse("agency_public:stop", args=[other_landlord.slug, visit.stop.pk]))
        assert_resident_404(response, other_landlord)
        assert visit.stop.name not in response.content.decode()
        assert landlord.name not in response.content.decode()
