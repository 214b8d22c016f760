from django.db import models
from django.utils.translation import gettext_lazy as _


class Beneficiary(models.TextChoices):
    """Who may receive a scheme's aid (codes shared with proxima/funding/matching.py BENEFICIARIES)."""

    SOCIAL_LANDLORD = "social_landlord", _("organisme HLM")
    LANDLORD_GROUP = "landlord_group", _("groupement de bailleurs sociaux")
    ASSOCIATION = "association", _("association")
    COMMUNE = "commune", _("commune")
    EPCI = "epci", _("intercommunalité (EPCI)")
    DEPARTMENT = "department", _("département")
    PUBLIC_BODY = "public_body", _("établissement public")
    COMPANY = "company", _("entreprise")


class Stage(models.TextChoices):
    DESIGN = "design", _("conception")
    DELIVERY = "delivery", _("réalisation")
    OPERATION = "operation", _("fonctionnement")


class TerritoryLevel(models.TextChoices):
    NATIONAL = "national", _("national")
    REGION = "region", _("régions")
    DEPARTMENT = "department", _("départements")
    EPCI = "epci", _("intercommunalités (EPCI)")
    COMMUNE = "commune", _("communes")


class AidType(models.TextChoices):
    GRANT = "grant", _("subvention")
    LOAN = "loan", _("prêt")
    RECOVERABLE_ADVANCE = "recoverable_advance", _("avance remboursable")
    ENGINEERING = "engineering", _("ingénierie")


class ExpenseType(models.TextChoices):
    OPERATING = "operating", _("fonctionnement")
    INVESTMENT = "investment", _("investissement")


class Recurrence(models.TextChoices):
    ONE_OFF = "one_off", _("ponctuel")
    PERMANENT = "permanent", _("permanent")
    RECURRING = "recurring", _("récurrent")


class SchemeStatus(models.TextChoices):
    """Computed from the dates by proxima/funding/matching.py ``scheme_status``."""

    UPCOMING = "upcoming", _("à venir")
    OPEN = "open", _("ouvert")
    CLOSING = "closing", _("ferme dans moins de 30 jours")
    CLOSED = "closed", _("fermé")
    ARCHIVED = "archived", _("archivé")


class BudgetKind(models.TextChoices):
    STAFF = "staff", _("personnel")
    PREMISES = "premises", _("locaux")
    VEHICLE = "vehicle", _("véhicule")
    PURCHASES = "purchases", _("achats")
    PARTNER_FEES = "partner_fees", _("prestations de partenaires")
    OTHER = "other", _("autres frais")


class ApplicationStatus(models.TextChoices):
    PLANNED = "planned", _("prévu")
    REQUESTED = "requested", _("demandé")
    OBTAINED = "obtained", _("obtenu")
    REFUSED = "refused", _("refusé")
    PAID = "paid", _("versé")


# Allowed moves of an application: refused and paid are final.
TRANSITIONS = {
    ApplicationStatus.PLANNED: {ApplicationStatus.REQUESTED},
    ApplicationStatus.REQUESTED: {ApplicationStatus.OBTAINED, ApplicationStatus.REFUSED},
    ApplicationStatus.OBTAINED: {ApplicationStatus.PAID},
    ApplicationStatus.REFUSED: set(),
    ApplicationStatus.PAID: set(),
}


class AlertFrequency(models.TextChoices):
    DAILY = "daily", _("chaque jour")
    WEEKLY = "weekly", _("chaque semaine")


# The facts of a scheme that can be marked "not checked" (field names of Scheme).
CHECKABLE_FACTS = (
    "funders",
    "instructing_body",
    "beneficiaries",
    "themes",
    "stages",
    "territory",
    "aid_type",
    "expense_types",
    "rate_min",
    "rate_max",
    "cap_per_project",
    "org_cap_amount",
    "org_cap_months",
    "public_cofinancing_max_rate",
    "min_project_cost",
    "start_before_request_allowed",
    "max_duration_months",
    "joint_only",
    "opens_on",
    "closes_on",
    "committee_dates",
    "recurrence",
    "is_call_for_projects",
    "contact",
    "info_url",
    "application_url",
)
