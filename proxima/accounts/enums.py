from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    LANDLORD = "landlord", _("Bailleur social")
    PARTNER = "partner", _("Partenaire")
    FEDERATION = "federation", _("Fédération de bailleurs")


class PartnerType(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    COMPANY = "company", _("Entreprise")
    PUBLIC_BODY = "public_body", _("Organisme public")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    STAFF = "staff", _("Équipe de proximité")
    FIELD_AGENT = "field_agent", _("Agent de terrain")
    PARTNER = "partner", _("Partenaire")
    READ_ONLY = "read_only", _("Lecture seule")


# Which roles each kind of organisation can give. A partner's users act on referrals
# addressed to them; a federation sees anonymised comparisons only.
ROLES_BY_KIND = {
    OrganisationKind.LANDLORD: {Role.ADMIN, Role.STAFF, Role.FIELD_AGENT, Role.READ_ONLY},
    OrganisationKind.PARTNER: {Role.ADMIN, Role.PARTNER},
    OrganisationKind.FEDERATION: {Role.ADMIN, Role.READ_ONLY},
}


class AuditAction(models.TextChoices):
    CREATE = "create", _("Création")
    UPDATE = "update", _("Modification")
    DELETE = "delete", _("Suppression")
    READ = "read", _("Consultation")
    LIST = "list", _("Consultation de liste")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    LOGIN = "login", _("Connexion")
