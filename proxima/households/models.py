from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import Role
from proxima.households.enums import ConsentChannel, ConsentPurpose, ContactChannel, InteractionChannel, PersonRole


class HouseholdQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """The households a user works with: a field agent sees only those of the sites entrusted to them."""
        households = self.for_organisation(user.organisation)
        if user.role == Role.FIELD_AGENT:
            households = households.filter(dwelling__building__site__agents=user)
        return households

    def in_arrears(self):
        return self.filter(arrears_amount__gt=0)

    def with_persons_count(self):
        return self.annotate(persons_count=Count("persons"))


class Household(models.Model):
    """A ménage: the people living under one lease.

    Every field is kept for a stated purpose (RGPD, art. 5.1.b-c); the ``help_text``
    of each field says which.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="households")
    reference = models.CharField(
        _("référence du bail"),
        max_length=50,
        help_text=_("Référence du bail chez le bailleur : relie Proxima au logiciel de gestion locative."),
    )
    dwelling = models.ForeignKey(
        "territory.Dwelling", on_delete=models.PROTECT, related_name="households", verbose_name=_("logement")
    )
    move_in_date = models.DateField(
        _("date d'entrée"),
        help_text=_("Ancienneté dans le logement : mesure de la rotation et de l'isolement."),
    )
    rent = models.DecimalField(
        _("loyer mensuel (€)"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Reste à charge et pouvoir d'achat : repérage des ménages en difficulté."),
    )
    charges = models.DecimalField(
        _("charges mensuelles (€)"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Poids des charges dans le budget : pouvoir d'achat et facturation des services."),
    )
    arrears_amount = models.DecimalField(
        _("montant des impayés (€)"),
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text=_("Prévention des impayés : orientation vers un accompagnement, mesure de l'effet des services."),
    )
    arrears_months = models.PositiveSmallIntegerField(
        _("mois d'impayés"), default=0, help_text=_("Ancienneté de la dette : urgence de l'accompagnement.")
    )
    has_car = models.BooleanField(
        _("dispose d'une voiture"),
        null=True,
        blank=True,
        help_text=_("Mobilité : choix des arrêts de l'agence mobile et des services de transport. Vide si inconnu."),
    )
    size = models.PositiveSmallIntegerField(
        _("nombre de personnes"),
        db_default=0,  # bulk imports insert households without it, then recount
        editable=False,
        help_text=_("Tenu à jour depuis les personnes du ménage : redressement des enquêtes, repérage des isolés."),
    )
    holder_birth_year = models.PositiveSmallIntegerField(
        _("année de naissance du titulaire du bail"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Tenue à jour depuis les personnes du ménage : tranche d'âge pour le redressement des enquêtes."),
    )
    contact_channel = models.CharField(
        _("canal de contact préféré"),
        max_length=10,
        choices=ContactChannel.choices,
        blank=True,
        help_text=_("Joindre le ménage par le moyen qu'il a choisi, y compris sans numérique."),
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("ménage")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="household_unique_reference"),
            models.CheckConstraint(name="household_arrears_not_negative", condition=Q(arrears_amount__gte=0)),
            models.CheckConstraint(name="household_rent_not_negative", condition=Q(rent__gte=0)),
            models.CheckConstraint(name="household_charges_not_negative", condition=Q(charges__gte=0)),
        ]

    def __str__(self):
        return _("Ménage %(reference)s") % {"reference": self.reference}

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def in_arrears(self) -> bool:
        return self.arrears_amount > 0


class Person(models.Model):
    """A member of a household. Only what proximity work needs: no birth date, no income, no ID number."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="persons")
    first_name = models.CharField(
        _("prénom"), max_length=100, help_text=_("S'adresser à la personne lors d'un appel ou d'une visite.")
    )
    last_name = models.CharField(
        _("nom"), max_length=100, help_text=_("S'adresser à la personne lors d'un appel ou d'une visite.")
    )
    birth_year = models.PositiveSmallIntegerField(
        _("année de naissance"),
        null=True,
        blank=True,
        help_text=_(
            "Tranche d'âge seulement (repérage des 75 ans et plus, redressement des enquêtes) : "
            "la date complète n'est pas conservée."
        ),
    )
    role = models.CharField(_("rôle dans le ménage"), max_length=10, choices=PersonRole.choices)
    phone = models.CharField(
        _("téléphone"),
        max_length=20,
        blank=True,
        help_text=_("Appels de convivialité et rendez-vous, pour les personnes qui n'utilisent pas Internet."),
    )

    class Meta:
        verbose_name = _("personne")
        ordering = ["household", "id"]
        constraints = [
            models.CheckConstraint(
                name="person_birth_year_plausible",
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def audit_organisation_id(self):
        return Household.objects.values_list("organisation_id", flat=True).get(pk=self.household_id)


class ConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_on=None)


class Consent(models.Model):
    """A household's consent to one purpose, as given, and its withdrawal (RGPD, art. 7)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("finalité"), max_length=20, choices=ConsentPurpose.choices)
    given_on = models.DateField(_("donné le"))
    channel = models.CharField(_("recueilli par"), max_length=10, choices=ConsentChannel.choices)
    withdrawn_on = models.DateField(_("retiré le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consentement")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="consent_withdrawn_after_given",
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
            ),
            models.UniqueConstraint(
                fields=["household", "purpose"],
                condition=Q(withdrawn_on__isnull=True),
                name="consent_one_active_per_purpose",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} ({self.given_on:%d/%m/%Y})"

    @property
    def audit_organisation_id(self):
        return Household.objects.values_list("organisation_id", flat=True).get(pk=self.household_id)


class InteractionQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class Interaction(models.Model):
    """One contact with a household, by any app and any channel: the household's interaction history.

    It says that a contact happened, how, about what and with what outcome, not what was said:
    the note is short and factual (RGPD, art. 5.1.c). The outreach rule "no recorded contact for
    N months" and the impact measures read it.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="interactions")
    occurred_at = models.DateTimeField(_("date du contact"), db_index=True)
    channel = models.CharField(_("canal"), max_length=15, choices=InteractionChannel.choices)
    source = models.CharField(
        _("origine"), max_length=30, help_text=_("Ce qui a donné lieu au contact : « enquête », « aller vers »…")
    )
    theme = models.CharField(_("thème"), max_length=30, blank=True)
    outcome = models.CharField(_("résultat"), max_length=30, blank=True)
    note = models.CharField(_("remarque"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["household", "-occurred_at"], name="interaction_household_recent")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.occurred_at:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id
