import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from proxima.billing import services
from proxima.billing.amounts import Month
from proxima.billing.enums import BillingMode, CostType
from proxima.billing.models import BilledService, ChargeRule, CollectiveAgreement
from proxima.households.enums import ConsentChannel
from proxima.households.models import Household
from proxima.territory.models import Site


def cost_code_choices() -> list:
    """The entries of the legal list, grouped by heading (I to VIII), those to verify said so."""
    charge_list = services.charge_list()
    choices = [("", "— aucun (pas une charge récupérable) —")]
    for heading, label in charge_list.headings.items():
        entries = [e for e in charge_list.entries if e.heading == heading]
        choices.append(
            (f"{heading}. {label}", [(e.code, f"{e.label}{' (à vérifier)' if e.to_verify else ''}") for e in entries])
        )
    return choices


def refusal_text(refusal) -> str:
    return f"{refusal.message} Référence : {refusal.reference}."


class BilledServiceForm(forms.ModelForm):
    """A service's billing; the framework's refusal is shown on the form, with its rule and reference.

    A catalogue service's billed service takes its name and mode from the catalogue (set there only).
    """

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
        self.fields["cost_code"].choices = cost_code_choices()
        if self.instance.offer_service_id is not None:
            for name in ("name", "mode"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Réglé dans le catalogue des services."

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
            self.add_error("mode", refusal_text(refusal))
        self.check = check
        return data


class BillingSettingsForm(forms.Form):
    """The billing part of a catalogue service's form: what a mode the landlord bills rests on.

    Rendered inside the catalogue's form (prefix ``facturation``) and checked with the mode chosen there:
    ``check`` runs the framework's rules and gives the refusals to show on the mode.
    """

    cost_type = forms.ChoiceField(
        label="Nature de la dépense", choices=CostType.choices, initial=CostType.OPERATION, required=False
    )
    cost_code = forms.ChoiceField(
        label="Poste de la liste des charges récupérables",
        required=False,
        help_text="Charge récupérable seulement : le poste de l'annexe du décret n° 82-955.",
    )
    to_verify_confirmed = forms.BooleanField(
        label="Règle à vérifier confirmée",
        required=False,
        help_text="Pour un poste marqué « à vérifier » : j'ai vérifié le texte en vigueur et l'applique.",
    )
    agreement = forms.ModelChoiceField(
        label="Accord collectif",
        queryset=CollectiveAgreement.objects.none(),
        required=False,
        help_text="Accord collectif seulement : l'accord qui fonde la facturation (référence, date, résidences).",
    )
    charge_code = forms.CharField(
        label="Code de charge du bailleur",
        max_length=30,
        required=False,
        help_text="Le code de cette charge dans le logiciel de gestion locative, repris dans l'export.",
    )
    existing = forms.ModelChoiceField(
        label="Service facturé existant",
        queryset=BilledService.objects.none(),
        required=False,
        help_text="Pour rattacher ce service à un service déjà facturé (ses règles et abonnements suivent). "
        "Vide : un service facturé est créé à son nom.",
    )

    def __init__(self, *args, organisation, billed: BilledService | None = None, **kwargs):
        if billed is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "cost_type": billed.cost_type,
                "cost_code": billed.cost_code,
                "to_verify_confirmed": billed.to_verify_confirmed,
                "agreement": billed.agreement_id,
                "charge_code": billed.charge_code,
            }
        super().__init__(*args, **kwargs)
        self.billed = billed
        self.fields["cost_code"].choices = cost_code_choices()
        self.fields["agreement"].queryset = CollectiveAgreement.objects.for_organisation(organisation)
        if billed is None:
            self.fields["existing"].queryset = BilledService.objects.for_organisation(organisation).filter(
                offer_service__isnull=True
            )
        else:
            del self.fields["existing"]

    def settings(self) -> services.BillingSettings:
        data = self.cleaned_data
        return services.BillingSettings(
            cost_type=data["cost_type"] or CostType.OPERATION,
            cost_code=data["cost_code"],
            to_verify_confirmed=data["to_verify_confirmed"],
            agreement=data["agreement"],
            charge_code=data["charge_code"],
            existing=data.get("existing"),
        )

    def check(self, offer_service, *, today: dt.date):
        """The framework's check of ``offer_service`` (its mode set) on these settings; None if it bills nothing."""
        return services.check_catalogue_service(offer_service, self.settings(), today=today)


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
            "signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
        if data.get("signed_on") and data["signed_on"] > timezone.localdate():
            self.add_error("signed_on", "Un accord ne peut être signé un jour à venir.")
        return data


def _not_in_future(day: dt.date, what: str) -> dt.date:
    if day > timezone.localdate():
        raise ValidationError(f"{what} ne peut être un jour à venir ({day:%d/%m/%Y}).")
    return day


class SubscriptionForm(forms.Form):
    """A household's consent to an optional subscription: the household by its lease, the day and the channel."""

    reference = forms.CharField(label="Référence du bail", max_length=50, help_text="Par exemple BAIL-000123.")
    consent_given_on = forms.DateField(
        label="Consentement donné le", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    consent_channel = forms.ChoiceField(label="Recueilli par", choices=ConsentChannel.choices)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        household = Household.objects.for_organisation(self.organisation).filter(reference=reference).first()
        if household is None:
            raise ValidationError(f"Aucun ménage de l'organisme n'a le bail « {reference} ».")
        return household

    def clean_consent_given_on(self):
        return _not_in_future(self.cleaned_data["consent_given_on"], "Le consentement")


class HouseholdSubscriptionForm(forms.Form):
    """A household's consent, recorded from its billing page: the service, the day and the channel."""

    service = forms.ModelChoiceField(label="Abonnement", queryset=BilledService.objects.none())
    consent_given_on = forms.DateField(
        label="Consentement donné le", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    consent_channel = forms.ChoiceField(label="Recueilli par", choices=ConsentChannel.choices)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = BilledService.objects.for_organisation(organisation).filter(
            mode=BillingMode.SUBSCRIPTION
        )

    def clean_consent_given_on(self):
        return _not_in_future(self.cleaned_data["consent_given_on"], "Le consentement")


class EndSubscriptionForm(forms.Form):
    ended_on = forms.DateField(
        label="Résilié le",
        help_text="Jour du retrait du consentement : l'abonnement est facturé jusqu'à la veille.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ExitForm(forms.Form):
    left_on = forms.DateField(
        label="Date de sortie",
        required=False,
        help_text="Dernier jour d'occupation du logement : le dernier mois est facturé au prorata. "
        "Laissez vide et enregistrez pour effacer une date saisie par erreur.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def form_errors(form) -> str:
    """A form's errors in one sentence, each after its field's label (for the small forms of a page)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label} : {' '.join(errors)}" if label else " ".join(errors))
    return " ; ".join(parts)


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
