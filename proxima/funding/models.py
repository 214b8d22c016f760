"""Funding: schemes as published, an organisation's projects, their co-financing plans and applications.

A *scheme* is shared reference data (every organisation reads the same CGLLS fund); a *project* belongs to one
organisation. A project's *plan* lists what it asks of which scheme; each line is also the application to that
scheme, whose status changes are logged. Saved searches send e-mail alerts when a new or changed scheme matches.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from proxima.funding import matching
from proxima.funding.enums import (
    AidType,
    AlertFrequency,
    ApplicationStatus,
    Beneficiary,
    BudgetKind,
    ExpenseType,
    Recurrence,
    Stage,
    TerritoryLevel,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 2}


class SchemeQuerySet(models.QuerySet):
    def not_archived(self):
        return self.filter(is_archived=False)

    def with_territory(self):
        return self.prefetch_related("regions", "departments", "epcis", "communes")


class Scheme(models.Model):
    """A funding scheme (or one strand of a fund) with its facts as published and which of them were checked."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    funders = models.CharField(_("financeurs"), max_length=300)
    instructing_body = models.CharField(_("instruction du dossier"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    beneficiaries = models.JSONField(_("bénéficiaires éligibles"), default=list)
    themes = models.JSONField(_("thèmes éligibles"), default=list, blank=True, help_text=_("Vide : tous les thèmes."))
    stages = models.JSONField(_("étapes éligibles"), default=list, blank=True, help_text=_("Vide : toutes."))
    territory_level = models.CharField(
        _("territoire"), max_length=20, choices=TerritoryLevel.choices, default=TerritoryLevel.NATIONAL
    )
    regions = models.ManyToManyField("territory.Region", blank=True, related_name="+", verbose_name=_("régions"))
    departments = models.ManyToManyField(
        "territory.Department", blank=True, related_name="+", verbose_name=_("départements")
    )
    epcis = models.ManyToManyField("territory.Epci", blank=True, related_name="+", verbose_name=_("EPCI"))
    communes = models.ManyToManyField("territory.Commune", blank=True, related_name="+", verbose_name=_("communes"))
    aid_type = models.CharField(_("type d'aide"), max_length=20, choices=AidType.choices, default=AidType.GRANT)
    expense_types = models.JSONField(_("types de dépense"), default=list, blank=True, help_text=_("Vide : tous."))
    rate_min = models.DecimalField(_("taux minimum (%)"), null=True, blank=True, **RATE)
    rate_max = models.DecimalField(_("taux maximum (%)"), null=True, blank=True, **RATE)
    cap_per_project = models.DecimalField(_("plafond par projet (€)"), null=True, blank=True, **MONEY)
    cap_group = models.CharField(
        _("groupe de plafond"),
        max_length=80,
        blank=True,
        help_text=_("Les volets d'un même fonds partagent le plafond par organisme."),
    )
    org_cap_amount = models.DecimalField(_("plafond par organisme (€)"), null=True, blank=True, **MONEY)
    org_cap_months = models.PositiveSmallIntegerField(_("sur une période de (mois)"), null=True, blank=True)
    public_cofinancing_max_rate = models.DecimalField(
        _("financements publics au plus (% du coût)"), null=True, blank=True, **RATE
    )
    min_project_cost = models.DecimalField(_("montant minimum du projet (€)"), null=True, blank=True, **MONEY)
    start_before_request_allowed = models.BooleanField(
        _("démarrage avant la demande autorisé"), null=True, blank=True, help_text=_("Vide : la source n'en dit rien.")
    )
    max_duration_months = models.PositiveSmallIntegerField(_("durée maximale (mois)"), null=True, blank=True)
    joint_only = models.BooleanField(_("réservé aux projets communs de plusieurs bailleurs"), default=False)
    is_public_funder = models.BooleanField(_("financement public"), default=True)
    opens_on = models.DateField(_("ouverture"), null=True, blank=True)
    closes_on = models.DateField(_("clôture (dernier jour de dépôt)"), null=True, blank=True)
    committee_dates = models.JSONField(_("dates de comité"), default=list, blank=True)
    recurrence = models.CharField(
        _("récurrence"), max_length=20, choices=Recurrence.choices, default=Recurrence.PERMANENT
    )
    is_call_for_projects = models.BooleanField(_("appel à projets"), default=False)
    contact = models.TextField(_("contact"), blank=True)
    info_url = models.URLField(_("informations"), max_length=500, blank=True)
    application_url = models.URLField(_("dépôt du dossier"), max_length=500, blank=True)
    source_url = models.URLField(_("source"), max_length=500)
    source_note = models.TextField(_("ce que dit la source"), blank=True)
    checked_on = models.DateField(_("vérifié le"))
    unchecked = models.JSONField(_("faits non vérifiés"), default=list, blank=True)
    is_archived = models.BooleanField(_("archivé"), default=False)
    fingerprint = models.CharField(max_length=64, editable=False, help_text=_("Empreinte des faits publiés."))
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    objects = SchemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispositif de financement")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="scheme_rates_in_range",
                condition=(Q(rate_min__isnull=True) | Q(rate_min__gte=0, rate_min__lte=100))
                & (Q(rate_max__isnull=True) | Q(rate_max__gte=0, rate_max__lte=100))
                & (
                    Q(public_cofinancing_max_rate__isnull=True)
                    | Q(public_cofinancing_max_rate__gte=0, public_cofinancing_max_rate__lte=100)
                ),
            ),
            models.CheckConstraint(
                name="scheme_org_cap_with_period",
                condition=Q(org_cap_amount__isnull=True, org_cap_months__isnull=True)
                | Q(org_cap_amount__isnull=False, org_cap_months__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name

    def status(self, today) -> str:
        return matching.scheme_status(
            opens_on=self.opens_on, closes_on=self.closes_on, archived=self.is_archived, today=today
        )

    def is_checked(self, fact: str) -> bool:
        return fact not in self.unchecked

    def beneficiary_labels(self) -> list[str]:
        return [Beneficiary(b).label for b in self.beneficiaries if b in Beneficiary.values]

    def stage_labels(self) -> list[str]:
        return [Stage(s).label for s in self.stages if s in Stage.values]

    def expense_type_labels(self) -> list[str]:
        return [ExpenseType(e).label for e in self.expense_types if e in ExpenseType.values]


class ProjectQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def with_total_cost(self):
        return self.annotate(total_cost=Sum("budget_lines__amount"))


class Project(models.Model):
    """A service an organisation wants to start or extend, with its budget by year: what it asks funders for."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="funding_projects"
    )
    slug = models.SlugField(_("identifiant"), max_length=80)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    themes = models.JSONField(_("thèmes"), default=list, blank=True)
    stage = models.CharField(_("étape"), max_length=20, choices=Stage.choices, default=Stage.DELIVERY)
    beneficiary = models.CharField(
        _("porteur"), max_length=20, choices=Beneficiary.choices, default=Beneficiary.SOCIAL_LANDLORD
    )
    is_joint = models.BooleanField(_("projet commun de plusieurs bailleurs"), default=False)
    communes = models.ManyToManyField("territory.Commune", related_name="+", verbose_name=_("communes"))
    start_on = models.DateField(_("démarrage"), null=True, blank=True)
    request_on = models.DateField(_("date de la première demande"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("projet")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="project_slug_unique_per_organisation"),
        ]

    def __str__(self):
        return self.name


class BudgetLine(models.Model):
    """One cost of a project in one year. Staff lines give the full-time equivalents as well as the cost."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField(_("année"))
    kind = models.CharField(_("poste"), max_length=20, choices=BudgetKind.choices)
    expense_type = models.CharField(
        _("type de dépense"), max_length=20, choices=ExpenseType.choices, default=ExpenseType.OPERATING
    )
    label = models.CharField(_("libellé"), max_length=200)
    fte = models.DecimalField(_("ETP"), max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("montant (€)"), **MONEY)

    class Meta:
        verbose_name = _("ligne de budget")
        ordering = ["year", "kind", "pk"]
        constraints = [
            models.CheckConstraint(name="budgetline_amount_non_negative", condition=Q(amount__gte=0)),
            models.CheckConstraint(
                name="budgetline_fte_only_for_staff", condition=Q(fte__isnull=True) | Q(kind="staff")
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.label}"


class FundingPlan(models.Model):
    """A project's co-financing plan: which schemes, for how much."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="plan")
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan de financement")

    def __str__(self):
        return f"Plan de financement · {self.project}"


class FundingLineQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(plan__project__organisation=organisation)

    def obtained(self):
        return self.filter(status__in=[ApplicationStatus.OBTAINED, ApplicationStatus.PAID], decided_on__isnull=False)


class FundingLine(models.Model):
    """The amount a plan asks of one scheme, and the application to it (planned → requested → obtained → paid)."""

    plan = models.ForeignKey(FundingPlan, on_delete=models.CASCADE, related_name="lines")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="funding_lines")
    amount_planned = models.DecimalField(_("montant prévu (€)"), **MONEY)
    status = models.CharField(
        _("demande"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.PLANNED
    )
    requested_on = models.DateField(_("demandé le"), null=True, blank=True)
    amount_requested = models.DecimalField(_("montant demandé (€)"), null=True, blank=True, **MONEY)
    decided_on = models.DateField(_("décision le"), null=True, blank=True)
    amount_obtained = models.DecimalField(_("montant obtenu (€)"), null=True, blank=True, **MONEY)
    paid_on = models.DateField(_("versé le"), null=True, blank=True)
    amount_paid = models.DecimalField(_("montant versé (€)"), null=True, blank=True, **MONEY)

    objects = FundingLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne du plan de financement")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "scheme"], name="fundingline_one_per_scheme"),
            models.CheckConstraint(name="fundingline_amount_positive", condition=Q(amount_planned__gt=0)),
        ]

    def __str__(self):
        return f"{self.scheme} · {self.amount_planned} €"

    @property
    def amount(self):
        """The best-known amount: paid, else obtained, else requested, else planned."""
        for value in (self.amount_paid, self.amount_obtained, self.amount_requested):
            if value is not None:
                return value
        return self.amount_planned


class FundingLineTransition(models.Model):
    """Who moved an application from one status to another, and when."""

    line = models.ForeignKey(FundingLine, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField(_("le"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(_("de"), max_length=20, choices=ApplicationStatus.choices)
    to_status = models.CharField(_("à"), max_length=20, choices=ApplicationStatus.choices)
    on = models.DateField(_("date"))
    amount = models.DecimalField(_("montant (€)"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()} le {self.on:%d/%m/%Y}"


class SavedSearchQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user, organisation=user.organisation)


class SavedSearch(models.Model):
    """Search criteria a user keeps, with an e-mail when a new or changed scheme matches them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="funding_searches")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nom"), max_length=120)
    criteria = models.JSONField(_("critères"), default=dict)
    frequency = models.CharField(
        _("alerte"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.WEEKLY
    )
    last_sent_on = models.DateField(_("dernière alerte"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        verbose_name = _("recherche enregistrée")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AlertDelivery(models.Model):
    """A scheme, in the version identified by its fingerprint, already sent for a saved search."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="deliveries")
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["search", "scheme", "fingerprint"], name="alertdelivery_once_per_version"),
        ]

    def __str__(self):
        return f"{self.search} · {self.scheme}"


class DeadlineReminder(models.Model):
    """A planned application already reminded for one deadline of its scheme (a closing date or a committee):
    the daily reminder sends each once."""

    line = models.ForeignKey(FundingLine, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "deadline"], name="deadlinereminder_once_per_deadline"),
        ]

    def __str__(self):
        return f"{self.line} · {self.deadline:%d/%m/%Y}"
