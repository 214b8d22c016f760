from django.db import models
from django.utils.translation import gettext_lazy as _


class StopKind(models.TextChoices):
    SITE = "site", _("résidence")
    PLACE = "place", _("lieu public (place, marché, mairie)")
    FRANCE_SERVICES = "france_services", _("France services")


class Forcing(models.TextChoices):
    """Whether the planner decides, or staff have decided, that a stop is served."""

    AUTO = "auto", _("le planificateur décide")
    FORCED_IN = "in", _("toujours desservi")
    FORCED_OUT = "out", _("jamais desservi")


class PlanKind(models.TextChoices):
    PLANNED = "planned", _("calculé par le planificateur")
    MANUAL = "manual", _("tournée actuelle saisie à la main")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    QUEUED = "queued", _("en attente de calcul")
    RUNNING = "running", _("calcul en cours")
    READY = "ready", _("prêt")
    FAILED = "failed", _("échec du calcul")


class LeftOutReason(models.TextChoices):
    """Why a candidate stop is not in the plan (codes of agency.planning and agency.horizon)."""

    TOO_FAR = "too_far", _("trop loin du dépôt pour une journée")
    WINDOW_IMPOSSIBLE = "window_impossible", _("horaires impossibles à tenir")
    LOWER_VALUE = "lower_value", _("moins de ménages à atteindre que les arrêts retenus")
    FREQUENCY = "frequency", _("fréquence de passage")
    FORCED_OUT = "forced_out", _("écarté par l'équipe")
    FORCED_UNPLACED = "forced_unplaced", _("imposé, mais les journées ne peuvent pas tous les contenir")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("réservé")
    CANCELLED = "cancelled", _("annulé")


class VisitTopic(models.TextChoices):
    TECHNICAL = "technical", _("technique (logement, travaux)")
    ADMINISTRATIVE = "administrative", _("administratif (bail, loyer, démarches)")
    RIGHTS = "rights", _("accès aux droits")
    ACTIVITY = "activity", _("activité, animation")


class FollowUp(models.TextChoices):
    NONE = "none", _("aucune suite")
    REQUEST = "request", _("demande enregistrée")
    REFERRAL = "referral", _("orientation vers un partenaire")
