"""The mobile agency: candidate stops, tour plans and their visits, appointments and visit logs.

A *stop* is a place the bus may park: one of the landlord's sites, or a place staff add (a town square, a
market, a France services site). A *plan* is a schedule over a horizon of weeks: tour days, and on each day
the visits of stops in order. The planner computes one (``kind=planned``); staff may also enter the schedule
they run today (``kind=manual``) to compare. Once published, a plan is the public schedule: residents book
appointments at its visits, and the agent logs each visit (people met, topics, follow-ups).
"""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from proxima.agency.enums import (
    AppointmentStatus,
    FollowUp,
    Forcing,
    PlanKind,
    PlanStatus,
    StopKind,
    VisitTopic,
)

# Confirmation codes are read out on the phone and typed by residents: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_confirmation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class AgencySettings(models.Model):
    """How an organisation values its stops and runs its bus: one row per organisation.

    A stop's value is the need-weighted households living within ``walking_radius_m`` of it: each household
    weighs ``weight_base`` plus the weight of each of its situations (elderly living alone, no car, far from
    France services, arrears, a need signalled in the reference survey).
    """

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="agency_settings"
    )
    walking_radius_m = models.PositiveIntegerField(
        _("distance à pied (mètres)"),
        default=800,
        validators=[MinValueValidator(100), MaxValueValidator(5000)],
        help_text=_("Un ménage est atteint par un arrêt situé à moins de cette distance de sa résidence."),
    )
    weight_base = models.DecimalField(_("poids de chaque ménage"), max_digits=5, decimal_places=2, default=1)
    weight_elderly_alone = models.DecimalField(
        _("personne âgée vivant seule"), max_digits=5, decimal_places=2, default=3
    )
    weight_no_car = models.DecimalField(_("sans voiture"), max_digits=5, decimal_places=2, default=2)
    weight_far_from_services = models.DecimalField(
        _("loin d'une France services"), max_digits=5, decimal_places=2, default=1
    )
    weight_arrears = models.DecimalField(_("impayés de loyer"), max_digits=5, decimal_places=2, default=2)
    weight_survey_needs = models.DecimalField(
        _("besoin exprimé dans l'enquête"), max_digits=5, decimal_places=2, default=2
    )
    depot_name = models.CharField(_("dépôt (agence)"), max_length=200, blank=True)
    depot_latitude = models.FloatField(_("latitude du dépôt"), null=True, blank=True)
    depot_longitude = models.FloatField(_("longitude du dépôt"), null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("durée d'un rendez-vous (minutes)"),
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )
    contact_phone = models.CharField(
        _("téléphone de l'agence"),
        max_length=30,
        blank=True,
        help_text=_("Affiché sur les horaires publics et les affiches."),
    )

    class Meta:
        verbose_name = _("réglages de l'agence mobile")
        constraints = [
            models.CheckConstraint(
                name="agencysettings_weights_non_negative",
                condition=Q(weight_base__gte=0)
                & Q(weight_elderly_alone__gte=0)
                & Q(weight_no_car__gte=0)
                & Q(weight_far_from_services__gte=0)
                & Q(weight_arrears__gte=0)
                & Q(weight_survey_needs__gte=0),
            ),
        ]

    def __str__(self):
        return str(self.organisation)

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class StopQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(is_active=True)


