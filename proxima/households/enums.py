from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("téléphone")
    LETTER = "letter", _("courrier")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    IN_PERSON = "in_person", _("en personne")


class PersonRole(models.TextChoices):
    REFERENCE = "reference", _("titulaire du bail")
    CO_HOLDER = "co_holder", _("cotitulaire")
    SPOUSE = "spouse", _("conjoint")
    CHILD = "child", _("enfant")
    OTHER = "other", _("autre occupant")


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("transmission de ses coordonnées à un partenaire")
    OUTREACH = "outreach", _("appels et visites de convivialité")
    SURVEY = "survey", _("recontact après une enquête")
    SMS = "sms", _("messages par SMS")


class ConsentChannel(models.TextChoices):
    PHONE = "phone", _("téléphone")
    PAPER = "paper", _("papier signé")
    IN_PERSON = "in_person", _("en personne")
    WEB = "web", _("en ligne")


class InteractionChannel(models.TextChoices):
    """How a contact with a household happened, whatever the app that records it."""

    PHONE = "phone", _("téléphone")
    HOME_VISIT = "home_visit", _("visite à domicile")
    MOBILE_AGENCY = "mobile_agency", _("agence mobile")
    CONCIERGE = "concierge", _("conciergerie")
    OFFICE = "office", _("accueil ou permanence")
    LETTER = "letter", _("courrier")
    WEB = "web", _("en ligne")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
