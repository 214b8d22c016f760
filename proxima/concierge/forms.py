"""Forms of the concierge: staff forms (requests, loans, office hours, activities) and the inhabitants' forms."""

import datetime as dt
import re

from django import forms
from django.utils import timezone

from proxima.accounts import perms
from proxima.accounts.enums import OrganisationKind
from proxima.accounts.models import User
from proxima.agency.appointments import normalise_code
from proxima.agency.forms_booking import PHONE_PATTERN
from proxima.agency.models import CODE_LENGTH, Stop
from proxima.agency.public_schedule import french_time
from proxima.concierge.enums import ItemKind, ReceivedVia, RequestKind, RequestStatus
from proxima.concierge.models import Activity, ConciergeSettings, Item, OfficeHours
from proxima.households.enums import InteractionChannel

NO_CONTACT = (
    "Indiquez un téléphone ou une adresse e-mail pour recontacter la personne, "
    "ou la référence du bail si elle est locataire."
)
NO_CONTACT_PUBLIC = "Indiquez un téléphone ou une adresse e-mail : la conciergerie vous recontacte par ce moyen."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def clean_phone(phone: str) -> str:
    phone = phone.strip()
    if phone and not PHONE_PATTERN.match(re.sub(r"[\s.\-]", "", phone)):
        raise forms.ValidationError("Ce numéro ne semble pas complet : 10 chiffres, par exemple 06 12 34 56 78.")
    return phone


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


def concierge_staff(organisation):
    """The active users of the organisation who work at the concierge (the roles ``perms.can_view_concierge``
    admits): those a request or office hours can be given to."""
    return User.objects.filter(
        organisation=organisation,
        organisation__kind=OrganisationKind.LANDLORD,
        is_active=True,
        role__in=perms.HOUSEHOLD_ROLES,
    ).order_by("last_name", "first_name", "email")


