from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from proxima.accounts.models import ApiToken, Organisation, User


@transaction.atomic
def create_organisation(*, slug: str, name: str, kind: str, partner_type: str = "", is_demo: bool = False):
    organisation = Organisation(slug=slug, name=name, kind=kind, partner_type=partner_type, is_demo=is_demo)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def create_user(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account. Without a password the user sets one through the reset link."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        organisation=organisation,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Return the token and its secret key, which is shown once and never stored."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[4:12], key_hash=ApiToken.hash_key(key))
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def send_invitation(*, user: User, request) -> None:
    """E-mail a new user the link to choose their password (the password-reset link, valid 3 days)."""
    context = {
        "email": user.email,
        "protocol": "https" if request.is_secure() else "http",
        "domain": request.get_host(),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = render_to_string("accounts/emails/invitation_subject.txt", context).strip()
    send_mail(subject, render_to_string("accounts/emails/invitation.txt", context), None, [user.email])
