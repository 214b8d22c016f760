from django import forms

from proxima.imports.kinds import LABELS

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="Que contient le fichier ?", choices=list(LABELS.items()), widget=forms.RadioSelect)
    file = forms.FileField(
        label="Fichier",
        help_text="CSV (séparateur ; ou ,) ou classeur Excel .xlsx, avec une ligne d'en-tête.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    mapping = forms.FileField(
        label="Correspondance des colonnes (facultatif)",
        required=False,
        help_text="Fichier .toml qui traduit les colonnes de l'export de votre logiciel de gestion.",
        widget=forms.ClearableFileInput(attrs={"accept": ".toml"}),
    )
    skip_invalid = forms.BooleanField(
        label="Importer les lignes valides même si d'autres sont en erreur",
        required=False,
        help_text="Sinon, une seule ligne invalide suffit à ne rien importer.",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("Fichier trop volumineux : 200 Mo au plus.")
        return file