class InhabitantForm(forms.Form):
    """Who it is for: a tenant, found by their lease reference among the households the user sees, or anyone
    else by name with a phone or an e-mail (``require_contact``) to reach them back."""

    household_reference = forms.CharField(
        label="Référence du bail (locataire)",
        help_text="Facultatif : pour un locataire, le contact rejoint l'historique de son ménage.",
        max_length=50,
        required=False,
    )
    name = forms.CharField(label="Nom de la personne", max_length=100)
    phone = forms.CharField(
        label="Téléphone", max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(
        label="E-mail",
        required=False,
        error_messages={"invalid": "Cette adresse e-mail n'est pas complète, par exemple nom@exemple.fr."},
    )
    require_contact = True

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.households = households

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Indiquez le nom de la personne.")
        return name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean_household_reference(self):
        reference = self.cleaned_data["household_reference"].strip()
        if not reference:
            return None
        household = self.households.filter(reference__iexact=reference).first()
        if household is None:
            raise forms.ValidationError("Aucun ménage de vos résidences n'a cette référence de bail.")
        return household

    def clean(self):
        data = super().clean()
        if (
            self.require_contact
            and not self.has_error("phone")
            and not self.has_error("email")
            and not self.has_error("household_reference")
            and not (data.get("household_reference") or data.get("phone") or data.get("email"))
        ):
            self.add_error("phone", NO_CONTACT)
        return data

    def inhabitant(self) -> dict:
        data = self.cleaned_data
        return {
            "household": data["household_reference"],
            "name": data["name"],
            "phone": data["phone"],
            "email": data["email"],
        }


# Requests -----------------------------------------------------------------------------------------------------


class RequestForm(InhabitantForm):
    """A request taken at the counter or on the phone."""

    kind = forms.ChoiceField(label="Type de demande", choices=RequestKind.choices)
    received_via = forms.ChoiceField(
        label="Reçue",
        choices=[c for c in ReceivedVia.choices if c[0] != ReceivedVia.ONLINE],
        initial=ReceivedVia.IN_PERSON,
    )
    description = forms.CharField(
        label="La demande",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ce qui est demandé, en quelques mots : pas de détail sur la vie de la personne.",
    )
    due_on = forms.DateField(
        label="Échéance",
        required=False,
        widget=DateInput(),
        help_text="Vide : le délai habituel du type de demande (de 1 jour pour le pain à 2 semaines pour une réparation).",
    )
    assigned_to = StaffChoiceField(
        label="Attribuée à", queryset=User.objects.none(), required=False, empty_label="Personne"
    )
    field_order = [
        "kind",
        "received_via",
        "description",
        "household_reference",
        "name",
        "phone",
        "email",
        "due_on",
        "assigned_to",
    ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = concierge_staff(organisation)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on is not None and due_on < timezone.localdate():
            raise forms.ValidationError("L'échéance ne peut pas être déjà passée.")
        return due_on


class RequestUpdateForm(InhabitantForm):
    """Correct a request: what is asked, its due date, who asks."""

    kind = forms.ChoiceField(label="Type de demande", choices=RequestKind.choices)
    description = RequestForm.base_fields["description"]
    due_on = forms.DateField(label="Échéance", widget=DateInput())
    field_order = ["kind", "description", "due_on", "household_reference", "name", "phone", "email"]


class AssignForm(forms.Form):
    assigned_to = StaffChoiceField(
        label="Attribuée à", queryset=User.objects.none(), required=False, empty_label="Personne"
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = concierge_staff(organisation)


# The text each transition asks for, and whether it is required.
TRANSITION_TEXT = {
    "start": None,
    "resume": None,
    "hold": ("Ce qu'on attend", True),
    "complete": ("Ce qui a été fait", True),
    "cancel": ("Motif de l'annulation", False),
    "reopen": ("Pourquoi la rouvrir", True),
}
# What the button of each transition says.
ACTION_BUTTONS = {
    "start": "Prendre en charge",
    "hold": "Mettre en attente",
    "resume": "Reprendre",
    "complete": "Clore comme traitée",
    "cancel": "Annuler la demande",
    "reopen": "Rouvrir",
}
# Transitions that close the request: a contact with the inhabitant, by some channel.
CLOSING = {"complete", "cancel"}


class TransitionForm(forms.Form):
    """What a change of status asks: a few words for some, and how the inhabitant was told when it closes."""

    text = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(
        label="Habitant prévenu",
        choices=[
            (InteractionChannel.CONCIERGE, "à la conciergerie"),
            (InteractionChannel.PHONE, "par téléphone"),
            (InteractionChannel.EMAIL, "par e-mail"),
            (InteractionChannel.SMS, "par SMS"),
            (InteractionChannel.HOME_VISIT, "à domicile"),
        ],
        initial=InteractionChannel.CONCIERGE,
        required=False,
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        spec = TRANSITION_TEXT[action]
        if spec is None:
            del self.fields["text"]
        else:
            self.fields["text"].label, self.fields["text"].required = spec
        if action not in CLOSING:
            del self.fields["channel"]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        text_argument = {"hold": "reason", "complete": "outcome", "cancel": "reason", "reopen": "reason"}
        arguments = {}
        if self.action in text_argument:
            arguments[text_argument[self.action]] = data["text"]
        if self.action in CLOSING:
            arguments["channel"] = data["channel"] or InteractionChannel.CONCIERGE
        return arguments


class RequestFilterForm(forms.Form):
    """Filters of the concierge's list. The list starts with the open requests."""

    status = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Ouvertes (nouvelles, en cours, en attente)"), *RequestStatus.choices, ("all", "Toutes")],
    )
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "Tous"), *RequestKind.choices])
    assignee = forms.ChoiceField(label="Attribuée à", required=False)
    due = forms.ChoiceField(
        label="Échéance",
        required=False,
        choices=[
            ("", "Toutes"),
            ("overdue", "En retard"),
            ("today", "Aujourd'hui"),
            ("week", "Dans les 7 jours"),
        ],
    )
    received_via = forms.ChoiceField(label="Reçue", required=False, choices=[("", "Toutes"), *ReceivedVia.choices])
    q = forms.CharField(label="Code ou nom", required=False, max_length=100)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        staff = [(str(u.pk), u.get_full_name() or u.email) for u in concierge_staff(organisation)]
        self.fields["assignee"].choices = [("", "Tous"), ("me", "Moi"), ("none", "Personne"), *staff]


