from django.db import models
from django.utils.translation import gettext_lazy as _

from proxima.outreach import schedule


class ContactKind(models.TextChoices):
    CALL = schedule.CALL, _("appel")
    VISIT = schedule.VISIT, _("visite à domicile")


class ContactOutcome(models.TextChoices):
    """What came of a call or visit. Success means the person, or someone close, was reached:
    we know how they are (see ``schedule.SUCCESS_OUTCOMES``)."""

    REACHED = "reached", _("joint, échange réalisé")
    REFUSED = "refused", _("joint, n'a pas souhaité échanger")
    HOSPITALISED = "hospitalised", _("hospitalisé, nouvelles par un proche")
    MOVED = "moved", _("a déménagé ou est entré en établissement")
    NO_ANSWER = "no_answer", _("pas de réponse")
    ABSENT = "absent", _("absent à la visite")
    WRONG_NUMBER = "wrong_number", _("numéro erroné ou hors service")


class EnrolmentSource(models.TextChoices):
    OUTREACH_LIST = "outreach_list", _("liste d'aller vers")
    STAFF = "staff", _("inscription par l'équipe")


class EndReason(models.TextChoices):
    DECLINED = "declined", _("ne souhaite plus être suivi")
    MOVED = "moved", _("a déménagé")
    CARE_HOME = "care_home", _("entré en établissement")
    DECEASED = "deceased", _("décédé")
    NOT_ISOLATED = "not_isolated", _("n'est plus isolé")
    OTHER = "other", _("autre raison")


class AlertLevel(models.TextChoices):
    REFERENT = schedule.REFERENT, _("référent du programme")
    PARTNER = schedule.PARTNER, _("partenaire")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("ouverte")
    ACKNOWLEDGED = "acknowledged", _("prise en charge")
    RESOLVED = "resolved", _("résolue")


class ConsentState(models.TextChoices):
    """Where the household stands on courtesy calls and visits (``households.Consent``, purpose outreach)."""

    GIVEN = "given", _("accord donné")
    PENDING = "pending", _("accord à recueillir")
    WITHDRAWN = "withdrawn", _("accord retiré")
