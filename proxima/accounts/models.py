import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import ROLES_BY_KIND, AuditAction, OrganisationKind, PartnerType, Role


class OrganisationQuerySet(models.QuerySet):
    def landlords(self):
        return self.filter(kind=OrganisationKind.LANDLORD)


class Organisation(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=OrganisationKind.choices)
    partner_type = models.CharField(_("type de partenaire"), max_length=20, choices=PartnerType.choices, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    is_demo = models.BooleanField(
        _("données de démonstration"),
        default=False,
        help_text=_("Les pages de cette organisation signalent que ses données sont synthétiques."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_partner_type_iff_partner",
                condition=(Q(kind=OrganisationKind.PARTNER) & ~Q(partner_type=""))
                | (~Q(kind=OrganisationKind.PARTNER) & Q(partner_type="")),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == OrganisationKind.PARTNER and not self.partner_type:
            raise ValidationError({"partner_type": _("Précisez le type de partenaire.")})
        if self.kind != OrganisationKind.PARTNER and self.partner_type:
            raise ValidationError({"partner_type": _("Seul un partenaire a un type de partenaire.")})

    @property
    def audit_organisation_id(self):
        return self.pk


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_queryset(self):
        # Every page needs the user's organisation (permissions, menu): load it with the user.
        return super().get_queryset().select_related("organisation")

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("Expected an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        raise ValueError(
            "Proxima has no superuser: create an organisation admin with `proxima create_user --role admin`."
        )


class User(AbstractUser):
    """A person who logs in. Belongs to exactly one organisation, with one role in it."""

    username = None
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    email = models.EmailField(_("adresse e-mail"), unique=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        if self.organisation_id and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError({"role": _("Ce rôle n'existe pas pour une organisation de ce type.")})

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at=None)


class ApiToken(models.Model):
    """A bearer token for machine clients. Only a hash is stored: the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'API")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # Tokens are 256-bit random values: a plain SHA-256 is enough, no slow hash needed.
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "pxm_" + secrets.token_urlsafe(32)

    @property
    def audit_organisation_id(self):
        return self.user.organisation_id


class AuditEventQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class AuditEvent(models.Model):
    """Who did or read what, when, from where. Append-only: nothing updates or deletes a row."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit_events", null=True)
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("auteur"), on_delete=models.SET_NULL, null=True, related_name="+")
    # Kept as text so the trail still names the person after their account is deleted.
    actor_label = models.CharField(_("auteur"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    target_type = models.CharField(_("type d'objet"), max_length=50)
    target_id = models.CharField(_("identifiant"), max_length=50, blank=True)
    target_repr = models.CharField(_("objet"), max_length=200, blank=True)
    source = models.CharField(_("origine"), max_length=255, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement du journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-at"], name="auditevent_org_at"),
            models.Index(fields=["target_type", "target_id"], name="auditevent_target"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type} {self.target_id}"