# Loans ----------------------------------------------------------------------------------------------------------


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ["reference", "name", "kind", "description", "loan_days", "is_active"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation


class LoanForm(InhabitantForm):
    item = forms.ModelChoiceField(label="Objet", queryset=Item.objects.none(), empty_label=None)
    lent_on = forms.DateField(label="Prêté le", initial=dt.date.today, widget=DateInput())
    due_on = forms.DateField(
        label="À rendre le",
        required=False,
        widget=DateInput(),
        help_text="Vide : la durée de prêt habituelle de l'objet, un jour ouvré.",
    )
    field_order = ["item", "household_reference", "name", "phone", "email", "lent_on", "due_on"]

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean_lent_on(self):
        lent_on = self.cleaned_data["lent_on"]
        if lent_on > timezone.localdate():
            raise forms.ValidationError("La date du prêt ne peut pas être dans le futur.")
        return lent_on

    def clean(self):
        data = super().clean()
        if data.get("due_on") and data.get("lent_on") and data["due_on"] < data["lent_on"]:
            self.add_error("due_on", "La date de retour prévue ne peut pas précéder la date du prêt.")
        return data


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label="Rendu le", initial=dt.date.today, widget=DateInput())
    note = forms.CharField(label="État au retour", max_length=200, required=False)


class LoanFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="Prêts",
        required=False,
        choices=[("", "En cours"), ("overdue", "En retard"), ("returned", "Rendus"), ("all", "Tous")],
    )
    kind = forms.ChoiceField(label="Type d'objet", required=False, choices=[("", "Tous"), *ItemKind.choices])


# Office hours ---------------------------------------------------------------------------------------------------


class OfficeHoursForm(forms.ModelForm):
    repeat_weeks = forms.IntegerField(
        label="Répéter chaque semaine pendant",
        min_value=1,
        max_value=26,
        initial=1,
        help_text="Nombre de semaines, la première comprise (1 : seulement cette date).",
    )

    class Meta:
        model = OfficeHours
        fields = [
            "title",
            "place_kind",
            "stop",
            "place",
            "date",
            "start",
            "end",
            "slot_minutes",
            "held_by",
            "is_public",
        ]
        widgets = {"date": DateInput(), "start": TimeInput(), "end": TimeInput()}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["stop"].queryset = Stop.objects.for_organisation(organisation).active().select_related("commune")
        self.fields["stop"].help_text = "Seulement pour une permanence à un arrêt du bus."
        self.fields["held_by"] = StaffChoiceField(
            label="Tenue par", queryset=concierge_staff(organisation), required=False, empty_label="Non précisé"
        )
        if self.instance.pk:
            del self.fields["repeat_weeks"]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            self.add_error("end", "La permanence doit finir après son début.")
        if data.get("date") and not self.instance.pk and data["date"] < timezone.localdate():
            self.add_error("date", "La date est déjà passée.")
        return data


class StaffBookingForm(InhabitantForm):
    """An appointment taken for an inhabitant at the counter or on the phone."""

    slot = forms.ChoiceField(label="Horaire", widget=forms.RadioSelect)
    topic = forms.CharField(label="Objet", max_length=200, required=False)
    received_via = forms.ChoiceField(
        label="Rendez-vous pris",
        choices=[c for c in ReceivedVia.choices if c[0] != ReceivedVia.ONLINE],
        initial=ReceivedVia.PHONE,
    )
    require_contact = False
    field_order = ["slot", "household_reference", "name", "phone", "topic", "received_via"]

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]
        self.fields["phone"].label = "Téléphone (facultatif)"
        self.fields["slot"].choices = [
            (s.starts_at.strftime("%H:%M"), f"{s.starts_at:%H:%M}") for s in slots if s.is_bookable
        ]

    def clean_slot(self):
        return dt.time.fromisoformat(self.cleaned_data["slot"])

    def inhabitant(self) -> dict:
        data = self.cleaned_data
        return {"household": data["household_reference"], "name": data["name"], "phone": data["phone"]}


