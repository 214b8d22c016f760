"""Forms of the referrals: sending, answering, filtering, and the delays to answer."""

import datetime as dt

from django import forms

from proxima.households.enums import ConsentChannel, InteractionChannel
from proxima.needs.enums import Need
from proxima.offer.enums import ReferralStatus, RefusalReason
from proxima.offer.models import Partner, ReferralSettings, Service
from proxima.territory.models import Commune

NEED_CHOICES = [("", "Non précisé"), *Need.choices]
CHANNEL_HELP = "Comment la demande a été faite ou le besoin repéré."
REASON_HELP = (
    "Ce que la personne attend du service, en une ou deux phrases factuelles (500 caractères au plus). "
    "Le partenaire le lit : rien d'autre sur sa situation."
)


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.partner.name}"


class _ReferralForm(forms.Form):
    service = ServiceChoiceField(label="Service du partenaire", queryset=Service.objects.none())
    need = forms.ChoiceField(label="Besoin", choices=NEED_CHOICES, required=False)
    reason = forms.CharField(
        label="Motif de l'orientation", max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text=REASON_HELP
    )
    person_name = forms.CharField(
        label="Nom de la personne à contacter", max_length=150, help_text="Transmis au partenaire."
    )
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    channel = forms.ChoiceField(
        label="Contact à l'origine", choices=InteractionChannel.choices, help_text=CHANNEL_HELP
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services

    def clean(self):
        data = super().clean()
        if not data.get("phone", "").strip() and not data.get("email", "").strip() and not self.has_error("email"):
            self.add_error(
                "phone", "Indiquez un téléphone ou un e-mail : le partenaire doit pouvoir joindre la personne."
            )
        return data


class HouseholdReferralForm(_ReferralForm):
    """Orient a household: its contact is prefilled from its lease holder, and may be changed (another member)."""


class PersonReferralForm(_ReferralForm):
    """Orient a person who is not a tenant: their consent is recorded on the referral itself."""

    commune = forms.CharField(
        label="Code INSEE de sa commune",
        max_length=5,
        required=False,
        help_text="Cinq caractères, par exemple 36044 pour Châteauroux. Aide le partenaire à situer la personne.",
    )
    consent = forms.BooleanField(
        label="La personne accepte que ses coordonnées et le motif soient transmis au partenaire",
        error_messages={"required": "Sans l'accord de la personne, l'orientation n'est pas envoyée."},
    )
    consent_given_on = forms.DateField(
        label="Accord donné le", initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    consent_channel = forms.ChoiceField(label="Accord recueilli", choices=ConsentChannel.choices)

    field_order = [
        "person_name",
        "phone",
        "email",
        "commune",
        "service",
        "need",
        "reason",
        "channel",
        "consent",
        "consent_given_on",
        "consent_channel",
    ]

    def clean_commune(self):
        code = self.cleaned_data["commune"].strip()
        if not code:
            return None
        commune = Commune.objects.filter(code=code).first()
        if commune is None:
            raise forms.ValidationError(f"Aucune commune n'a le code INSEE « {code} ».")
        return commune

    def clean_consent_given_on(self):
        given_on = self.cleaned_data["consent_given_on"]
        if given_on > dt.date.today():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return given_on


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Remarque",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Facultative, courte et factuelle.",
    )


class RefuseForm(forms.Form):
    reason = forms.ChoiceField(label="Raison du refus", choices=RefusalReason.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label="Précisions",
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoires pour « autre raison ».",
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == RefusalReason.OTHER and not data.get("details", "").strip():
            self.add_error("details", "Précisez la raison du refus.")
        return data


class AbandonForm(forms.Form):
    reason = forms.CharField(
        label="Raison de l'abandon",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Par exemple : la personne a déménagé, ne souhaite plus le service, reste injoignable.",
    )


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label="État", required=False, choices=[("", "Tous"), *ReferralStatus.choices])
    partner = forms.ModelChoiceField(
        label="Partenaire", queryset=Partner.objects.none(), required=False, empty_label="Tous"
    )
    need = forms.ChoiceField(label="Besoin", required=False, choices=[("", "Tous"), *Need.choices])
    sent_from = forms.DateField(
        label="Envoyée à partir du", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sent_to = forms.DateField(label="Envoyée jusqu'au", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label="N° ou référence du bail", required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.for_organisation(organisation).order_by("name", "pk")


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label="État", required=False, choices=[("", "Tous"), *ReferralStatus.choices])


class DelaysForm(forms.Form):
    expiry_days = forms.IntegerField(
        label="Délai de réponse (jours)",
        min_value=1,
        max_value=90,
        help_text="Sans réponse du partenaire après ce délai, l'orientation expire.",
    )
    reminder_days = forms.IntegerField(
        label="Relance … jours avant l'expiration",
        min_value=0,
        max_value=60,
        help_text="Un e-mail rappelle au partenaire les orientations sans réponse. 0 : pas de relance.",
    )

    def clean(self):
        data = super().clean()
        expiry, reminder = data.get("expiry_days"), data.get("reminder_days")
        if expiry is not None and reminder is not None and reminder >= expiry:
            self.add_error("reminder_days", "La relance doit partir avant l'expiration : moins de jours que le délai.")
        return data


class PartnerDelaysForm(DelaysForm):
    partner = forms.ModelChoiceField(label="Partenaire", queryset=Partner.objects.none())
    field_order = ["partner", "expiry_days", "reminder_days"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.for_organisation(organisation).order_by("name", "pk")
        self.fields["expiry_days"].initial = ReferralSettings.DEFAULT_EXPIRY_DAYS
        self.fields["reminder_days"].initial = ReferralSettings.DEFAULT_REMINDER_DAYS
