from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import Role
from proxima.territory.enums import DwellingKind, DwellingStatus, Financing, LocationPrecision, ZoneABC


class ReferenceDataset(models.Model):
    """Which version of a shipped reference file is loaded, so reloading the same file is a no-op."""

    name = models.CharField(max_length=100, primary_key=True)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name


class Region(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")

    class Meta:
        verbose_name = _("département")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    """Établissement public de coopération intercommunale (communauté de communes, agglomération…)."""

    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10)

    class Meta:
        verbose_name = _("EPCI")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CommuneQuerySet(models.QuerySet):
    def low_demand(self):
        return self.filter(is_low_demand=True)


class Commune(models.Model):
    """A commune of the Code officiel géographique 2026 with its ABC zone (reference data)."""

    code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100, db_index=True)
    is_arrondissement = models.BooleanField(
        _("arrondissement municipal"), default=False, help_text=_("Paris, Lyon et Marseille.")
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(Epci, on_delete=models.PROTECT, null=True, blank=True, related_name="communes")
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    postcodes = models.CharField(_("codes postaux"), max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    zone_abc = models.CharField(_("zone ABC"), max_length=4, choices=ZoneABC.choices, blank=True)
    is_low_demand = models.BooleanField(
        _("territoire détendu"), default=False, help_text=_("Zone B2 ou C du zonage ABC 2025.")
    )
    zone_apl = models.CharField(_("zone APL"), max_length=4, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class FranceServicesSite(models.Model):
    """A "France services" site (ANCT list of 1 August 2024): the nearest public service counter."""

    id = models.PositiveIntegerField(_("identifiant ANCT"), primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="france_services_sites"
    )
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=50, blank=True)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=20, blank=True, help_text=_("Fixe ou itinérant (bus)."))

    class Meta:
        verbose_name = _("espace France services")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SiteQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """The sites a user works on: all the organisation's, or for a field agent only those entrusted to them."""
        sites = self.for_organisation(user.organisation)
        if user.role == Role.FIELD_AGENT:
            sites = sites.filter(agents=user)
        return sites

    def with_stock_counts(self):
        return self.annotate(
            dwellings_count=Count("buildings__dwellings", distinct=True),
            vacant_count=Count(
                "buildings__dwellings",
                filter=Q(buildings__dwellings__status=DwellingStatus.VACANT),
                distinct=True,
            ),
            unavailable_count=Count(
                "buildings__dwellings",
                filter=Q(buildings__dwellings__status=DwellingStatus.UNAVAILABLE),
                distinct=True,
            ),
        )


class Site(models.Model):
    """A résidence: a group of buildings the landlord manages as one place."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="sites")
    reference = models.CharField(_("référence"), max_length=50, help_text=_("Référence du bailleur."))
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="sites")
    latitude = models.FloatField()
    longitude = models.FloatField()
    location_precision = models.CharField(
        _("précision de la position"),
        max_length=10,
        choices=LocationPrecision.choices,
        default=LocationPrecision.ADDRESS,
    )
    agents = models.ManyToManyField(
        "accounts.User",
        blank=True,
        related_name="assigned_sites",
        verbose_name=_("agents de terrain"),
        help_text=_("Les agents de terrain ne voient que les ménages des résidences qui leur sont confiées."),
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("résidence")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="site_unique_reference"),
            models.CheckConstraint(name="site_latitude_range", condition=Q(latitude__gte=-90, latitude__lte=90)),
            models.CheckConstraint(name="site_longitude_range", condition=Q(longitude__gte=-180, longitude__lte=180)),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class Building(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="buildings")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="buildings")
    reference = models.CharField(_("référence"), max_length=50)
    address = models.CharField(_("adresse"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("bâtiment")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="building_unique_reference"),
        ]

    def __str__(self):
        return self.reference

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class DwellingQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)


class Dwelling(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="dwellings")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="dwellings")
    reference = models.CharField(_("référence"), max_length=50)
    kind = models.CharField(_("typologie"), max_length=2, choices=DwellingKind.choices)
    floor_area = models.DecimalField(_("surface habitable (m²)"), max_digits=6, decimal_places=2)
    rent = models.DecimalField(_("loyer mensuel hors charges (€)"), max_digits=8, decimal_places=2)
    financing = models.CharField(_("financement"), max_length=4, choices=Financing.choices)
    status = models.CharField(_("statut"), max_length=12, choices=DwellingStatus.choices)
    vacant_since = models.DateField(_("vacant depuis"), null=True, blank=True)

    objects = DwellingQuerySet.as_manager()

    class Meta:
        verbose_name = _("logement")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="dwelling_unique_reference"),
            models.CheckConstraint(
                name="dwelling_vacant_since_iff_vacant",
                condition=(Q(status=DwellingStatus.VACANT) & Q(vacant_since__isnull=False))
                | (~Q(status=DwellingStatus.VACANT) & Q(vacant_since__isnull=True)),
            ),
            models.CheckConstraint(name="dwelling_floor_area_positive", condition=Q(floor_area__gt=0)),
            models.CheckConstraint(name="dwelling_rent_not_negative", condition=Q(rent__gte=0)),
        ]

    def __str__(self):
        return self.reference

    @property
    def audit_organisation_id(self):
        return self.organisation_id
