from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    OPEN = "open", _("ouverte")
    CLOSED = "closed", _("close")


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("choix unique")
    MULTIPLE_CHOICE = "multiple_choice", _("choix multiple")
    SCALE = "scale", _("échelle")
    NUMBER = "number", _("nombre")
    DATE = "date", _("date")
    TEXT = "text", _("texte libre")
    YES_NO = "yes_no", _("oui / non")


# Kinds whose answers are values of the question's choices (and so can signal a need).
CHOICE_KINDS = {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.SCALE, QuestionKind.YES_NO}


class Theme(models.TextChoices):
    """The priority themes of the sector's recommendations on services in low-demand territories."""

    ISOLATION = "isolation", _("isolement des personnes âgées")
    PURCHASING_POWER = "purchasing_power", _("pouvoir d'achat")
    MOBILITY = "mobility", _("mobilité du quotidien")
    DIGITAL = "digital", _("numérique")
    HEALTH = "health", _("accès aux soins")
    PAPERWORK = "paperwork", _("démarches administratives")
    SOCIAL_TIES = "social_ties", _("lien social et activités")
    SATISFACTION = "satisfaction", _("satisfaction des services")


class Need(models.TextChoices):
    """What an answer can reveal. A question measures at most one need; its choices say which answers signal it."""

    ISOLATION = "isolation", _("isolement")
    HOME_HELP = "home_help", _("aide au quotidien à domicile")
    CHARGES_BURDEN = "charges_burden", _("difficulté à payer loyer et charges")
    ENERGY_POVERTY = "energy_poverty", _("précarité énergétique")
    BENEFITS_ACCESS = "benefits_access", _("droits et aides à vérifier")
    BUDGET_HELP = "budget_help", _("accompagnement budgétaire")
    MOBILITY = "mobility", _("difficulté à se déplacer")
    DIGITAL_HELP = "digital_help", _("accompagnement au numérique")
    DIGITAL_ACCESS = "digital_access", _("accès à Internet ou à un équipement")
    HEALTH_ACCESS = "health_access", _("accès aux soins")
    PAPERWORK_HELP = "paperwork_help", _("aide aux démarches")
    SOCIAL_ACTIVITIES = "social_activities", _("activités et lien social")
    SERVICE_QUALITY = "service_quality", _("insatisfaction des services")


NEED_THEME = {
    Need.ISOLATION: Theme.ISOLATION,
    Need.HOME_HELP: Theme.ISOLATION,
    Need.CHARGES_BURDEN: Theme.PURCHASING_POWER,
    Need.ENERGY_POVERTY: Theme.PURCHASING_POWER,
    Need.BENEFITS_ACCESS: Theme.PURCHASING_POWER,
    Need.BUDGET_HELP: Theme.PURCHASING_POWER,
    Need.MOBILITY: Theme.MOBILITY,
    Need.DIGITAL_HELP: Theme.DIGITAL,
    Need.DIGITAL_ACCESS: Theme.DIGITAL,
    Need.HEALTH_ACCESS: Theme.HEALTH,
    Need.PAPERWORK_HELP: Theme.PAPERWORK,
    Need.SOCIAL_ACTIVITIES: Theme.SOCIAL_TIES,
    Need.SERVICE_QUALITY: Theme.SATISFACTION,
}


class Channel(models.TextChoices):
    """How an answer reached Proxima. Every response records one."""

    WEB = "web", _("en ligne (le ménage lui-même)")
    PHONE = "phone", _("par téléphone, saisi par l'équipe")
    HOME_VISIT = "home_visit", _("visite à domicile, saisi par l'équipe")
    MOBILE_AGENCY = "mobile_agency", _("à l'agence mobile")
    CONCIERGE = "concierge", _("à la conciergerie")
    PAPER = "paper", _("questionnaire papier")
    OFFLINE = "offline", _("tablette hors connexion")


# The channels where a member of staff enters the answers for the household.
ASSISTED_CHANNELS = [Channel.PHONE, Channel.HOME_VISIT, Channel.MOBILE_AGENCY, Channel.CONCIERGE]


class OutreachReason(models.TextChoices):
    """Why a household is on the outreach list ("aller vers"). Each flag is shown with its reason."""

    ELDERLY_ALONE = "elderly_alone", _("75 ans ou plus, vit seul")
    NO_RECENT_CONTACT = "no_recent_contact", _("aucun contact enregistré depuis longtemps")
    YOUNG_IN_ARREARS = "young_in_arrears", _("moins de 30 ans, en impayé")
    NO_CAR_FAR = "no_car_far", _("sans voiture et loin des services")
    SURVEY_ISOLATION = "survey_isolation", _("l'enquête signale un isolement")
    SURVEY_HARDSHIP = "survey_hardship", _("l'enquête signale des difficultés")
    NON_RESPONDENT = "non_respondent", _("n'a pas répondu à l'enquête")


class OutreachOutcome(models.TextChoices):
    REACHED = "reached", _("joint")
    NOT_REACHED = "not_reached", _("non joint")
    NEED_FOUND = "need_found", _("besoin repéré")
    REFERRED = "referred", _("orienté")