# Activities -----------------------------------------------------------------------------------------------------


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["title", "kind", "description", "place", "starts_at", "ends_at", "capacity"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["starts_at"] >= data["ends_at"]:
            self.add_error("ends_at", "L'activité doit finir après son début.")
        return data


class RegistrationForm(InhabitantForm):
    places = forms.IntegerField(label="Nombre de places", min_value=1, max_value=10, initial=1)
    require_contact = False

    def inhabitant(self) -> dict:
        return {**super().inhabitant(), "places": self.cleaned_data["places"]}


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label="Présents", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (r.pk, f"{r.name} ({r.places} place{'s' if r.places > 1 else ''})") for r in registrations
        ]
        self.fields["present"].initial = [r.pk for r in registrations if r.attended]


# Settings and history -----------------------------------------------------------------------------------------


class ConciergeSettingsForm(forms.ModelForm):
    class Meta:
        model = ConciergeSettings
        fields = ["name", "address", "opening_hours", "phone", "accepts_online_requests"]

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


class HistoryFilterForm(forms.Form):
    channel = forms.ChoiceField(label="Canal", required=False, choices=[("", "Tous"), *InteractionChannel.choices])
    source = forms.ChoiceField(label="Origine", required=False)
    since = forms.DateField(label="Depuis le", required=False, widget=DateInput())
    until = forms.DateField(label="Jusqu'au", required=False, widget=DateInput())

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Toutes"), *((s, s) for s in sources)]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "La fin de la période précède son début.")
        return data


# Inhabitants' forms (public pages) -----------------------------------------------------------------------------


class PublicRequestForm(forms.Form):
    """What an inhabitant gives to ask the concierge: what for, a few words, a name, a way to be called back."""

    kind = forms.ChoiceField(
        label="Que demandez-vous ?",
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez ce que vous demandez."},
    )
    description = forms.CharField(
        label="En quelques mots (facultatif)",
        help_text="Par exemple : « 2 baguettes le mardi » ou « une perceuse pour samedi ».",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name = forms.CharField(
        label="Votre nom",
        help_text="Le nom que la conciergerie utilisera, par exemple « Mme Martin ».",
        max_length=100,
        error_messages={"required": "Indiquez votre nom."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label="Votre téléphone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="Ou votre adresse e-mail",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Cette adresse e-mail n'est pas complète, par exemple nom@exemple.fr."},
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Indiquez votre nom.")
        return name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if (
            not self.has_error("phone")
            and not self.has_error("email")
            and not (data.get("phone") or data.get("email"))
        ):
            self.add_error("phone", NO_CONTACT_PUBLIC)
        return data


class PublicBookingForm(forms.Form):
    """An appointment at office hours: a time, a name, an optional phone, what it is about."""

    slot = forms.ChoiceField(
        label="Horaire",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un horaire.",
            "invalid_choice": "Cet horaire n'est plus libre. Choisissez-en un autre.",
        },
    )
    name = PublicRequestForm.base_fields["name"]
    phone = forms.CharField(
        label="Votre téléphone (facultatif)",
        help_text="Seulement si vous voulez être rappelé en cas de changement.",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    topic = forms.CharField(
        label="Pour quoi venez-vous ? (facultatif)",
        help_text="Par exemple : « dossier de retraite ».",
        max_length=200,
        required=False,
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [
            (s.starts_at.strftime("%H:%M"), french_time(s.starts_at)) for s in slots if s.is_bookable
        ]

    clean_name = PublicRequestForm.clean_name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean_slot(self):
        return dt.time.fromisoformat(self.cleaned_data["slot"])


class CodeForm(forms.Form):
    """The code given when the request was sent or the appointment booked."""

    code = forms.CharField(
        label="Votre code",
        help_text=f"{CODE_LENGTH} lettres et chiffres, donnés avec votre demande ou votre rendez-vous.",
        max_length=30,
        error_messages={"required": "Saisissez votre code."},
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])
