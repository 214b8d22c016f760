import datetime as dt

from django import forms

from proxima.accounts.models import User
from proxima.households.enums import ConsentChannel
from proxima.households.models import Household
from proxima.outreach.enums import AlertLevel, AlertStatus, ConsentState, ContactKind, ContactOutcome, EndReason
from proxima.outreach.models import Programme
from proxima.outreach.services import partner_organisations, referent_candidates, staff_assignees, volunteers

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.email
        return f"{name} ({obj.organisation.name})" if obj.organisation.kind == "partner" else name


def _not_in_future(day: dt.date) -> dt.date:
    if day > dt.date.today():
        raise forms.ValidationError("La date ne peut pas être dans le futur.")
    return day


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "description",
            "call_every_days",
            "visit_every_days",
            "retry_days",
            "referent",
            "referent_after_failures",
            "partner",
            "partner_after_failures",
            "partner_after_days",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["referent"] = UserChoiceField(
            label="Référent",
            queryset=referent_candidates(organisation),
            required=False,
            empty_label="Les administrateurs",
            help_text=self.fields["referent"].help_text,
        )
        self.fields["partner"].queryset = partner_organisations()
        self.fields["partner"].empty_label = "Aucun partenaire"


class EnrolForm(forms.Form):
    """One household enrolled by hand, found by its lease reference; its consent when it has just been given."""

    reference = forms.CharField(label="Référence du bail", max_length=50)
    consent_given = forms.BooleanField(
        label="La personne accepte les appels et visites de convivialité du programme", required=False
    )
    consent_given_on = forms.DateField(label="Accord donné le", required=False, widget=DATE_WIDGET)
    consent_channel = forms.ChoiceField(
        label="Accord recueilli par", choices=[("", "—"), *ConsentChannel.choices], required=False
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        household = Household.objects.for_organisation(self.organisation).filter(reference=reference).first()
        if household is None:
            raise forms.ValidationError(f"Aucun ménage de votre organisme n'a la référence de bail « {reference} ».")
        self.household = household
        return reference

    def clean_consent_given_on(self):
        day = self.cleaned_data["consent_given_on"]
        return _not_in_future(day) if day else day

    def clean(self):
        data = super().clean()
        if data.get("consent_given"):
            if not data.get("consent_given_on"):
                self.add_error("consent_given_on", "Indiquez la date de l'accord.")
            if not data.get("consent_channel"):
                self.add_error("consent_channel", "Indiquez comment l'accord a été recueilli.")
        return data


class BulkEnrolForm(forms.Form):
    households = forms.TypedMultipleChoiceField(
        label="Ménages à inscrire", coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidate_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = [(pk, str(pk)) for pk in candidate_ids]
        self.fields["households"].error_messages["required"] = "Cochez au moins un ménage à inscrire."
        self.fields["households"].error_messages["invalid_choice"] = (
            "Un des ménages cochés n'est plus à inscrire : rechargez la page."
        )


class ConsentForm(forms.Form):
    given_on = forms.DateField(label="Accord donné le", initial=dt.date.today, widget=DATE_WIDGET)
    channel = forms.ChoiceField(label="Recueilli par", choices=ConsentChannel.choices)

    def clean_given_on(self):
        return _not_in_future(self.cleaned_data["given_on"])


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label="Type de contact", choices=ContactKind.choices)
    every_days = forms.IntegerField(label="Tous les (jours)", min_value=1, max_value=180, initial=7)
    assignee = UserChoiceField(
        label="Assuré par", queryset=User.objects.none(), required=False, empty_label="À attribuer"
    )
    starts_on = forms.DateField(label="À partir du", initial=dt.date.today, widget=DATE_WIDGET)

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (staff_assignees(programme.organisation) | volunteers(programme)).order_by(
            "organisation__kind", "last_name", "first_name", "email"
        )


class EndForm(forms.Form):
    on = forms.DateField(label="Fin du suivi le", initial=dt.date.today, widget=DATE_WIDGET)
    reason = forms.ChoiceField(label="Motif", choices=EndReason.choices)
    note = forms.CharField(label="Précision", max_length=200, required=False)

    def clean_on(self):
        return _not_in_future(self.cleaned_data["on"])


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label="Type de contact", choices=ContactKind.choices)
    outcome = forms.ChoiceField(label="Résultat", choices=ContactOutcome.choices, widget=forms.RadioSelect)
    contacted_on = forms.DateField(label="Date du contact", initial=dt.date.today, widget=DATE_WIDGET)
    note = forms.CharField(
        label="Remarque",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Courte et factuelle : ce qui a été convenu, pas le contenu de l'échange (500 caractères au plus).",
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, label) for k, label in ContactKind.choices if k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = next(iter(kinds))

    def clean_contacted_on(self):
        return _not_in_future(self.cleaned_data["contacted_on"])


class AlertTransitionForm(forms.Form):
    status = forms.ChoiceField(
        label="Nouvel état",
        choices=[(AlertStatus.ACKNOWLEDGED, "Je la prends en charge"), (AlertStatus.RESOLVED, "Résolue")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ce qui est fait ou a été fait (obligatoire pour résoudre). Pas de détail médical.",
    )


class EnrolmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Suivi",
        required=False,
        choices=[("", "En cours"), ("ended", "Terminés"), ("all", "Tous")],
    )
    consent = forms.ChoiceField(label="Accord", required=False, choices=[("", "Tous"), *ConsentState.choices])
    q = forms.CharField(label="Nom ou référence du bail", required=False, max_length=100)


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Non résolues"), *AlertStatus.choices, ("all", "Toutes")],
    )
    level = forms.ChoiceField(label="Niveau", required=False, choices=[("", "Tous"), *AlertLevel.choices])
