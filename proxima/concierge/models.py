"""The solidarity concierge: requests from any inhabitant, loans of items, office hours and their appointments,
activities and their registrations.

The concierge is open to every inhabitant, tenant or not. A tenant is linked to their household, so the contact
goes into the household's interaction history (``households.Interaction``); anyone else is a name and a way to
reach them back, nothing more (RGPD, art. 5.1.c). Writes go through ``proxima.concierge.services``.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proxima.agency.models import new_confirmation_code
from proxima.concierge import rules
from proxima.concierge.enums import (
    ActivityKind,
    AppointmentStatus,
    ItemKind,
    PlaceKind,
    ReceivedVia,
    RegistrationStatus,
    RequestAction,
    RequestKind,
    RequestStatus,
)


def contact_given(name: str) -> models.CheckConstraint:
    """An inhabitant can be reached back: through their household's record, or a phone number or an e-mail."""
    return models.CheckConstraint(
        name=name,
        condition=Q(household__isnull=False) | ~Q(phone="") | ~Q(email=""),
        violation_error_message=_("Indiquez un téléphone ou une adresse e-mail pour recontacter la personne."),
    )


class Inhabitant(models.Model):
    """Who a request, a loan, an appointment or a registration is for: a household, or a named inhabitant."""

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ménage"),
        help_text=_("Pour un locataire : le contact rejoint l'historique de son ménage."),
    )
    name = models.CharField(_("nom"), max_length=100, help_text=_("Le nom par lequel appeler la personne."))
    phone = models.CharField(
        _("téléphone"), max_length=30, blank=True, help_text=_("Seulement pour la recontacter à ce sujet.")
    )
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Seulement pour la recontacter à ce sujet."))

    class Meta:
        abstract = True


