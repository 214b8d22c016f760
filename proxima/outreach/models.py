"""The elderly outreach programme: programmes, enrolments, contact plans, recorded contacts and alerts.

A *programme* (for example "Lutte contre l'isolement des aînés") belongs to a landlord. Isolated
elderly residents are *enrolled* in it, from the outreach list of the needs app or one by one. Each
enrolment has *contact plans* (a call every week, a visit every month), each assigned to a member of
staff or to a volunteer of the programme's partner organisation. Every call or visit is recorded as a
*contact* with its outcome, and written to the household's interaction history. When contacts keep
failing, the rule of :mod:`proxima.outreach.schedule` raises *alerts*: to the programme's staff
referent, then to the partner.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import OrganisationKind, Role
from proxima.households.enums import ConsentPurpose
from proxima.households.models import Consent, Household
from proxima.outreach import schedule
from proxima.outreach.enums import (
    AlertLevel,
    AlertStatus,
    ContactKind,
    ContactOutcome,
    EndReason,
    EnrolmentSource,
)

# Staff roles that may be a programme's referent (they handle its alerts).
REFERENT_ROLES = {Role.ADMIN, Role.STAFF}
# Landlord roles that may be given a contact plan.
STAFF_ASSIGNEE_ROLES = {Role.ADMIN, Role.STAFF, Role.FIELD_AGENT}


class ProgrammeQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(is_active=True)


class Programme(models.Model):
    """A landlord's outreach programme for isolated elderly residents, with its default plan and escalation rule."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="outreach_programmes"
    )
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    call_every_days = models.PositiveSmallIntegerField(
        _("appel tous les (jours)"),
        null=True,
        blank=True,
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Plan proposé à chaque inscription ; vide : pas d'appel par défaut."),
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("visite tous les (jours)"),
        null=True,
        blank=True,
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text=_("Plan proposé à chaque inscription ; vide : pas de visite par défaut."),
    )
    retry_days = models.PositiveSmallIntegerField(
        _("nouvel essai après un contact manqué (jours)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    referent_after_failures = models.PositiveSmallIntegerField(
        _("alerter le référent après (contacts manqués d'affilée)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    partner_after_failures = models.PositiveSmallIntegerField(
        _("alerter le partenaire après (contacts manqués d'affilée)"),
        null=True,
        blank=True,
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_("Vide : pas d'alerte au partenaire sur ce critère."),
    )
    partner_after_days = models.PositiveSmallIntegerField(
        _("ou après (jours sans contact réussi depuis l'alerte du référent)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Vide : pas d'alerte au partenaire sur ce critère."),
    )
    referent = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("référent"),
        help_text=_("Membre de l'équipe qui reçoit les alertes ; à défaut, les administrateurs."),
    )
    partner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partenaire"),
        help_text=_("Ses bénévoles peuvent assurer les contacts ; il reçoit les alertes qui persistent."),
    )
    is_active = models.BooleanField(_("en cours"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme d'aller vers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="programme_unique_name"),
            models.CheckConstraint(
                name="programme_partner_after_referent",
                condition=Q(partner_after_failures__isnull=True)
                | Q(partner_after_failures__gt=models.F("referent_after_failures")),
            ),
            models.CheckConstraint(
                name="programme_referent_after_positive", condition=Q(referent_after_failures__gte=1)
            ),
            models.CheckConstraint(name="programme_retry_positive", condition=Q(retry_days__gte=1)),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    def clean(self):
        errors = {}
        if self.partner_after_failures is not None and self.partner_after_failures <= self.referent_after_failures:
            errors["partner_after_failures"] = _(
                "Le partenaire est alerté après le référent : indiquez un nombre plus grand."
            )
        if self.referent_id and (
            self.referent.organisation_id != self.organisation_id or self.referent.role not in REFERENT_ROLES
        ):
            errors["referent"] = _(
                "Le référent est un administrateur ou un membre de l'équipe de proximité du bailleur."
            )
        if self.partner_id and self.partner.kind != OrganisationKind.PARTNER:
            errors["partner"] = _("Choisissez une organisation partenaire.")
        if errors:
            raise ValidationError(errors)

    def escalation_params(self) -> schedule.EscalationParams:
        """The escalation rule of this programme; without a partner, nobody beyond the referent is alerted."""
        return schedule.EscalationParams(
            referent_after=self.referent_after_failures,
            partner_after_failures=self.partner_after_failures if self.partner_id else None,
            partner_after_days=self.partner_after_days if self.partner_id else None,
        )


def _active_outreach_consent():
    return Consent.objects.active().filter(household=OuterRef("household"), purpose=ConsentPurpose.OUTREACH)


def _withdrawn_outreach_consent():
    return Consent.objects.filter(
        household=OuterRef("household"), purpose=ConsentPurpose.OUTREACH, withdrawn_on__isnull=False
    )


class EnrolmentQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(ended_on=None)

    def visible_to(self, user):
        """The enrolments a landlord's staff member works with: a field agent, those of their sites' households
        and those whose plans are assigned to them."""
        enrolments = self.for_organisation(user.organisation)
        if user.role == Role.FIELD_AGENT:
            enrolments = enrolments.filter(
                Q(household__in=Household.objects.visible_to(user).values("pk"))
                | Exists(ContactPlan.objects.current().filter(enrolment=OuterRef("pk"), assignee=user))
            )
        return enrolments

    def with_consent(self):
        """Annotate ``has_consent`` (an outreach consent in force) and ``consent_withdrawn`` (withdrawn, none since)."""
        return self.annotate(
            has_consent=Exists(_active_outreach_consent()),
            consent_withdrawn=Exists(_withdrawn_outreach_consent()) & ~Exists(_active_outreach_consent()),
        )

    def contactable(self):
        """Active enrolments of households that have not withdrawn their consent to courtesy calls and visits."""
        return self.active().exclude(Exists(_withdrawn_outreach_consent()) & ~Exists(_active_outreach_consent()))

    def assigned_to(self, user):
        """What a volunteer sees: the contactable enrolments whose current plans are assigned to them, and only
        those whose household agreed to courtesy calls and visits (its contact details go to the partner)."""
        return (
            self.contactable()
            .filter(Exists(ContactPlan.objects.current().filter(enrolment=OuterRef("pk"), assignee=user)))
            .filter(Exists(_active_outreach_consent()))
        )


class Enrolment(models.Model):
    """An elderly resident followed by a programme, from their enrolment to its end (with its reason)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    household = models.ForeignKey(
        "households.Household", on_delete=models.CASCADE, related_name="programme_enrolments"
    )
    person = models.ForeignKey(
        "households.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("personne suivie"),
    )
    source = models.CharField(_("origine"), max_length=20, choices=EnrolmentSource.choices)
    enrolled_on = models.DateField(_("inscrit le"))
    enrolled_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        "households.Consent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consentement"),
        help_text=_("L'accord aux appels et visites de convivialité recueilli pour le programme."),
    )
    ended_on = models.DateField(_("fin du suivi le"), null=True, blank=True)
    end_reason = models.CharField(_("motif de fin"), max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("précision"), max_length=200, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription au programme")
        ordering = ["-enrolled_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=Q(ended_on__isnull=True),
                name="enrolment_one_active_per_household",
            ),
            models.CheckConstraint(
                name="enrolment_end_has_reason",
                condition=(Q(ended_on__isnull=True) & Q(end_reason=""))
                | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
            ),
            models.CheckConstraint(
                name="enrolment_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("enrolled_on")),
            ),
        ]

    def __str__(self):
        return _("Suivi n° %(pk)s") % {"pk": self.pk}

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class ContactPlanQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on=None)


class ContactPlan(models.Model):
    """A call or a visit every ``every_days`` days, by one member of staff or one volunteer of the partner."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="plans")
    kind = models.CharField(_("type de contact"), max_length=10, choices=ContactKind.choices)
    every_days = models.PositiveSmallIntegerField(
        _("tous les (jours)"), validators=[MinValueValidator(1), MaxValueValidator(180)]
    )
    assignee = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outreach_plans",
        verbose_name=_("assuré par"),
    )
    starts_on = models.DateField(_("à partir du"))
    ended_on = models.DateField(_("arrêté le"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ContactPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan de contact")
        ordering = ["enrolment", "kind", "-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "kind"],
                condition=Q(ended_on__isnull=True),
                name="contactplan_one_current_per_kind",
            ),
            models.CheckConstraint(name="contactplan_every_days_positive", condition=Q(every_days__gte=1)),
        ]

    def __str__(self):
        return _("%(kind)s tous les %(days)s jours") % {"kind": self.get_kind_display(), "days": self.every_days}

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class Contact(models.Model):
    """One call or visit of an enrolled person and its outcome; also an entry of the household's history."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="contacts")
    plan = models.ForeignKey(ContactPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    kind = models.CharField(_("type de contact"), max_length=10, choices=ContactKind.choices)
    outcome = models.CharField(_("résultat"), max_length=20, choices=ContactOutcome.choices)
    success = models.BooleanField(_("réussi"), editable=False)
    occurred_at = models.DateTimeField(_("date du contact"))
    note = models.CharField(_("remarque"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interaction = models.OneToOneField(
        "households.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programme_contact",
    )

    class Meta:
        verbose_name = _("contact du programme")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["enrolment", "occurred_at"], name="contact_enrolment_occurred")]
        constraints = [
            models.CheckConstraint(
                name="contact_success_matches_outcome",
                condition=Q(success=True, outcome__in=sorted(schedule.SUCCESS_OUTCOMES))
                | Q(success=False, outcome__in=sorted(schedule.FAILURE_OUTCOMES)),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_outcome_display()} · {self.occurred_at:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        # Success is read from the outcome, never set apart from it (the check constraint says the same).
        self.success = self.outcome in schedule.SUCCESS_OUTCOMES
        super().save(*args, **kwargs)

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class AlertQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def addressed_to_partner(self, organisation):
        """The alerts a partner organisation sees: those escalated to it, nothing else."""
        return self.filter(level=AlertLevel.PARTNER, partner=organisation)

    def unresolved(self):
        return self.exclude(status=AlertStatus.RESOLVED)


class Alert(models.Model):
    """Contacts with an enrolled person keep failing: the referent, then the partner, is asked to act.

    One alert per level and per streak of failures (identified by its first failure): the daily rule
    can run again and again without raising it twice, and a new streak after a success raises a new one.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(_("niveau"), max_length=10, choices=AlertLevel.choices)
    status = models.CharField(_("état"), max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    first_failure = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    failures_in_row = models.PositiveSmallIntegerField(_("contacts manqués d'affilée"))
    raised_on = models.DateField(_("levée le"))
    referent = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partner = models.ForeignKey(
        "accounts.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="outreach_alerts"
    )
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alerte du programme")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "level", "first_failure"], name="alert_one_per_streak_and_level"
            ),
        ]

    def __str__(self):
        return _("Alerte n° %(pk)s (%(level)s)") % {"pk": self.pk, "level": self.get_level_display()}

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class AlertTransition(models.Model):
    """Who moved an alert from which status to which, when, and why (one row per change, never updated)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("de"), max_length=15, choices=AlertStatus.choices, blank=True)
    to_status = models.CharField(_("à"), max_length=15, choices=AlertStatus.choices)
    at = models.DateTimeField(_("le"))
    by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_label = models.CharField(_("par"), max_length=254, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("changement d'état d'une alerte")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status or '–'} → {self.to_status}"
