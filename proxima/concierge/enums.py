from django.db import models
from django.utils.translation import gettext_lazy as _

from proxima.concierge import rules
from proxima.households.enums import InteractionChannel


class RequestKind(models.TextChoices):
    """What an inhabitant asks the solidarity concierge for."""

    BREAD = "bread", _("dépôt de pain")
    PARCEL = "parcel", _("point relais colis")
    LOAN = "loan", _("prêt d'outil ou d'appareil")
    TOY_LIBRARY = "toy_library", _("ludothèque")
    TUTORING = "tutoring", _("soutien scolaire")
    TRAINING = "training", _("formation")
    PAPERWORK = "paperwork", _("aide aux démarches")
    SMALL_REPAIR = "small_repair", _("petite réparation")


class RequestStatus(models.TextChoices):
    NEW = rules.NEW, _("nouvelle")
    IN_PROGRESS = rules.IN_PROGRESS, _("en cours")
    ON_HOLD = rules.ON_HOLD, _("en attente")
    DONE = rules.DONE, _("traitée")
    CANCELLED = rules.CANCELLED, _("annulée")


class RequestAction(models.TextChoices):
    """The transitions of a request (``rules.TRANSITIONS``), and the two events that change no status."""

    CREATE = "create", _("demande reçue")
    START = "start", _("prise en charge")
    HOLD = "hold", _("mise en attente")
    RESUME = "resume", _("reprise")
    COMPLETE = "complete", _("traitée")
    CANCEL = "cancel", _("annulée")
    REOPEN = "reopen", _("rouverte")
    ASSIGN = "assign", _("attribution")


class ReceivedVia(models.TextChoices):
    """How the request reached the concierge."""

    IN_PERSON = "in_person", _("à l'accueil")
    PHONE = "phone", _("par téléphone")
    ONLINE = "online", _("en ligne")


# The channel of the interaction history each way of asking stands for.
INTERACTION_CHANNEL = {
    ReceivedVia.IN_PERSON: InteractionChannel.CONCIERGE,
    ReceivedVia.PHONE: InteractionChannel.PHONE,
    ReceivedVia.ONLINE: InteractionChannel.WEB,
}


class ItemKind(models.TextChoices):
    TOOL = "tool", _("outil")
    APPLIANCE = "appliance", _("appareil")
    TOY = "toy", _("jeu ou jouet")


class PlaceKind(models.TextChoices):
    """Where office hours are held."""

    CONCIERGE = "concierge", _("conciergerie")
    OFFICE = "office", _("agence ou bureau")
    MOBILE_AGENCY = "mobile_agency", _("arrêt de l'agence mobile")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("réservé")
    CANCELLED = "cancelled", _("annulé")


class ActivityKind(models.TextChoices):
    CULTURAL = "cultural", _("sortie ou activité culturelle")
    SPORT = "sport", _("activité sportive")
    WORKSHOP = "workshop", _("atelier")
    GATHERING = "gathering", _("moment convivial")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("inscrit")
    WAITING = "waiting", _("liste d'attente")
    CANCELLED = "cancelled", _("désinscrit")