class ConciergeSettings(models.Model):
    """How the organisation's concierge presents itself to inhabitants: one row per organisation."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_settings"
    )
    name = models.CharField(_("nom de la conciergerie"), max_length=200, default="Conciergerie solidaire")
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    opening_hours = models.CharField(
        _("horaires d'ouverture"),
        max_length=300,
        blank=True,
        help_text=_("Par exemple : du lundi au vendredi, 9 h – 12 h."),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    accepts_online_requests = models.BooleanField(
        _("demandes en ligne"), default=True, help_text=_("Les habitants peuvent faire une demande sur le site.")
    )

    class Meta:
        verbose_name = _("réglages de la conciergerie")

    def __str__(self):
        return self.name

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class ConciergeRequestQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def open(self):
        return self.filter(status__in=rules.OPEN_STATUSES)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class ConciergeRequest(Inhabitant):
    """A request to the concierge, from a tenant or any other inhabitant, in person, by phone or online."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_requests"
    )
    code = models.CharField(
        _("code de suivi"),
        max_length=12,
        unique=True,
        default=new_confirmation_code,
        help_text=_("Donné à l'habitant : il suit ou annule sa demande en ligne avec ce code, sans compte."),
    )
    kind = models.CharField(_("type de demande"), max_length=20, choices=RequestKind.choices)
    received_via = models.CharField(_("reçue"), max_length=10, choices=ReceivedVia.choices)
    received_at = models.DateTimeField(_("reçue le"), default=timezone.now)
    description = models.CharField(
        _("la demande"),
        max_length=1000,
        blank=True,
        help_text=_("Ce qui est demandé, en quelques mots : pas de détail sur la vie de la personne."),
    )
    status = models.CharField(_("état"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW)
    assigned_to = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attribuée à"),
    )
    due_on = models.DateField(_("échéance"))
    outcome = models.CharField(_("résultat"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide quand l'habitant a fait sa demande lui-même en ligne."),
    )

    objects = ConciergeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande à la conciergerie")
        verbose_name_plural = _("demandes à la conciergerie")
        ordering = ["due_on", "received_at", "id"]
        constraints = [
            contact_given("conciergerequest_contact_given"),
            models.CheckConstraint(
                name="conciergerequest_closed_at_iff_closed",
                condition=Q(status__in=rules.CLOSED_STATUSES, closed_at__isnull=False)
                | Q(status__in=rules.OPEN_STATUSES, closed_at__isnull=True),
            ),
            models.CheckConstraint(
                name="conciergerequest_outcome_when_done",
                condition=~Q(status=RequestStatus.DONE) | ~Q(outcome=""),
                violation_error_message=_("Dites ce qui a été fait avant de clore la demande."),
            ),
        ]
        indexes = [
            # The concierge's list: open requests by due date, filtered by kind or assignee.
            models.Index(fields=["organisation", "status", "due_on"], name="conciergerequest_queue"),
            models.Index(fields=["organisation", "kind", "status", "due_on"], name="conciergerequest_kind"),
            models.Index(fields=["assigned_to", "status", "due_on"], name="conciergerequest_assignee"),
            models.Index(fields=["organisation", "-received_at"], name="conciergerequest_received"),
        ]

    def __str__(self):
        return f"{self.code} · {self.get_kind_display()}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        return rules.is_overdue(self.status, self.due_on, today)


class RequestLog(models.Model):
    """One event of a request: its reception, each change of status, each assignment (who, when, from, to)."""

    request = models.ForeignKey(ConciergeRequest, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(_("action"), max_length=10, choices=RequestAction.choices)
    from_status = models.CharField(_("état avant"), max_length=12, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(_("état après"), max_length=12, choices=RequestStatus.choices)
    by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
        help_text=_("Vide quand l'habitant a agi lui-même en ligne."),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    note = models.CharField(_("précision"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("événement d'une demande")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.request.code} · {self.get_action_display()}"


class ItemQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def active(self):
        return self.filter(is_active=True)


class Item(models.Model):
    """An item the concierge lends: a tool, an appliance, a game or toy of the toy library."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_items")
    reference = models.CharField(
        _("numéro d'inventaire"), max_length=30, help_text=_("Inscrit sur l'objet, par exemple PERC-01.")
    )
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=ItemKind.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    loan_days = models.PositiveSmallIntegerField(
        _("durée du prêt (jours)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    is_active = models.BooleanField(
        _("prêtable"), default=True, help_text=_("Décochez un objet perdu ou hors d'usage.")
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("objet prêté")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="item_unique_reference",
                violation_error_message=_("Un autre objet porte déjà ce numéro d'inventaire."),
            ),
            models.CheckConstraint(name="item_loan_days_range", condition=Q(loan_days__gte=1, loan_days__lte=90)),
        ]

    def __str__(self):
        return f"{self.name} ({self.reference})"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class LoanQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def out(self):
        return self.filter(returned_on__isnull=True)

    def overdue(self, today):
        return self.out().filter(due_on__lt=today)


class Loan(Inhabitant):
    """An item lent to an inhabitant, until it comes back."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_loans")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans", verbose_name=_("objet"))
    lent_on = models.DateField(_("prêté le"))
    due_on = models.DateField(_("à rendre le"))
    returned_on = models.DateField(_("rendu le"), null=True, blank=True)
    return_note = models.CharField(
        _("état au retour"), max_length=200, blank=True, help_text=_("Par exemple : rendu complet, lame émoussée.")
    )
    lent_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    returned_to = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = LoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("prêt")
        ordering = ["-lent_on", "-id"]
        constraints = [
            contact_given("loan_contact_given"),
            # Two staff lending the same drill at once: the second save fails, and the service says why.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(returned_on__isnull=True),
                name="loan_one_open_per_item",
                violation_error_message=_("Cet objet est déjà prêté : enregistrez d'abord son retour."),
            ),
            models.CheckConstraint(name="loan_due_after_lent", condition=Q(due_on__gte=models.F("lent_on"))),
            models.CheckConstraint(
                name="loan_returned_after_lent",
                condition=Q(returned_on__isnull=True) | Q(returned_on__gte=models.F("lent_on")),
            ),
        ]
        indexes = [models.Index(fields=["organisation", "returned_on", "due_on"], name="loan_out_by_due")]

    def __str__(self):
        return f"{self.item} · {self.lent_on:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    def is_overdue(self, today) -> bool:
        return self.returned_on is None and self.due_on < today


class OfficeHoursQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def upcoming(self, today):
        return self.filter(date__gte=today)

    def public(self):
        return self.filter(is_public=True)


class OfficeHours(models.Model):
    """A session of office hours (permanence): a date and hours at the concierge, an office or a bus stop."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_office_hours"
    )
    title = models.CharField(
        _("intitulé"), max_length=200, help_text=_("Ce que l'habitant y trouve, par exemple « Aide aux démarches ».")
    )
    place_kind = models.CharField(_("lieu"), max_length=15, choices=PlaceKind.choices, default=PlaceKind.CONCIERGE)
    stop = models.ForeignKey(
        "agency.Stop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="office_hours",
        verbose_name=_("arrêt de l'agence mobile"),
    )
    place = models.CharField(_("adresse ou repère"), max_length=255, blank=True)
    date = models.DateField(_("date"))
    start = models.TimeField(_("début"))
    end = models.TimeField(_("fin"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("durée d'un rendez-vous (minutes)"), default=20, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    held_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenue par"),
    )
    is_public = models.BooleanField(
        _("réservable en ligne"),
        default=True,
        help_text=_("Les habitants voient la permanence et prennent rendez-vous."),
    )

    objects = OfficeHoursQuerySet.as_manager()

    class Meta:
        verbose_name = _("permanence")
        ordering = ["date", "start", "id"]
        constraints = [
            models.CheckConstraint(name="officehours_start_before_end", condition=Q(start__lt=models.F("end"))),
            models.CheckConstraint(
                name="officehours_stop_iff_mobile_agency",
                condition=Q(place_kind=PlaceKind.MOBILE_AGENCY, stop__isnull=False)
                | (~Q(place_kind=PlaceKind.MOBILE_AGENCY) & Q(stop__isnull=True)),
                violation_error_message=_("Choisissez l'arrêt de l'agence mobile, et seulement pour ce type de lieu."),
            ),
            models.CheckConstraint(
                name="officehours_slot_minutes_range", condition=Q(slot_minutes__gte=5, slot_minutes__lte=120)
            ),
        ]
        indexes = [models.Index(fields=["organisation", "date"], name="officehours_by_date")]

    def __str__(self):
        return f"{self.title} · {self.date:%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id

    @property
    def where(self) -> str:
        """The place as an inhabitant reads it."""
        if self.stop_id:
            return ", ".join(filter(None, [self.stop.name, self.place or self.stop.address]))
        return self.place or str(self.get_place_kind_display())


class OfficeAppointmentQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(office_hours__organisation=organisation)

    def booked(self):
        return self.filter(status=AppointmentStatus.BOOKED)


class OfficeAppointment(Inhabitant):
    """A slot booked at office hours, by the inhabitant online or by staff for them.

    As at the bus (``agency.Appointment``): a name to welcome the person, a way to reach them if they wish,
    and a confirmation code to cancel without an account.
    """

    office_hours = models.ForeignKey(OfficeHours, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.TimeField(_("heure du rendez-vous"))
    ends_at = models.TimeField(_("fin du rendez-vous"))
    topic = models.CharField(_("objet"), max_length=200, blank=True)
    code = models.CharField(_("code de confirmation"), max_length=12, unique=True, default=new_confirmation_code)
    status = models.CharField(
        _("état"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    attended = models.BooleanField(_("venu"), null=True, blank=True)
    booked_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    interaction = models.OneToOneField(
        "households.Interaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OfficeAppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("rendez-vous de permanence")
        ordering = ["office_hours__date", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["office_hours", "starts_at"],
                condition=Q(status=AppointmentStatus.BOOKED),
                name="officeappointment_one_booking_per_slot",
            ),
            models.CheckConstraint(
                name="officeappointment_start_before_end", condition=Q(starts_at__lt=models.F("ends_at"))
            ),
        ]

    def __str__(self):
        return f"{self.code} · {self.starts_at:%H:%M}"

    @property
    def audit_organisation_id(self):
        return OfficeHours.objects.values_list("organisation_id", flat=True).get(pk=self.office_hours_id)


class ActivityQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def upcoming(self, now):
        return self.filter(ends_at__gte=now)


class Activity(models.Model):
    """An activity or event (outing, sport, workshop, gathering) with a number of places."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="concierge_activities"
    )
    title = models.CharField(_("intitulé"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=ActivityKind.choices)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    place = models.CharField(_("lieu"), max_length=255)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveSmallIntegerField(
        _("nombre de places"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activité")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(name="activity_start_before_end", condition=Q(starts_at__lt=models.F("ends_at"))),
            models.CheckConstraint(name="activity_capacity_range", condition=Q(capacity__gte=1, capacity__lte=1000)),
        ]
        indexes = [models.Index(fields=["organisation", "starts_at"], name="activity_by_start")]

    def __str__(self):
        return f"{self.title} · {timezone.localtime(self.starts_at):%d/%m/%Y}"

    @property
    def audit_organisation_id(self):
        return self.organisation_id


class RegistrationQuerySet(models.QuerySet):
    def for_organisation(self, organisation):
        return self.filter(activity__organisation=organisation)

    def active(self):
        return self.exclude(status=RegistrationStatus.CANCELLED)


class Registration(Inhabitant):
    """A household or a named inhabitant registered to an activity, with the places they take."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    places = models.PositiveSmallIntegerField(
        _("nombre de places"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    status = models.CharField(_("état"), max_length=10, choices=RegistrationStatus.choices)
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    registered_at = models.DateTimeField(_("inscrit le"), default=timezone.now)
    registered_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    interaction = models.OneToOneField(
        "households.Interaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        ordering = ["registered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "household"],
                condition=Q(household__isnull=False) & ~Q(status=RegistrationStatus.CANCELLED),
                name="registration_once_per_household",
                violation_error_message=_("Ce ménage est déjà inscrit à cette activité."),
            ),
            models.CheckConstraint(name="registration_places_range", condition=Q(places__gte=1, places__lte=10)),
            models.CheckConstraint(
                name="registration_attended_if_confirmed",
                condition=Q(attended__isnull=True) | Q(status=RegistrationStatus.CONFIRMED),
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.activity.title}"

    @property
    def audit_organisation_id(self):
        return Activity.objects.values_list("organisation_id", flat=True).get(pk=self.activity_id)
