from django import forms

from proxima.territory.enums import DwellingKind, DwellingStatus, Financing

YES_NO = [("", "Tous"), ("oui", "Oui"), ("non", "Non")]


class SiteFilterForm(forms.Form):
    q = forms.CharField(label="Rechercher", required=False, help_text="Nom, référence ou commune")
    commune = forms.CharField(label="Code INSEE de la commune", required=False, max_length=5)
    low_demand = forms.ChoiceField(label="Territoire détendu (B2, C)", required=False, choices=YES_NO)


class DwellingFilterForm(forms.Form):
    q = forms.CharField(label="Référence", required=False)
    status = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous")] + DwellingStatus.choices)
    kind = forms.ChoiceField(label="Typologie", required=False, choices=[("", "Toutes")] + DwellingKind.choices)
    financing = forms.ChoiceField(label="Financement", required=False, choices=[("", "Tous")] + Financing.choices)
    site = forms.IntegerField(label="Résidence (n°)", required=False, widget=forms.HiddenInput)
