"""The landlord's offer: partners and their agreements, the catalogue of services, bundles for target groups.

A *partner* is an organisation that renders services to residents with the landlord (an association, a
company, a commune's CCAS, a France services site…); it may have its own Proxima account, whose users
then see what is addressed to them. A *partnership agreement* (convention) binds it to the landlord for a
period. A *service* is one entry of the catalogue: what it is (data·inclusion themes and publics), who
renders it (a partner, or the landlord itself), the landlord's part in it (operating mode), where, when,
how to reach it, what it costs the resident. A *bundle* is a set of services offered to a target group,
with the rule that selects the households of that group.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import OrganisationKind, Role
from proxima.billing.enums import BillingMode
from proxima.households.enums import ConsentChannel, InteractionChannel
from proxima.households.models import Household
from proxima.needs.enums import Need
from proxima.offer import reference
from proxima.offer.enums import (
    AmountPeriod,
    OperatingMode,
    PartnerKind,
    ReferralStatus,
    RefusalReason,
    Renewal,
    ServiceStatus,
    Weekday,
)
from proxima.offer.validators import validate_networks, validate_siret


class PartnerQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(is_active=True)

    def with_theme(self, code: str):
        """Partners covering the theme ``code``, or every theme of a category when ``code`` has no ``--``."""
        if "--" in code:
            return self.filter(pk__in=PartnerTheme.objects.filter(code=code).values("partner"))
        return self.filter(pk__in=PartnerTheme.objects.filter(code__startswith=f"{code}--").values("partner"))

    def covering(self, commune):
        return self.filter(communes=commune)


class Partner(models.Model):
    """An organisation that renders services to residents with the landlord."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="offer_partners",
        help_text=_("Le bailleur dont c'est le partenaire."),
    )
    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("type de partenaire"), max_length=20, choices=PartnerKind.choices)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("14 chiffres, si vous le connaissez (annuaire des entreprises)."),
    )
    description = models.TextField(_("présentation"), blank=True)
    networks = models.JSONField(
        _("réseaux"),
        default=list,
        blank=True,
        validators=[validate_networks],
        help_text=_("Réseaux dont il fait partie (France services, CCAS-CIAS, CAF…), codes data·inclusion."),
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune de l'adresse"),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    communes = models.ManyToManyField(
        "territory.Commune",
        blank=True,
        related_name="offer_partners",
        verbose_name=_("communes couvertes"),
        help_text=_("Où il intervient : sert à trouver les partenaires présents sur un territoire."),
    )
    account = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_listings",
        limit_choices_to={"kind": OrganisationKind.PARTNER},
        verbose_name=_("compte Proxima du partenaire"),
        help_text=_("Ses utilisateurs se connectent et voient ce qui lui est adressé."),
    )
    is_active = models.BooleanField(_("partenariat en cours"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partenaire")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="partner_unique_name"),
            models.UniqueConstraint(
                fields=["organisation", "account"], condition=Q(account__isnull=False), name="partner_unique_account"
            ),
            models.CheckConstraint(
                name="partner_account_not_landlord",
                condition=Q(account__isnull=True) | ~Q(account=F("organisation")),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.account_id and self.account.kind != OrganisationKind.PARTNER:
            raise ValidationError({"account": _("Le compte lié doit être celui d'une organisation partenaire.")})

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class PartnerTheme(models.Model):
    """One theme a partner covers (a code of :func:`proxima.offer.reference.theme_labels`)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="themes")
    code = models.CharField(_("thème"), max_length=120)

    class Meta:
        verbose_name = _("thème du partenaire")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["partner", "code"], name="partnertheme_unique")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return reference.theme_labels().get(self.code, self.code)


class PartnerContact(models.Model):
    """A person to reach at a partner: professional details only."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nom"), max_length=150)
    role = models.CharField(_("fonction"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact du partenaire")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return Partner.objects.values_list("organisation_id", flat=True).get(pk=self.partner_id)


def agreement_document_path(instance, filename):
    # A random name: the original name is kept in document_name, never used on disk.
    organisation_id = instance.partner.organisation_id
    return f"offer/agreements/{organisation_id}/{uuid.uuid4().hex}"


class PartnershipAgreementQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(partner__organisation=organisation)

    def ending_soon(self, today):
        """Agreements whose end is within their alert window: from ``alert_on`` to the end date."""
        return self.filter(alert_on__lte=today, end_date__gte=today)

    def current(self, today):
        return self.filter(Q(start_date__lte=today), Q(end_date__isnull=True) | Q(end_date__gte=today))


class PartnershipAgreement(models.Model):
    """A convention between the landlord and a partner: its object, its period, renewal and amounts."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="agreements")
    object = models.CharField(_("objet"), max_length=255)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True, help_text=_("Vide : sans date de fin."))
    renewal = models.CharField(_("renouvellement"), max_length=10, choices=Renewal.choices, default=Renewal.NONE)
    alert_days = models.PositiveSmallIntegerField(
        _("alerter … jours avant la fin"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Le temps de décider : renouveler, renégocier ou dénoncer (préavis de la convention)."),
    )
    # The first day of the alert window (end date minus alert_days), kept so that a query can find
    # the agreements to alert about on any database.
    alert_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    amount = models.DecimalField(
        _("montant (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Ce que le bailleur verse au partenaire, ou la valeur de l'engagement."),
    )
    amount_period = models.CharField(
        _("période du montant"), max_length=10, choices=AmountPeriod.choices, default=AmountPeriod.YEAR
    )
    amount_details = models.CharField(
        _("précisions sur les montants"),
        max_length=255,
        blank=True,
        help_text=_("Répartition, cofinancements, contreparties en nature…"),
    )
    document = models.FileField(_("convention signée"), upload_to=agreement_document_path, blank=True)
    document_name = models.CharField(_("nom du fichier"), max_length=255, blank=True)
    # The end date the last alert e-mail was about: one e-mail per end date, a new one if it moves.
    alerted_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnershipAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("convention de partenariat")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                name="partnershipagreement_end_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
            models.CheckConstraint(
                name="partnershipagreement_amount_not_negative", condition=Q(amount__isnull=True) | Q(amount__gte=0)
            ),
        ]

    def __str__(self):
        return self.object

    def save(self, *args, **kwargs):
        self.alert_on = self.end_date - dt.timedelta(days=self.alert_days) if self.end_date else None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "alert_on"}
        super().save(*args, **kwargs)

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("La fin de la convention doit suivre son début.")})
        if self.renewal == Renewal.TACIT and not self.end_date:
            raise ValidationError(
                {"end_date": _("Une reconduction tacite se fait à une date : indiquez la fin de la période en cours.")}
            )

    @property
    def audit_organisation_id(self):
        return Partner.objects.values_list("organisation_id", flat=True).get(pk=self.partner_id)


class ServiceQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(status=ServiceStatus.ACTIVE)

    def running_on(self, day):
        """Open services whose dates include ``day``."""
        return self.active().filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day)
        )

    def with_theme(self, code: str):
        """Services with the theme ``code``, or any theme of a category when ``code`` has no ``--``."""
        themes = (
            ServiceTheme.objects.filter(code=code)
            if "--" in code
            else ServiceTheme.objects.filter(code__startswith=f"{code}--")
        )
        return self.filter(pk__in=themes.values("service"))

    def with_public(self, code: str):
        return self.filter(pk__in=ServicePublic.objects.filter(code=code).values("service"))

    def in_commune(self, commune):
        """Services offered in ``commune``: listed for it, or at one of its sites or mobile-agency stops."""
        return self.filter(
            Q(pk__in=Service.communes.through.objects.filter(commune=commune).values("service"))
            | Q(pk__in=Service.sites.through.objects.filter(site__commune=commune).values("service"))
            | Q(pk__in=Service.stops.through.objects.filter(stop__commune=commune).values("service"))
        )


class Service(models.Model):
    """One entry of the catalogue: a service residents can use, rendered by a partner or by the landlord."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="offer_services")
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(
        _("description"), help_text=_("Ce que le service apporte, en phrases courtes et en langage simple.")
    )
    kind = models.CharField(
        _("type de service"),
        max_length=20,
        blank=True,
        choices=reference.service_type_choices(),
        help_text=_("Typologie data·inclusion : accompagnement, aide matérielle, atelier…"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("partenaire qui le rend"),
        help_text=_("Vide : le bailleur rend le service lui-même."),
    )
    operating_mode = models.CharField(_("rôle du bailleur"), max_length=12, choices=OperatingMode.choices)
    # Where.
    sites = models.ManyToManyField(
        "territory.Site", blank=True, related_name="offer_services", verbose_name=_("résidences")
    )
    communes = models.ManyToManyField(
        "territory.Commune", blank=True, related_name="offer_services", verbose_name=_("communes")
    )
    stops = models.ManyToManyField(
        "agency.Stop", blank=True, related_name="offer_services", verbose_name=_("arrêts de l'agence mobile")
    )
    address = models.CharField(_("adresse du lieu d'accueil"), max_length=255, blank=True)
    address_commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune du lieu d'accueil"),
    )
    in_person = models.BooleanField(_("sur place"), default=True)
    remote = models.BooleanField(_("à distance (téléphone, visio)"), default=False)
    # When (the weekly opening hours are ServiceHours rows).
    hours_details = models.CharField(
        _("précisions sur les horaires"),
        max_length=255,
        blank=True,
        help_text=_("Sur rendez-vous, hors vacances scolaires, une semaine sur deux…"),
    )
    # How.
    how_to_access = models.TextField(
        _("comment y accéder"), blank=True, help_text=_("Se présenter, appeler, être orienté par le bailleur…")
    )
    conditions = models.TextField(
        _("conditions d'accès"), blank=True, help_text=_("Prérequis, justificatifs à présenter.")
    )
    referral_only = models.BooleanField(
        _("sur orientation seulement"),
        default=False,
        help_text=_(
            "Les habitants n'y accèdent qu'orientés par un professionnel (le bailleur, un travailleur social)."
        ),
    )
    contact_phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    link = models.URLField(_("lien pour s'inscrire ou en savoir plus"), blank=True)
    # What it costs the resident. The modes are the billing framework's (one vocabulary, see
    # docs/adr/013-one-billing-vocabulary.md): a mode the landlord bills rests on the service's
    # ``billing.BilledService`` (``billed_service``), checked by ``billing.rules`` when it is set.
    billing_mode = models.CharField(
        _("mode de facturation"), max_length=25, choices=BillingMode.choices, default=BillingMode.FREE
    )
    price = models.DecimalField(_("prix pour l'habitant (€)"), max_digits=8, decimal_places=2, null=True, blank=True)
    price_details = models.CharField(
        _("précisions sur le prix"),
        max_length=255,
        blank=True,
        help_text=_("Par mois, par séance, adhésion annuelle…"),
    )
    capacity = models.PositiveIntegerField(
        _("capacité"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Nombre de ménages que le service peut accompagner en même temps. Vide : sans limite connue."),
    )
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="service_end_after_start",
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
            models.CheckConstraint(
                name="service_price_not_negative", condition=Q(price__isnull=True) | Q(price__gte=0)
            ),
            models.CheckConstraint(
                name="service_free_has_no_price",
                condition=~Q(billing_mode=BillingMode.FREE) | Q(price__isnull=True) | Q(price=0),
            ),
            # Operator: the landlord renders the service itself. Facilitator and coordinator: a partner
            # renders it, the landlord informs and connects, or organises and buys.
            models.CheckConstraint(
                name="service_provider_matches_mode",
                condition=Q(operating_mode=OperatingMode.OPERATOR, partner__isnull=True)
                | (~Q(operating_mode=OperatingMode.OPERATOR) & Q(partner__isnull=False)),
            ),
            models.CheckConstraint(name="service_reachable", condition=Q(in_person=True) | Q(remote=True)),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if len(self.name.strip()) < 3:
            errors["name"] = _("Le nom compte au moins 3 caractères.")
        if len(self.description.strip()) < 5:
            errors["description"] = _("Décrivez le service en quelques mots au moins.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La fin du service doit suivre son début.")
        if self.billing_mode == BillingMode.FREE and self.price:
            errors["price"] = _("Un service gratuit n'a pas de prix : choisissez un autre mode de facturation.")
        if self.operating_mode == OperatingMode.OPERATOR and self.partner_id:
            errors["partner"] = _("Quand le bailleur est opérateur, il rend le service lui-même : pas de partenaire.")
        if self.operating_mode and self.operating_mode != OperatingMode.OPERATOR and not self.partner_id:
            errors["partner"] = _(
                "Comme facilitateur ou coordinateur, le bailleur s'appuie sur un partenaire : indiquez lequel."
            )
        if not self.in_person and not self.remote:
            errors["in_person"] = _("Le service se rend sur place, à distance, ou les deux.")
        if errors:
            raise ValidationError(errors)

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def provider_name(self) -> str:
        """Who renders the service; needs ``partner`` and ``organisation`` loaded (select_related) in lists."""
        return self.partner.name if self.partner_id else self.organisation.name


class ServiceTheme(models.Model):
    """One theme of a service (a code of :func:`proxima.offer.reference.theme_labels`)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="themes")
    code = models.CharField(_("thème"), max_length=120)

    class Meta:
        verbose_name = _("thème du service")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="servicetheme_unique")]
        indexes = [models.Index(fields=["code"], name="servicetheme_code")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return reference.theme_labels().get(self.code, self.code)


class ServicePublic(models.Model):
    """One public a service targets (a code of :func:`proxima.offer.reference.public_labels`)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="publics")
    code = models.CharField(_("public"), max_length=60)

    class Meta:
        verbose_name = _("public du service")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="servicepublic_unique")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return reference.public_labels().get(self.code, self.code)


class ServiceHours(models.Model):
    """A weekly opening period of a service: a weekday, from ``opens`` to ``closes``."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens = models.TimeField(_("de"))
    closes = models.TimeField(_("à"))

    class Meta:
        verbose_name = _("horaire d'ouverture")
        ordering = ["weekday", "opens", "id"]
        constraints = [
            models.CheckConstraint(name="servicehours_opens_before_closes", condition=Q(opens__lt=F("closes"))),
            models.CheckConstraint(name="servicehours_weekday_range", condition=Q(weekday__lte=6)),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class BundleQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(is_active=True)


class Bundle(models.Model):
    """A set of services for a target group, and the rule that selects the group's households.

    Every criterion left empty selects everyone; the criteria set must all hold (and). Ages are the lease
    holder's, computed from birth years as everywhere in Proxima (see ``proxima.needs.outreach.age_in``).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="offer_bundles")
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("à qui et pourquoi"), blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="bundles", verbose_name=_("services"))
    # The rule.
    holder_age_min = models.PositiveSmallIntegerField(
        _("âge du titulaire du bail : au moins"),
        null=True,
        blank=True,
        validators=[MinValueValidator(16), MaxValueValidator(120)],
    )
    holder_age_max = models.PositiveSmallIntegerField(
        _("âge du titulaire du bail : au plus"),
        null=True,
        blank=True,
        validators=[MinValueValidator(16), MaxValueValidator(120)],
    )
    arrears_min_amount = models.DecimalField(
        _("impayés d'au moins (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    arrears_min_months = models.PositiveSmallIntegerField(
        _("impayés depuis au moins (mois)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    lives_alone = models.BooleanField(
        _("vit seul"), null=True, blank=True, help_text=_("Oui, non, ou vide : indifférent.")
    )
    has_car = models.BooleanField(
        _("dispose d'une voiture"), null=True, blank=True, help_text=_("Oui, non, ou vide : indifférent.")
    )
    sites = models.ManyToManyField(
        "territory.Site", blank=True, related_name="offer_bundles", verbose_name=_("résidences")
    )
    communes = models.ManyToManyField(
        "territory.Commune", blank=True, related_name="offer_bundles", verbose_name=_("communes")
    )
    is_active = models.BooleanField(_("proposé en ce moment"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BundleQuerySet.as_manager()

    class Meta:
        verbose_name = _("bouquet de services")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="bundle_unique_name"),
            models.CheckConstraint(
                name="bundle_age_range",
                condition=Q(holder_age_min__isnull=True)
                | Q(holder_age_max__isnull=True)
                | Q(holder_age_max__gte=F("holder_age_min")),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.holder_age_min is not None
            and self.holder_age_max is not None
            and self.holder_age_max < self.holder_age_min
        ):
            raise ValidationError({"holder_age_max": _("L'âge maximal doit être au moins l'âge minimal.")})

    @property
    def audit_organisation_id(self):
        return self.organisation_id


# Referrals ----------------------------------------------------------------------------------------------------
# A *referral* (orientation) sends a household, or a person who is not a tenant, to a partner's service, with
# their consent. Its status changes only through the functions of ``proxima.offer.referrals``, each of which
# writes a ReferralTransition row (who, when, from, to, why), as les-emplois does for job applications.


class ReferralSettingsQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class ReferralSettings(models.Model):
    """How long a partner has to answer a referral, and when to remind it.

    One row for the organisation (``partner`` empty) sets its delays; a row with a partner overrides them for
    that partner (a partner that meets weekly answers in 15 days, a hospital in 30). Without any row, the
    defaults below apply. A referral keeps the dates computed when it was sent: changing the delays does not
    move the referrals already sent.
    """

    DEFAULT_EXPIRY_DAYS = 15
    DEFAULT_REMINDER_DAYS = 3

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="referral_settings"
    )
    partner = models.OneToOneField(
        Partner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referral_settings",
        verbose_name=_("partenaire"),
    )
    expiry_days = models.PositiveSmallIntegerField(
        _("délai de réponse (jours)"),
        default=DEFAULT_EXPIRY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Sans réponse du partenaire après ce délai, l'orientation expire : le ménage est réorienté."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("relance … jours avant l'expiration"),
        default=DEFAULT_REMINDER_DAYS,
        validators=[MaxValueValidator(60)],
        help_text=_("Un e-mail rappelle au partenaire les orientations sans réponse. 0 : pas de relance."),
    )

    objects = ReferralSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("délais des orientations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(partner__isnull=True),
                name="referralsettings_one_per_organisation",
            ),
            models.CheckConstraint(
                name="referralsettings_expiry_range", condition=Q(expiry_days__gte=1, expiry_days__lte=90)
            ),
            models.CheckConstraint(
                name="referralsettings_reminder_before_expiry", condition=Q(reminder_days__lt=F("expiry_days"))
            ),
        ]

    def __str__(self):
        return f"{self.partner or self.organisation} : {self.expiry_days} j"

    def clean(self):
        if self.partner_id and self.partner.organisation_id != self.organisation_id:
            raise ValidationError({"partner": _("Ce partenaire n'est pas un partenaire de votre organisme.")})
        if self.expiry_days is not None and self.reminder_days is not None and self.reminder_days >= self.expiry_days:
            raise ValidationError(
                {"reminder_days": _("La relance doit partir avant l'expiration : moins de jours que le délai.")}
            )

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class ReferralQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """The referrals a landlord's user works with: a field agent sees those of the households of the sites
        entrusted to them, and those they sent themselves (a person who is not a tenant has no site)."""
        referrals = self.for_organisation(user.organisation)
        if user.role == Role.FIELD_AGENT:
            households = Household.objects.visible_to(user).values("pk")
            referrals = referrals.filter(Q(household__in=households) | Q(sent_by=user))
        return referrals

    def addressed_to(self, organisation):
        """The referrals a partner's organisation receives: those to a partner listing whose account it is."""
        return self.filter(partner__account=organisation)

    def open(self):
        return self.filter(status__in=[ReferralStatus.SENT, ReferralStatus.ACCEPTED])

    def overdue(self, today):
        """Referrals still unanswered after their last day to answer: they expire."""
        return self.filter(status=ReferralStatus.SENT, expires_on__lt=today)

    def due_for_reminder(self, today):
        """Unanswered referrals whose reminder day has come and that were not reminded yet."""
        return self.filter(
            status=ReferralStatus.SENT, remind_on__lte=today, expires_on__gte=today, reminded_on__isnull=True
        )


class Referral(models.Model):
    """A household, or a person who is not a tenant, sent to a partner's service with their consent.

    What the partner receives is copied onto the referral when it is sent, and is all it ever sees: the
    person's name, how to reach them, their commune, the service and the need. The household's other records
    stay with the landlord (RGPD, art. 5.1.c).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referrals",
        help_text=_("Vide : une personne qui n'est pas locataire."),
    )
    # The household's consent in force when the referral was sent (purpose "referral"); RESTRICT keeps it while
    # the referral exists, and lets both go when the household itself is erased.
    consent = models.ForeignKey(
        "households.Consent", on_delete=models.RESTRICT, null=True, blank=True, related_name="referrals"
    )
    consent_given_on = models.DateField(_("accord donné le"))
    consent_channel = models.CharField(_("accord recueilli"), max_length=10, choices=ConsentChannel.choices)
    person_name = models.CharField(
        _("nom de la personne"), max_length=150, help_text=_("Transmis au partenaire pour qu'il la contacte.")
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune de la personne"),
    )
    need = models.CharField(_("besoin"), max_length=20, choices=Need.choices, blank=True)
    reason = models.CharField(
        _("motif de l'orientation"),
        max_length=500,
        help_text=_("Ce que la personne attend du service, en une ou deux phrases factuelles."),
    )
    channel = models.CharField(
        _("contact à l'origine"),
        max_length=15,
        choices=InteractionChannel.choices,
        help_text=_("Comment la demande a été faite ou le besoin repéré."),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT, editable=False
    )
    refusal_reason = models.CharField(
        _("raison du refus"), max_length=15, choices=RefusalReason.choices, blank=True, editable=False
    )
    sent_at = models.DateTimeField(_("envoyée le"), editable=False)
    sent_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("envoyée par")
    )
    expires_on = models.DateField(_("réponse attendue au plus tard le"), editable=False)
    remind_on = models.DateField(_("relance le"), null=True, blank=True, editable=False)
    reminded_on = models.DateField(_("relancée le"), null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("réponse le"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("orientation")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="referral_consent_iff_household",
                condition=Q(household__isnull=True, consent__isnull=True)
                | Q(household__isnull=False, consent__isnull=False),
            ),
            models.CheckConstraint(name="referral_has_contact", condition=~Q(phone="") | ~Q(email="")),
            models.CheckConstraint(name="referral_has_name", condition=~Q(person_name="")),
            models.CheckConstraint(name="referral_status_valid", condition=Q(status__in=ReferralStatus.values)),
            models.CheckConstraint(
                name="referral_refusal_has_reason",
                condition=Q(status=ReferralStatus.REFUSED, refusal_reason__in=RefusalReason.values)
                | (~Q(status=ReferralStatus.REFUSED) & Q(refusal_reason="")),
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "-sent_at"], name="referral_org_status"),
            models.Index(fields=["partner", "status"], name="referral_partner_status"),
            models.Index(fields=["status", "expires_on"], name="referral_status_expiry"),
        ]

    def __str__(self):
        return _("Orientation n° %(pk)s") % {"pk": self.pk}

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def is_open(self) -> bool:
        return self.status in (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class ReferralTransition(models.Model):
    """One change of a referral's status: who made it, when, from what to what, and why. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("de"), max_length=10, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(_("vers"), max_length=10, choices=ReferralStatus.choices)
    at = models.DateTimeField(_("le"))
    by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    # Kept as text so that the log still names the person, and their organisation, after their account goes.
    by_label = models.CharField(_("par"), max_length=254)
    reason = models.CharField(_("motif"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("changement d'état d'une orientation")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(name="referraltransition_changes_status", condition=~Q(from_status=F("to_status")))
        ]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"
