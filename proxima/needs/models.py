"""Surveys, their versions and questions, households' responses, and outreach contacts.

A survey is answered through one frozen *version*: editing a survey that has responses makes
a new version, so every response can always be read against the exact questions it answered.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from proxima.needs.enums import Channel, Need, OutreachOutcome, QuestionKind, SurveyStatus, Theme

# Codes printed on letters are typed by residents: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_invitation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_public_token() -> str:
    return secrets.token_urlsafe(12)


class SurveyQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def open(self):
        return self.filter(status=SurveyStatus.OPEN)


class Survey(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("présentation aux habitants"), blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    sites = models.ManyToManyField(
        "territory.Site", blank=True, related_name="surveys", verbose_name=_("résidences ciblées")
    )
    communes = models.ManyToManyField(
        "territory.Commune", blank=True, related_name="+", verbose_name=_("communes ciblées")
    )
    opens_on = models.DateField(_("ouverture"), null=True, blank=True)
    closes_on = models.DateField(_("clôture"), null=True, blank=True)
    current_version = models.ForeignKey(
        "SurveyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("enquête")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="survey_closes_after_opening",
                condition=Q(opens_on__isnull=True)
                | Q(closes_on__isnull=True)
                | Q(closes_on__gte=models.F("opens_on")),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class SurveyVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    form_id = models.CharField(_("identifiant XLSForm"), max_length=100, help_text=_("settings.form_id"))
    source = models.CharField(_("origine"), max_length=20, help_text=_("« banque », « xlsform » ou « copie »."))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("version d'enquête")
        ordering = ["survey", "number"]
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="surveyversion_unique_number")]

    def __str__(self):
        return f"{self.survey} · v{self.number}"


class Section(models.Model):
    """A group of questions shown together (an XLSForm ``begin group``)."""

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    title = models.CharField(_("titre"), max_length=300)
    relevant = models.TextField(_("condition d'affichage"), blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="section_unique_name"),
            models.UniqueConstraint(fields=["version", "position"], name="section_unique_position"),
        ]

    def __str__(self):
        return self.title


class Question(models.Model):
    """A question of one survey version.

    ``relevant`` and ``constraint`` are XLSForm expressions (``${name} = 'value'``,
    ``selected(${name}, 'value')``, ``. >= 0``…), evaluated by :mod:`proxima.needs.expressions`.
    ``need`` is what the question measures; the choices with ``signals_need`` say which answers reveal it.
    """

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(help_text=_("Rang dans toute la version."))
    name = models.CharField(max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=QuestionKind.choices)
    label = models.TextField(_("libellé"))
    hint = models.TextField(_("aide"), blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    relevant = models.TextField(_("condition d'affichage"), blank=True)
    constraint = models.TextField(_("contrainte"), blank=True)
    constraint_message = models.CharField(
        _("message si la contrainte n'est pas respectée"), max_length=300, blank=True
    )
    theme = models.CharField(_("thème"), max_length=20, choices=Theme.choices, blank=True)
    need = models.CharField(_("besoin mesuré"), max_length=20, choices=Need.choices, blank=True)
    bank_code = models.CharField(_("code dans la banque de questions"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("question")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="question_unique_name"),
            models.UniqueConstraint(fields=["version", "position"], name="question_unique_position"),
        ]

    def __str__(self):
        return self.name


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=100)
    label = models.CharField(_("libellé"), max_length=300)
    signals_need = models.BooleanField(_("signale le besoin"), default=False)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="choice_unique_value"),
            models.UniqueConstraint(fields=["question", "position"], name="choice_unique_position"),
        ]

    def __str__(self):
        return self.label


class Invitation(models.Model):
    """A household's single-use code for one survey, printed on its letter and paper questionnaire."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="invitations")
    code = models.CharField(_("code"), max_length=CODE_LENGTH, unique=True, default=new_invitation_code)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        constraints = [
            models.UniqueConstraint(fields=["survey", "household"], name="invitation_one_per_household"),
        ]

    def __str__(self):
        return self.code


class ResponseQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(survey__organisation=organisation)


class Response(models.Model):
    """One household's answers to a survey, through one channel.

    ``client_id`` is generated where the answers are typed (the browser form, the offline
    tablet): submitting the same answers twice — a retry, a double tap, a sync that resumes —
    finds the existing response instead of creating a second one.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    household = models.ForeignKey(
        "households.Household", on_delete=models.CASCADE, null=True, blank=True, related_name="survey_responses"
    )
    site = models.ForeignKey(
        "territory.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("La résidence du ménage au moment de la réponse."),
    )
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    channel = models.CharField(_("canal"), max_length=15, choices=Channel.choices)
    client_id = models.UUIDField(unique=True, help_text=_("Identifiant créé par le formulaire ou la tablette."))
    collected_on = models.DateField(_("date de recueil"))
    submitted_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    needs = models.JSONField(
        default=list, help_text=_("Les besoins que les réponses signalent (codes), calculés à l'enregistrement.")
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("réponse")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "household"], condition=Q(household__isnull=False), name="response_one_per_household"
            ),
        ]

    def __str__(self):
        return f"{self.survey} · {self.get_channel_display()}"

    @property
    def audit_organisation_id(self):
        return Survey.objects.values_list("organisation_id", flat=True).get(pk=self.survey_id)


class Answer(models.Model):
    """The answer to one question, as XLSForm writes it: choice values separated by spaces, ISO dates."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_unique_question")]

    def __str__(self):
        return self.value


class OutreachSettings(models.Model):
    """A landlord's thresholds for the outreach rules."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="outreach_settings"
    )
    no_contact_months = models.PositiveSmallIntegerField(
        _("sans contact depuis (mois)"),
        default=12,
        help_text=_("Signaler un ménage sans contact enregistré depuis ce délai."),
    )
    far_km = models.DecimalField(
        _("loin des services au-delà de (km)"),
        max_digits=5,
        decimal_places=1,
        default=10,
        help_text=_("Distance à vol d'oiseau de la résidence à l'espace France services le plus proche."),
    )
    survey = models.ForeignKey(
        Survey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enquête de référence"),
        help_text=_("Ses réponses et ses non-répondants alimentent la liste."),
    )

    class Meta:
        verbose_name = _("réglages de l'aller vers")

    def __str__(self):
        return str(self.organisation)


class OutreachContact(models.Model):
    """The outcome of one outreach call or visit to a flagged household."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="outreach_contacts")
    reasons = models.JSONField(
        _("motifs"),
        default=list,
        blank=True,  # a contact with a household no rule flags (anymore) is recorded too
        help_text=_("Les motifs affichés au moment du contact."),
    )
    outcome = models.CharField(_("résultat"), max_length=15, choices=OutreachOutcome.choices)
    contacted_at = models.DateTimeField(_("date du contact"))
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interaction = models.OneToOneField(
        "households.Interaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="outreach_contact"
    )

    class Meta:
        verbose_name = _("contact d'aller vers")
        ordering = ["-contacted_at", "-id"]

    def __str__(self):
        return f"{self.get_outcome_display()} · {self.contacted_at:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id
