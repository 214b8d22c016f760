import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.enums import BillingMode
from proxima.billing.models import BilledService, ChargeRule, CollectiveAgreement
from proxima.territory.models import Site


class BilledServiceForm(forms.ModelForm):
    """A service's billing; the framework's refusal is shown on the form, with its rule and reference."""

    cost_code = forms.ChoiceField(label="Poste de la liste des charges récupérables", required=False)

    class Meta:
        model = BilledService
        fields = [
            "name",
            "provider",
            "mode",
            "cost_type",
            "cost_code",
            "to_verify_confirmed",
            "agreement",
            "charge_code",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["agreement"].queryset = CollectiveAgreement.objects.for_organisation(organisation)
        choices = [("", "— aucun (pas une charge récupérable) —")]
        for heading, label in services.charge_list().headings.items():
            entries = [e for e in services.charge_list().entries if e.heading == heading]
            choices.append(
                (
                    f"{heading}. {label}",
                    [(e.code, f"{e.label}{' (à vérifier)' if e.to_verify else ''}") for e in entries],
                )
            )
        self.fields["cost_code"].choices = choices

    def clean_name(self):
        name = self.cleaned_data["name"]
        others = BilledService.objects.for_organisation(self.instance.organisation).filter(name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise ValidationError("Un service porte déjà ce nom.")
        return name

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode is None:
            return data
        if mode != BillingMode.RECOVERABLE_CHARGE:
            data["cost_code"] = ""  # only a recoverable charge rests on the list
        if mode != BillingMode.COLLECTIVE_AGREEMENT:
            data["agreement"] = None
        self.instance.cost_code = data.get("cost_code") or ""
        self.instance.agreement = data.get("agreement")
        self.instance.mode = mode
        self.instance.to_verify_confirmed = data.get("to_verify_confirmed", False)
        check = services.check_service(self.instance, today=timezone.localdate())
        for refusal in check.refusals:
            self.add_error("mode", f"{refusal.message} Référence : {refusal.reference}.")
        self.check = check
        return data


class ChargeRuleForm(forms.ModelForm):
    class Meta:
        model = ChargeRule
        fields = ["amount", "basis", "valid_from", "valid_until", "sites"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "sites": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.service = service
        self.instance.organisation_id = service.organisation_id
        self.fields["sites"].queryset = Site.objects.for_organisation(service.organisation_id)

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "La fin doit suivre le début de la règle.")
        if data.get("amount") is not None and data["amount"] < 0:
            self.add_error("amount", "Le montant mensuel ne peut être négatif.")
        return data


class CollectiveAgreementForm(forms.ModelForm):
    class Meta:
        model = CollectiveAgreement
        fields = ["reference", "title", "signed_on", "valid_from", "valid_until", "sites"]
        widgets = {
            "signed_on": forms.DateInput(attrs={"type": "date"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "sites": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["sites"].queryset = Site.objects.for_organisation(organisation)

    def clean_reference(self):
        reference = self.cleaned_data["reference"]
        others = CollectiveAgreement.objects.for_organisation(self.instance.organisation).filter(reference=reference)
        if others.exclude(pk=self.instance.pk).exists():
            raise ValidationError("Un accord porte déjà cette référence.")
        return reference

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "La fin de l'accord doit suivre son entrée en vigueur.")
        return data


class MonthForm(forms.Form):
    month = forms.CharField(
        label="Mois à facturer",
        help_text="Au format AAAA-MM, par exemple 2026-11.",
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self):
        try:
            return Month.parse(self.cleaned_data["month"])
        except ValueError:
            raise ValidationError("Mois attendu au format AAAA-MM, par exemple 2026-11.") from None


def default_month(today: dt.date) -> str:
    return f"{today.year:04d}-{today.month:02d}"
