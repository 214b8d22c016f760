from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneABC(models.TextChoices):
    """Zonage ABC (arrêté du 5 septembre 2025). B2 and C are the low-demand zones."""

    ABIS = "Abis", "A bis"
    A = "A", "A"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C = "C", "C"


LOW_DEMAND_ZONES = {ZoneABC.B2, ZoneABC.C}


class LocationPrecision(models.TextChoices):
    ADDRESS = "address", _("adresse")
    COMMUNE = "commune", _("centre de la commune")


class DwellingKind(models.TextChoices):
    T1 = "T1", "T1"
    T2 = "T2", "T2"
    T3 = "T3", "T3"
    T4 = "T4", "T4"
    T5 = "T5", "T5"
    T6 = "T6", _("T6 et plus")


class Financing(models.TextChoices):
    """Loan that financed the dwelling, which sets its rent and income ceilings."""

    PLAI = "PLAI", _("PLAI (prêt locatif aidé d'intégration)")
    PLUS = "PLUS", _("PLUS (prêt locatif à usage social)")
    PLS = "PLS", _("PLS (prêt locatif social)")
    PLI = "PLI", _("PLI (prêt locatif intermédiaire)")


class DwellingStatus(models.TextChoices):
    OCCUPIED = "occupied", _("occupé")
    VACANT = "vacant", _("vacant")
    UNAVAILABLE = "unavailable", _("indisponible")
