from django import forms

from proxima.needs import bank
from proxima.needs.models import Survey
from proxima.territory.models import Commune, Site

# An XLSForm is a few dozen kilobytes; anything much larger is not a form.
MAX_FORM_SIZE = 5 * 1024 * 1024


class SurveyFromBankForm(forms.Form):
    title = forms.CharField(label="Titre de l'enquête", max_length=200)
    description = forms.CharField(
        label="Présentation aux habitants",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Quelques phrases simples : pourquoi cette enquête, ce que vous ferez des réponses.",
    )
    themes = forms.MultipleChoiceField(label="Thèmes entiers", required=False)
    questions = forms.MultipleChoiceField(label="Questions", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = bank.questions_by_theme()
        self.fields["themes"].choices = [(group.theme, group.label) for group in groups]
        self.fields["questions"].choices = [(q.name, q.label) for group in groups for q in group.questions]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("themes") and not cleaned.get("questions"):
            raise forms.ValidationError("Cochez au moins un thème ou une question.")
        return cleaned

    def bank_codes(self) -> set[str]:
        """The chosen questions: those ticked one by one and all those of the ticked themes."""
        themes = set(self.cleaned_data["themes"])
        codes = set(self.cleaned_data["questions"])
        for group in bank.questions_by_theme():
            if group.theme in themes:
                codes.update(question.name for question in group.questions)
        return codes


class SurveyEditForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title", "description", "sites", "communes"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "sites": forms.CheckboxSelectMultiple,
            "communes": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "sites": "Les ménages de ces résidences sont interrogés.",
            "communes": "Les ménages de toutes vos résidences de ces communes sont interrogés. "
            "Sans résidence ni commune cochée, l'enquête concerne tous vos ménages.",
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.for_organisation(organisation).select_related("commune")
        self.fields["sites"].label_from_instance = lambda site: f"{site.name} ({site.commune.name})"
        self.fields["communes"].queryset = Commune.objects.filter(sites__organisation=organisation).distinct()


class SurveyImportForm(forms.Form):
    file = forms.FileField(
        label="Formulaire XLSForm (.xlsx)",
        help_text="Un fichier de KoboToolbox, d'ODK ou exporté de Proxima, avec les feuilles survey, choices et settings.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    survey = forms.ModelChoiceField(
        label="Importer comme",
        queryset=Survey.objects.none(),
        required=False,
        empty_label="une nouvelle enquête",
        help_text="Ou comme nouvelle version d'une enquête existante : ses versions précédentes et leurs réponses ne changent pas.",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.for_organisation(organisation)
        self.fields["survey"].label_from_instance = lambda survey: f"nouvelle version de « {survey.title} »"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FORM_SIZE:
            raise forms.ValidationError(
                f"Le fichier fait {upload.size // 1024} Ko : un formulaire dépasse rarement {MAX_FORM_SIZE // 1024 // 1024} Mo."
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                "Déposez un classeur Excel .xlsx (un fichier .xls ou .csv s'enregistre en .xlsx depuis Excel ou LibreOffice)."
            )
        return upload
