import datetime as dt

from django import forms

from proxima.households.enums import ConsentChannel, ConsentPurpose
from proxima.territory.forms import YES_NO


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label="Référence du bail", required=False)
    commune = forms.CharField(label="Code INSEE de la commune", required=False, max_length=5)
    in_arrears = forms.ChoiceField(label="En impayé", required=False, choices=YES_NO)
    has_car = forms.ChoiceField(label="Voiture", required=False, choices=[*YES_NO, ("inconnu", "Inconnu")])
    site = forms.IntegerField(label="Résidence (n°)", required=False, widget=forms.HiddenInput)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label="Finalité", choices=ConsentPurpose.choices)
    given_on = forms.DateField(
        label="Date du consentement", initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(label="Recueilli", choices=ConsentChannel.choices)

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > dt.date.today():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return given_on
