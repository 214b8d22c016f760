from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerKind(models.TextChoices):
    ASSOCIATION = "association", _("association")
    COMPANY = "company", _("entreprise")
    PUBLIC_BODY = "public_body", _("organisme public (CAF, CPAM, Département…)")
    COMMUNE = "commune", _("commune, CCAS ou CIAS")
    FRANCE_SERVICES = "france_services", _("espace France services")
    OTHER = "other", _("autre")


class Renewal(models.TextChoices):
    """How an agreement goes on after its end date."""

    TACIT = "tacit", _("reconduction tacite")
    EXPLICIT = "explicit", _("renouvellement exprès (avenant ou nouvelle convention)")
    NONE = "none", _("pas de renouvellement")


class AmountPeriod(models.TextChoices):
    ONCE = "once", _("pour toute la durée")
    YEAR = "year", _("par an")
    MONTH = "month", _("par mois")


class OperatingMode(models.TextChoices):
    """The landlord's part in a service (the sector's typology of landlord services)."""

    FACILITATOR = "facilitator", _("facilitateur : informe et met en relation")
    COORDINATOR = "coordinator", _("coordinateur : organise et achète pour les habitants")
    OPERATOR = "operator", _("opérateur : rend le service lui-même")


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    ACTIVE = "active", _("ouvert")
    SUSPENDED = "suspended", _("suspendu")
    ENDED = "ended", _("terminé")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class ReferralStatus(models.TextChoices):
    """Where a referral stands: sent, then answered by the partner, then closed (see ``proxima.offer.referrals``)."""

    SENT = "sent", _("envoyée, en attente")
    ACCEPTED = "accepted", _("acceptée")
    REFUSED = "refused", _("refusée")
    DONE = "done", _("réalisée")
    ABANDONED = "abandoned", _("abandonnée")
    EXPIRED = "expired", _("expirée sans réponse")


class RefusalReason(models.TextChoices):
    """Why a partner turns a referral down: said to the landlord, who looks for another way."""

    NOT_ELIGIBLE = "not_eligible", _("ne remplit pas les conditions du service")
    NO_CAPACITY = "no_capacity", _("plus de place pour le moment")
    OUT_OF_AREA = "out_of_area", _("hors du secteur du partenaire")
    UNREACHABLE = "unreachable", _("personne injoignable")
    DECLINED = "declined", _("la personne ne souhaite plus ce service")
    OTHER = "other", _("autre raison (à préciser)")
