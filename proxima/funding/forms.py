"""Forms of the funding pages: the scheme search, a project and its budget by year, plan lines, applications."""

import re

from django import forms
from django.core.exceptions import ValidationError

from proxima.funding import alerts, services
from proxima.funding.enums import (
    TRANSITIONS,
    AlertFrequency,
    ApplicationStatus,
    Beneficiary,
    BudgetKind,
    ExpenseType,
    Stage,
)
from proxima.funding.models import Project, SavedSearch, Scheme
from proxima.territory.models import Commune, Department

MIN_YEAR, MAX_YEAR = 2000, 2100


class SchemeSearchForm(forms.Form):
    """The filters of the scheme search; every field optional."""

    department = forms.ChoiceField(label="Territoire (département)", required=False)
    theme = forms.ChoiceField(label="Thème", required=False)
    beneficiary = forms.ChoiceField(label="Bénéficiaire", required=False)
    deadline_before = forms.DateField(
        label="Date limite au plus tard le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    include_closed = forms.BooleanField(label="Inclure les dispositifs fermés et archivés", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("code").values_list("code", "name")
        self.fields["department"].choices = [("", "Tous")] + [(code, f"{code} · {name}") for code, name in departments]
        self.fields["theme"].choices = [("", "Tous")] + services.theme_choices()
        self.fields["beneficiary"].choices = [("", "Tous"), *Beneficiary.choices]

    def criteria(self) -> dict:
        """The criteria of a valid form, as ``alerts.search_schemes`` and saved searches read them."""
        data = dict(self.cleaned_data)
        if data.get("deadline_before"):
            data["deadline_before"] = data["deadline_before"].isoformat()
        return alerts.clean_criteria(data)


class SavedSearchForm(forms.ModelForm):
    class Meta:
        model = SavedSearch
        fields = ["name", "frequency"]
        labels = {"name": "Nom de la recherche", "frequency": "Recevoir une alerte"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency"].choices = AlertFrequency.choices


def parse_commune_codes(text: str) -> list[str]:
    """INSEE codes separated by spaces, commas or semicolons; every one must exist (else a French error)."""
    codes = [c for c in re.split(r"[\s,;]+", text.strip()) if c]
    if not codes:
        raise ValidationError("Indiquez au moins une commune (code INSEE, par exemple 36044).")
    known = set(Commune.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError(f"Codes INSEE inconnus : {', '.join(unknown)}.")
    return list(dict.fromkeys(codes))


class ProjectForm(forms.ModelForm):
    """A project's description; its communes are entered as INSEE codes (there are 35,000 communes)."""

    themes = forms.MultipleChoiceField(label="Thèmes", required=False, widget=forms.CheckboxSelectMultiple)
    commune_codes = forms.CharField(
        label="Communes (codes INSEE)",
        help_text="Séparés par des espaces ou des virgules, par exemple « 36044 36088 ».",
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "slug",
            "description",
            "themes",
            "stage",
            "beneficiary",
            "is_joint",
            "start_on",
            "request_on",
            "duration_months",
        ]
        widgets = {
            "start_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "request_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "slug": "Lettres minuscules, chiffres et tirets ; il sert aux adresses et à la ligne de commande."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = services.theme_choices()
        self.fields["stage"].choices = Stage.choices
        self.fields["beneficiary"].choices = Beneficiary.choices
        if self.instance.pk:
            del self.fields["slug"]  # addresses and the command line use it: it does not change
            self.fields["commune_codes"].initial = " ".join(
                sorted(self.instance.communes.values_list("code", flat=True))
            )

    def clean_commune_codes(self):
        return parse_commune_codes(self.cleaned_data["commune_codes"])

    def values(self) -> dict:
        """The project's fields for ``services.create_project`` / ``update_project``."""
        return {name: self.cleaned_data[name] for name in services.PROJECT_FIELDS}

    def validate_unique(self):
        pass  # the organisation is not a field: services.create_project checks the slug within it


class BudgetLineForm(forms.Form):
    year = forms.IntegerField(label="Année", min_value=MIN_YEAR, max_value=MAX_YEAR)
    # The first choice is the initial value, so an untouched extra row counts as unchanged (left out).
    kind = forms.ChoiceField(label="Poste", choices=BudgetKind.choices, initial=BudgetKind.STAFF)
    expense_type = forms.ChoiceField(
        label="Type de dépense", choices=ExpenseType.choices, initial=ExpenseType.OPERATING
    )
    label = forms.CharField(label="Libellé", max_length=200)
    fte = forms.DecimalField(label="ETP", required=False, min_value=0, max_digits=5, decimal_places=2)
    amount = forms.DecimalField(label="Montant (€)", min_value=0, max_digits=12, decimal_places=2)

    def clean(self):
        data = super().clean()
        if data.get("fte") is not None and data.get("kind") != BudgetKind.STAFF:
            self.add_error("fte", "Les ETP ne se donnent que pour une ligne de personnel.")
        return data


class BaseBudgetFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The filled lines (blank extra rows and rows marked for deletion left out)."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("Le budget compte au moins une ligne (année, poste, libellé, montant).")


BudgetFormSet = forms.formset_factory(BudgetLineForm, formset=BaseBudgetFormSet, extra=3, can_delete=True)


def budget_initial(project: Project) -> list[dict]:
    return [
        {
            "year": line.year,
            "kind": line.kind,
            "expense_type": line.expense_type,
            "label": line.label,
            "fte": line.fte,
            "amount": line.amount,
        }
        for line in project.budget_lines.all()
    ]


class PlanLineForm(forms.Form):
    scheme = forms.ModelChoiceField(label="Dispositif", queryset=Scheme.objects.not_archived())
    amount = forms.DecimalField(label="Montant prévu (€)", min_value=0.01, max_digits=12, decimal_places=2)


class AmountForm(forms.Form):
    amount = forms.DecimalField(label="Montant prévu (€)", min_value=0.01, max_digits=12, decimal_places=2)


class ApplicationForm(forms.Form):
    """Move an application to its next status, on a day, with the amount requested, obtained or paid."""

    to = forms.ChoiceField(label="Nouvel état")
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label="Montant (€)", required=False, max_digits=12, decimal_places=2)

    def __init__(self, *args, line, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[ApplicationStatus(line.status)]
        self.fields["to"].choices = [(s.value, s.label) for s in ApplicationStatus if s in allowed]
