import calendar

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from proxima.billing.enums import BillingMode, ChargeBasis, CostType, RunStatus
from proxima.households.enums import ConsentChannel


class OrganisationQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class CollectiveAgreementQuerySet(OrganisationQuerySet):
    def with_sites_count(self):
        return self.annotate(sites_count=Count("sites", distinct=True))


class CollectiveAgreement(models.Model):
    """An accord collectif local signed with tenants' representatives (e.g. a negotiated Wi-Fi offer).

    Billing under an agreement rests on article 42 of loi n° 86-1290 (to verify, see docs/billing.md):
    it bills only the households of the sites it covers, while it is in force.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(_("référence"), max_length=50)
    title = models.CharField(_("objet"), max_length=200, help_text=_("Par exemple : accès Wi-Fi à prix négocié."))
    signed_on = models.DateField(_("signé le"))
    valid_from = models.DateField(_("en vigueur du"))
    valid_until = models.DateField(_("au"), null=True, blank=True, help_text=_("Vide : sans date de fin."))
    sites = models.ManyToManyField(
        "territory.Site", related_name="+", verbose_name=_("résidences couvertes"), help_text=_("Son périmètre.")
    )

    objects = CollectiveAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("accord collectif")
        ordering = ["-valid_from", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="collectiveagreement_unique_reference"),
            models.CheckConstraint(
                name="collectiveagreement_valid_until_after_from",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.title}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class BilledServiceQuerySet(OrganisationQuerySet):
    def with_rules_count(self):
        return self.annotate(rules_count=Count("rules", distinct=True))

    def with_active_subscriptions_count(self):
        return self.annotate(
            active_subscriptions_count=Count(
                "subscriptions", filter=Q(subscriptions__ended_on__isnull=True), distinct=True
            )
        )


class BilledService(models.Model):
    """A service offered to residents and how they pay for it (the billing mode), checked by ``billing.rules``.

    A service of the catalogue that the landlord bills has one, linked by ``offer_service``: its mode is the
    catalogue service's ``billing_mode``, set from the catalogue's form only (one source of truth, see
    docs/adr/013-one-billing-vocabulary.md). A charge that is no service of the catalogue (household waste
    tax) has none.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    offer_service = models.OneToOneField(
        "offer.Service",
        on_delete=models.SET_NULL,  # the billed months stay; the billed service goes on without its entry
        null=True,
        blank=True,
        related_name="billed_service",
        verbose_name=_("service du catalogue"),
    )
    name = models.CharField(_("service"), max_length=200)
    provider = models.CharField(_("prestataire ou partenaire"), max_length=200, blank=True)
    mode = models.CharField(_("mode de facturation"), max_length=25, choices=BillingMode.choices)
    cost_type = models.CharField(_("nature de la dépense"), max_length=15, choices=CostType.choices)
    cost_code = models.CharField(
        _("poste de la liste des charges récupérables"),
        max_length=30,
        blank=True,
        help_text=_("Charge récupérable seulement : le poste de l'annexe du décret n° 82-955."),
    )
    to_verify_confirmed = models.BooleanField(
        _("règle à vérifier confirmée"),
        default=False,
        help_text=_("Pour un poste marqué « à vérifier » : j'ai vérifié le texte en vigueur et l'applique."),
    )
    agreement = models.ForeignKey(
        CollectiveAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("accord collectif"),
    )
    charge_code = models.CharField(
        _("code de charge du bailleur"),
        max_length=30,
        blank=True,
        help_text=_("Le code de cette charge dans le logiciel de gestion locative, repris dans l'export."),
    )

    objects = BilledServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service facturé")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="billedservice_unique_name"),
            models.CheckConstraint(
                name="billedservice_agreement_iff_agreement_mode",
                condition=(Q(mode=BillingMode.COLLECTIVE_AGREEMENT) & Q(agreement__isnull=False))
                | (~Q(mode=BillingMode.COLLECTIVE_AGREEMENT) & Q(agreement__isnull=True)),
                violation_error_message=_("Seul un service facturé par accord collectif est rattaché à un accord."),
            ),
            models.CheckConstraint(
                name="billedservice_cost_code_iff_recoverable",
                condition=(Q(mode=BillingMode.RECOVERABLE_CHARGE) & ~Q(cost_code=""))
                | (~Q(mode=BillingMode.RECOVERABLE_CHARGE) & Q(cost_code="")),
                violation_error_message=_("Seule une charge récupérable porte un poste de la liste."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class ChargeRule(models.Model):
    """A monthly amount billed for a service from a date, per household or per dwelling, on some sites."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(BilledService, on_delete=models.CASCADE, related_name="rules")
    amount = models.DecimalField(_("montant mensuel (€)"), max_digits=8, decimal_places=2)
    basis = models.CharField(_("assiette"), max_length=15, choices=ChargeBasis.choices)
    valid_from = models.DateField(_("à partir du"))
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    sites = models.ManyToManyField(
        "territory.Site",
        blank=True,
        related_name="+",
        verbose_name=_("résidences"),
        help_text=_("Vide : toutes les résidences (celles de l'accord pour un accord collectif)."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("règle de facturation")
        ordering = ["service", "-valid_from"]
        constraints = [
            models.CheckConstraint(name="chargerule_amount_not_negative", condition=Q(amount__gte=0)),
            models.CheckConstraint(
                name="chargerule_valid_until_after_from",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self):
        return f"{self.service} · {self.amount} €"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class SubscriptionQuerySet(OrganisationQuerySet):
    def active(self):
        return self.filter(ended_on=None)


class Subscription(models.Model):
    """A household's optional subscription to a service, with the consent it gave: when and how.

    The consent to a paid service is a contract, apart from the lease, not one of the RGPD purposes of
    ``households.Consent``: it is recorded here, with its date and channel, and ends on withdrawal.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(BilledService, on_delete=models.CASCADE, related_name="subscriptions")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    consent_given_on = models.DateField(_("consentement donné le"))
    consent_channel = models.CharField(_("recueilli par"), max_length=10, choices=ConsentChannel.choices)
    ended_on = models.DateField(_("résilié le"), null=True, blank=True, help_text=_("Jour de la résiliation."))
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("abonnement")
        ordering = ["-consent_given_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "household"], condition=Q(ended_on__isnull=True), name="subscription_one_active"
            ),
            models.CheckConstraint(
                name="subscription_ended_after_given",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("consent_given_on")),
            ),
        ]

    def __str__(self):
        return f"{self.service} · {self.consent_given_on:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class HouseholdExit(models.Model):
    """The day a household left its dwelling (end of the lease), for the pro rata of its last month."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    household = models.OneToOneField("households.Household", on_delete=models.CASCADE, related_name="billing_exit")
    left_on = models.DateField(_("date de sortie"), help_text=_("Dernier jour d'occupation du logement."))

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("sortie du logement")

    def __str__(self):
        return f"{self.household} · {self.left_on:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class BillingRunQuerySet(OrganisationQuerySet):
    pass


class BillingRun(models.Model):
    """The billing of one month for one organisation: computed all at once, repeatable until it is closed."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("mois"), help_text=_("Premier jour du mois facturé."))
    status = models.CharField(_("état"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    households_total = models.PositiveIntegerField(_("ménages à facturer"), default=0)
    lines_count = models.PositiveIntegerField(_("lignes"), default=0)
    total = models.DecimalField(_("montant total (€)"), max_digits=14, decimal_places=2, default=0)
    refusals = models.JSONField(
        _("refus"), default=dict, help_text=_("Nombre de refus par règle, et les premiers refus en détail.")
    )
    error = models.TextField(_("erreur"), blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = BillingRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("facturation mensuelle")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="billingrun_one_per_month"),
        ]

    def __str__(self):
        return f"{self.month:%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def is_running(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}


class ChargeLineQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(run__organisation=organisation)

    def recoverable(self):
        """Lines of recoverable charges: only they carry a cost code of the legal list."""
        return self.exclude(cost_code="")


class ChargeLine(models.Model):
    """What one household owes for one service in one month; the codes are copied as billed.

    Kept narrow (the month, the organisation and the mode are the run's and the service's): a large
    landlord's month is some 150,000 lines written at once.
    """

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="lines")
    # The (household, run) index serves the household's lookups; a rule's lines are only looked up when the
    # rule is deleted (rare): each index left out saves a second of the month's write at 150,000 lines.
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+", db_index=False)
    service = models.ForeignKey(BilledService, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(ChargeRule, on_delete=models.PROTECT, related_name="+", db_index=False)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    days = models.PositiveSmallIntegerField(_("jours facturés"))
    amount = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    cost_code = models.CharField(_("poste"), max_length=30, blank=True)
    charge_code = models.CharField(_("code de charge"), max_length=30, blank=True)

    objects = ChargeLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne de charge")
        ordering = ["run", "household", "service"]
        indexes = [models.Index(fields=["household", "run"], name="chargeline_household_run")]

    def __str__(self):
        return f"{self.service_id} · {self.amount} €"

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.period_start.year, self.period_start.month)[1]
