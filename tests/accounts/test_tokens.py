import pytest
from django.urls import reverse

from proxima.accounts.models import ApiToken
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(client, landlord):
    user = UserFactory(organisation=landlord)
    client.force_login(user)
    client.post(reverse("accounts:api_token_create"), {"name": "Tableur"})
    page = client.get(reverse("accounts:profile")).content.decode()
    token = ApiToken.objects.get(user=user)
    key = page.split("<code>pxm_")[1].split("</code>")[0]
    assert token.key_hash == ApiToken.hash_key("pxm_" + key)
    assert "pxm_" + key not in client.get(reverse("accounts:profile")).content.decode()
    response = client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer pxm_{key}")
    assert response.status_code == 200


def test_revoked_token_no_longer_works(client, landlord):
    from proxima.accounts.services import create_api_token

    user = UserFactory(organisation=landlord)
    token, key = create_api_token(user=user, name="x")
    client.force_login(user)
    client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    client.logout()
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_token_of_a_deactivated_user_no_longer_works(client, landlord):
    from proxima.accounts.services import create_api_token

    user = UserFactory(organisation=landlord)
    _, key = create_api_token(user=user, name="x")
    user.is_active = False
    user.save()
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client, landlord):
    from proxima.accounts.services import create_api_token

    token, _ = create_api_token(user=UserFactory(organisation=landlord), name="x")
    client.force_login(UserFactory(organisation=landlord))
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
