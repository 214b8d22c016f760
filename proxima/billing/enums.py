from django.db import models
from django.utils.translation import gettext_lazy as _

from proxima.billing.amounts import Basis
from proxima.billing.rules import Mode


class BillingMode(models.TextChoices):
    """How the resident pays for a service; the codes are those of ``billing.rules.Mode``.

    The one vocabulary of billing modes: the catalogue's services (``offer.Service.billing_mode``) and the
    billed services (``BilledService.mode``) both use it.
    """

    FREE = Mode.FREE.value, _("gratuit")
    RECOVERABLE_CHARGE = Mode.RECOVERABLE_CHARGE.value, _("charge récupérable")
    COLLECTIVE_AGREEMENT = Mode.COLLECTIVE_AGREEMENT.value, _("accord collectif")
    SUBSCRIPTION = Mode.SUBSCRIPTION.value, _("abonnement individuel facultatif")
    PAID_TO_PARTNER = Mode.PAID_TO_PARTNER.value, _("payé directement au partenaire")


class CostType(models.TextChoices):
    """What the service's cost is, whatever its billing mode (for reports to the board)."""

    OPERATION = "operation", _("fonctionnement (prestation, contrat)")
    STAFF = "staff", _("personnel")
    ENERGY = "energy", _("énergie et fluides")
    TAX = "tax", _("taxe ou redevance")
    EQUIPMENT = "equipment", _("équipement")


class ChargeBasis(models.TextChoices):
    PER_HOUSEHOLD = Basis.PER_HOUSEHOLD.value, _("par ménage et par mois")
    PER_DWELLING = Basis.PER_DWELLING.value, _("par logement et par mois")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("calcul en cours")
    DONE = "done", _("calculée")
    FAILED = "failed", _("échec")
    CLOSED = "closed", _("clôturée")
