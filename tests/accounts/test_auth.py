import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def login(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_passwords_are_hashed_with_argon2(settings):
    """Argon2 is the first hasher: new passwords are stored with it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory()
    assert user.password.startswith("argon2$")
    assert authenticate(RequestFactory().post("/"), username=user.email, password=PASSWORD) == user


class TestLogin:
    def test_landlord_staff_land_on_the_dashboard(self, client, landlord):
        user = UserFactory(organisation=landlord)
        response = login(client, user.email)
        assert response.status_code == 302
        assert client.get(response.url).url == reverse("territory:dashboard")

    def test_wrong_password_is_refused_in_french(self, client, landlord):
        user = UserFactory(organisation=landlord)
        response = login(client, user.email, "mauvais mot de passe")
        assert response.status_code == 200
        assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()

    def test_inactive_user_cannot_log_in(self, client, landlord):
        user = UserFactory(organisation=landlord, is_active=False)
        assert login(client, user.email).status_code == 200
        assert "_auth_user_id" not in client.session

    def test_five_failures_lock_the_account_for_this_address(self, client, landlord):
        """Login throttling: after five failures even the right password is refused for a while."""
        user = UserFactory(organisation=landlord)
        for _ in range(5):
            login(client, user.email, "essai")
        response = login(client, user.email)
        assert response.status_code == 429
        assert "Connexion temporairement bloquée" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_logout(self, client, landlord):
        client.force_login(UserFactory(organisation=landlord))
        response = client.post(reverse("accounts:logout"))
        assert response.url == reverse("accounts:login")
        assert "_auth_user_id" not in client.session


class TestPasswords:
    def test_reset_by_email(self, client, landlord):
        """The reset e-mail's link lets the user choose a new password, then log in with it."""
        user = UserFactory(organisation=landlord)
        client.post(reverse("accounts:password_reset"), {"email": user.email})
        assert len(mail.outbox) == 1
        link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
        form_url = client.get(link).url  # Django swaps the token for a session key
        response = client.post(
            form_url,
            {"new_password1": "Un nouveau mot de passe 2026", "new_password2": "Un nouveau mot de passe 2026"},
        )
        assert response.url == reverse("accounts:password_reset_complete")
        user.refresh_from_db()
        assert user.check_password("Un nouveau mot de passe 2026")

    def test_reset_for_unknown_email_sends_nothing_and_says_the_same(self, client):
        response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@example.org"})
        assert response.url == reverse("accounts:password_reset_done")
        assert mail.outbox == []

    def test_change_requires_the_old_password(self, client, landlord):
        user = UserFactory(organisation=landlord)
        client.force_login(user)
        response = client.post(
            reverse("accounts:password_change"),
            {
                "old_password": "faux",
                "new_password1": "Encore un autre secret 42",
                "new_password2": "Encore un autre secret 42",
            },
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_too_short_password_is_refused(self, client, landlord):
        user = UserFactory(organisation=landlord)
        client.force_login(user)
        response = client.post(
            reverse("accounts:password_change"),
            {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"},
        )
        assert "Il doit contenir au minimum 12 caractères." in response.content.decode()


class TestUsers:
    def test_admin_creates_a_user_who_is_invited_by_email(self, client, landlord):
        client.force_login(UserFactory(organisation=landlord, role=Role.ADMIN))
        response = client.post(
            reverse("accounts:user_create"),
            {"email": "Nouvelle@Example.org", "first_name": "Nina", "last_name": "Nouvelle", "role": Role.FIELD_AGENT},
        )
        assert response.url == reverse("accounts:user_list")
        user = landlord.users.get(email="nouvelle@example.org")
        assert user.role == Role.FIELD_AGENT
        assert not user.has_usable_password()
        assert "votre compte a été créé" in mail.outbox[0].subject

    def test_partner_role_cannot_be_given_in_a_landlord(self, client, landlord):
        client.force_login(UserFactory(organisation=landlord, role=Role.ADMIN))
        response = client.post(reverse("accounts:user_create"), {"email": "p@example.org", "role": Role.PARTNER})
        assert response.status_code == 200
        assert not landlord.users.filter(email="p@example.org").exists()

    def test_admin_cannot_demote_themselves(self, client, landlord):
        admin = UserFactory(organisation=landlord, role=Role.ADMIN)
        client.force_login(admin)
        client.post(
            reverse("accounts:user_update", args=[admin.pk]),
            {"email": admin.email, "role": Role.STAFF, "is_active": "on"},
        )
        admin.refresh_from_db()
        assert admin.role == Role.ADMIN

    def test_admin_deactivates_a_user(self, client, landlord):
        client.force_login(UserFactory(organisation=landlord, role=Role.ADMIN))
        staff = UserFactory(organisation=landlord, role=Role.STAFF)
        client.post(reverse("accounts:user_update", args=[staff.pk]), {"email": staff.email, "role": Role.STAFF})
        staff.refresh_from_db()
        assert not staff.is_active

    def test_no_superuser(self):
        from proxima.accounts.models import User

        with pytest.raises(ValueError, match="no superuser"):
            User.objects.create_superuser("root@example.org", "x")