class Stop(models.Model):
    """A candidate stop of the bus, with the time a stop takes, its opening windows and frequency limits."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="agency_stops")
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type de lieu"), max_length=20, choices=StopKind.choices, default=StopKind.SITE)
    site = models.ForeignKey(
        "territory.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agency_stops",
        verbose_name=_("résidence"),
    )
    commune = models.ForeignKey(
        "territory.Commune", on_delete=models.PROTECT, related_name="agency_stops", verbose_name=_("commune")
    )
    address = models.CharField(_("adresse ou repère"), max_length=255, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée de l'arrêt (minutes)"),
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(240)],
    )
    time_windows = models.JSONField(
        _("créneaux possibles"),
        default=list,
        blank=True,
        help_text=_("Heures entre lesquelles l'arrêt peut commencer, par exemple le matin du marché."),
    )
    max_gap_weeks = models.PositiveSmallIntegerField(
        _("au moins une fois toutes les … semaines"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    min_gap_weeks = models.PositiveSmallIntegerField(
        _("au plus une fois toutes les … semaines"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    forcing = models.CharField(_("choix de l'équipe"), max_length=4, choices=Forcing.choices, default=Forcing.AUTO)
    services = models.TextField(
        _("ce qu'on peut y faire"),
        blank=True,
        help_text=_("Affiché aux habitants : permanence, aide aux démarches, rendez-vous, animations…"),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    objects = StopQuerySet.as_manager()

    class Meta:
        verbose_name = _("arrêt")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(name="stop_latitude_range", condition=Q(latitude__gte=-90, latitude__lte=90)),
            models.CheckConstraint(name="stop_longitude_range", condition=Q(longitude__gte=-180, longitude__lte=180)),
            models.CheckConstraint(
                name="stop_gaps_consistent",
                condition=Q(max_gap_weeks__isnull=True) | Q(max_gap_weeks__gte=models.F("min_gap_weeks")),
            ),
            models.UniqueConstraint(fields=["organisation", "site"], name="stop_one_per_site"),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class TourPlanQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def published(self):
        return self.filter(published_at__isnull=False)


class TourPlan(models.Model):
    """A schedule of the bus over a horizon: computed by the planner, or the current one entered by staff."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="tour_plans")
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=PlanKind.choices, default=PlanKind.PLANNED)
    status = models.CharField(_("état"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    start_date = models.DateField(_("premier jour"))
    weeks = models.PositiveSmallIntegerField(
        _("nombre de semaines"), default=4, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    weekdays = models.JSONField(
        _("jours de tournée"), default=list, help_text=_("Numéros des jours : 0 = lundi … 6 = dimanche.")
    )
    day_start = models.TimeField(_("départ du dépôt au plus tôt"))
    day_end = models.TimeField(_("retour au dépôt au plus tard"))
    lunch_start = models.TimeField(_("début de la pause déjeuner"), null=True, blank=True)
    lunch_end = models.TimeField(_("fin de la pause déjeuner"), null=True, blank=True)
    time_limit = models.PositiveSmallIntegerField(
        _("temps de calcul (secondes)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    seed = models.PositiveIntegerField(_("graine"), default=0)
    compared_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tournée actuelle à comparer"),
    )
    # Progress of the background computation, shown in the page.
    task_id = models.CharField(max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    # What the planner or the last manual edit gives: coverage per week, stops left out with their reason,
    # households never reached (see agency.services).
    result = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = TourPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("tournée")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="tourplan_day_window", condition=Q(day_start__lt=models.F("day_end"))),
            models.CheckConstraint(
                name="tourplan_lunch_complete",
                condition=Q(lunch_start__isnull=True, lunch_end__isnull=True)
                | Q(lunch_start__isnull=False, lunch_end__isnull=False, lunch_start__lt=models.F("lunch_end")),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class TourDay(models.Model):
    """A day the bus runs in a plan."""

    plan = models.ForeignKey(TourPlan, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    week = models.PositiveSmallIntegerField(_("semaine"), help_text=_("Numéro de la semaine dans le plan, depuis 0."))
    departure = models.TimeField(_("départ du dépôt"), null=True, blank=True)
    return_time = models.TimeField(_("retour au dépôt"), null=True, blank=True)

    class Meta:
        verbose_name = _("jour de tournée")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["plan", "date"], name="tourday_unique_date")]

    def __str__(self):
        return f"{self.date:%d/%m/%Y}"


class VisitQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(day__plan__organisation=organisation)

    def published(self):
        return self.filter(day__plan__published_at__isnull=False)


class Visit(models.Model):
    """A stop served on a tour day, at a position in the day's route, with its times."""

    day = models.ForeignKey(TourDay, on_delete=models.CASCADE, related_name="visits")
    stop = models.ForeignKey(Stop, on_delete=models.PROTECT, related_name="visits")
    position = models.PositiveSmallIntegerField(_("ordre dans la journée"))
    arrival = models.TimeField(_("arrivée"), null=True, blank=True)
    start = models.TimeField(_("ouverture"))
    end = models.TimeField(_("fermeture"))

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("passage")
        ordering = ["day__date", "position"]
        constraints = [
            models.UniqueConstraint(fields=["day", "stop"], name="visit_once_per_day"),
            models.CheckConstraint(name="visit_start_before_end", condition=Q(start__lt=models.F("end"))),
        ]

    def __str__(self):
        return f"{self.stop} · {self.day}"


class AppointmentQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(visit__day__plan__organisation=organisation)

    def booked(self):
        return self.filter(status=AppointmentStatus.BOOKED)


class Appointment(models.Model):
    """A slot booked at a visit of the bus, by a resident online or by staff for them.

    Only what is needed to welcome the person is kept: a name to call them by, and a phone number if they
    want to be called back. The confirmation code lets a resident cancel without an account.
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.TimeField(_("heure du rendez-vous"))
    ends_at = models.TimeField(_("fin du rendez-vous"))
    name = models.CharField(_("nom"), max_length=100)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    topic = models.CharField(_("objet"), max_length=20, choices=VisitTopic.choices)
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agency_appointments",
        verbose_name=_("ménage"),
    )
    code = models.CharField(_("code de confirmation"), max_length=12, unique=True, default=new_confirmation_code)
    status = models.CharField(
        _("état"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide quand l'habitant a réservé lui-même en ligne."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("rendez-vous")
        ordering = ["visit__day__date", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "starts_at"],
                condition=Q(status=AppointmentStatus.BOOKED),
                name="appointment_one_booking_per_slot",
            ),
            models.CheckConstraint(
                name="appointment_start_before_end", condition=Q(starts_at__lt=models.F("ends_at"))
            ),
        ]

    def __str__(self):
        return f"{self.code} · {self.starts_at:%H:%M}"

    @property
    def audit_organisation_id(self):
        return self.visit.day.plan.organisation_id


class VisitLog(models.Model):
    """What happened at a visit: people met (named households and an anonymous count)."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="log")
    anonymous_count = models.PositiveSmallIntegerField(_("personnes accueillies sans être identifiées"), default=0)
    anonymous_topics = models.JSONField(_("sujets abordés (accueil anonyme)"), default=list, blank=True)
    note = models.CharField(_("remarque"), max_length=500, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compte rendu de passage")

    def __str__(self):
        return str(self.visit)

    @property
    def audit_organisation_id(self):
        return self.visit.day.plan.organisation_id


class VisitContact(models.Model):
    """A household met at a visit: the topics and the follow-up, mirrored in its interaction history."""

    log = models.ForeignKey(VisitLog, on_delete=models.CASCADE, related_name="contacts")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="agency_contacts")
    topics = models.JSONField(_("sujets abordés"), default=list)
    follow_up = models.CharField(_("suite donnée"), max_length=10, choices=FollowUp.choices, default=FollowUp.NONE)
    interaction = models.OneToOneField(
        "households.Interaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ménage rencontré")
        constraints = [models.UniqueConstraint(fields=["log", "household"], name="visitcontact_once_per_visit")]

    def __str__(self):
        return f"{self.household} · {self.log}"

    @property
    def audit_organisation_id(self):
        return self.household.organisation_id
