"""Forms of appointment booking: the resident's form, the staff's form, and the confirmation code."""

import datetime as dt
import re

from django import forms

from proxima.agency.appointments import Slot, normalise_code
from proxima.agency.enums import VisitTopic
from proxima.agency.models import CODE_LENGTH

# A French number (10 digits, 0X…) or an international one (+33 …); spaces, dots and dashes allowed.
PHONE_PATTERN = re.compile(r"^(?:\+\d{2,3}|0)\d{9}$")


class BookingForm(forms.Form):
    """What a resident gives to book a slot: a time, a name to be called by, an optional phone, a topic.

    Nothing else is asked: the agent welcomes the person at the bus; no account, no household lookup.
    """

    slot = forms.ChoiceField(
        label="Horaire",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un horaire.",
            "invalid_choice": "Cet horaire n'est plus libre. Choisissez-en un autre.",
        },
    )
    name = forms.CharField(
        label="Votre nom",
        help_text="Le nom que l'agent appellera, par exemple « Mme Martin ».",
        max_length=100,
        error_messages={"required": "Indiquez votre nom."},
    )
    phone = forms.CharField(
        label="Votre téléphone (facultatif)",
        help_text="Seulement si vous voulez être rappelé en cas de changement.",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    topic = forms.ChoiceField(
        label="Pour quoi venez-vous ?",
        choices=VisitTopic.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez l'objet du rendez-vous."},
    )

    def __init__(self, *args, slots: list[Slot], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(s.value, s.label) for s in slots if s.is_bookable]
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Indiquez votre nom.")
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        compact = re.sub(r"[\s.\-]", "", phone)
        if compact and not PHONE_PATTERN.match(compact):
            raise forms.ValidationError("Ce numéro ne semble pas complet : 10 chiffres, par exemple 06 12 34 56 78.")
        return phone

    def clean_slot(self):
        return dt.time.fromisoformat(self.cleaned_data["slot"])


class StaffBookingForm(BookingForm):
    """Booking for a resident on the phone or at the bus, optionally linked to their household."""

    household_reference = forms.CharField(
        label="Référence du bail (facultatif)",
        help_text="Pour retrouver ce rendez-vous dans l'historique du ménage.",
        max_length=50,
        required=False,
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.households = households
        self.fields["name"].label = "Nom de la personne"
        self.fields["name"].help_text = ""
        self.fields["phone"].label = "Téléphone (facultatif)"
        self.fields["phone"].help_text = ""
        self.fields["topic"].label = "Objet"

    def clean_household_reference(self):
        reference = self.cleaned_data["household_reference"].strip()
        if not reference:
            return None
        exact = self.households.filter(reference=reference).first()
        if exact is not None:
            return exact
        # Typed without the capitals: only when that designates one household (references are unique as written).
        matches = list(self.households.filter(reference__iexact=reference)[:2])
        if not matches:
            raise forms.ValidationError("Aucun ménage de vos résidences n'a cette référence de bail.")
        if len(matches) > 1:
            raise forms.ValidationError(
                "Plusieurs ménages ont cette référence aux majuscules près : saisissez-la exactement."
            )
        return matches[0]


class AppointmentCodeForm(forms.Form):
    """The confirmation code given when the appointment was booked."""

    code = forms.CharField(
        label="Code de votre rendez-vous",
        help_text=f"{CODE_LENGTH} lettres et chiffres, donnés quand vous avez pris rendez-vous.",
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": 12}
        ),
        error_messages={"required": "Saisissez le code de votre rendez-vous."},
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])
