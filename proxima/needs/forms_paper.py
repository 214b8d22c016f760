"""Forms of the paper channel: printing letters, and entering the paper questionnaires that come back."""

from django import forms

from proxima.needs.forms import EntryForm
from proxima.needs.invitations import normalise_code
from proxima.territory.models import Site

CONTACT_HELP = (
    "Imprimé dans le courrier, pour répondre avec l'équipe : un numéro de téléphone, des horaires, "
    "l'agence mobile… Par exemple « appelez Mme Durand au 02 54 00 00 00, du lundi au vendredi »."
)


class LetterOptionsForm(forms.Form):
    """What a batch of letters prints, and for whom."""

    site = forms.ModelChoiceField(
        label="Résidence",
        queryset=Site.objects.none(),
        required=False,
        empty_label="Toutes les résidences de l'enquête",
    )
    only_unanswered = forms.BooleanField(
        label="Seulement les ménages qui n'ont pas encore répondu (relance)", required=False
    )
    contact = forms.CharField(
        label="Pour répondre avec l'équipe", max_length=200, required=False, help_text=CONTACT_HELP
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class SingleLetterForm(forms.Form):
    """One household's letter, found by its lease reference."""

    reference = forms.CharField(label="Référence du bail", max_length=50)
    contact = forms.CharField(
        label="Pour répondre avec l'équipe", max_length=200, required=False, help_text=CONTACT_HELP
    )


class PaperCodeForm(forms.Form):
    """The code printed at the top of every page of a returned questionnaire."""

    code = forms.CharField(
        label="Code imprimé sur le questionnaire",
        help_text="8 lettres et chiffres, en haut à droite de chaque page. Appuyez sur Entrée pour continuer.",
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
                "size": 12,
            }
        ),
        error_messages={"required": "Saisissez le code imprimé sur le questionnaire."},
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])


class PaperEntryForm(EntryForm):
    """The date written on the returned form, and the id that makes a second submission harmless."""

    collected_on = forms.DateField(
        label="Date inscrite sur le questionnaire",
        help_text="Si le questionnaire n'est pas daté, la date où vous l'avez reçu.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Saisissez la date du questionnaire.", "invalid": "Saisissez une date valide."},
    )
