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

from proxima.accounts.enums import OrganisationKind
from proxima.billing.enums import BillingMode
from proxima.offer import reference
from proxima.offer.enums import (
    AmountPeriod,
    OperatingMode,
    PartnerKind,
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
