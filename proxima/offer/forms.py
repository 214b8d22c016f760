"""Forms of the offer's pages: a service, a partner and its contacts, an agreement, a bundle, the catalogue's filters."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from proxima.accounts.enums import OrganisationKind
from proxima.accounts.models import Organisation
from proxima.agency.models import Stop
from proxima.billing.forms import BillingSettingsForm, refusal_text
from proxima.billing.models import BilledService
from proxima.offer import reference
from proxima.offer.enums import OperatingMode, ServiceStatus, Weekday
from proxima.offer.models import Bundle, Partner, PartnershipAgreement, Service
from proxima.territory.models import Commune, Site

DAY_NAMES = {
    "lundi": 0,
    "lun": 0,
    "mardi": 1,
    "mar": 1,
    "mercredi": 2,
    "mer": 2,
    "jeudi": 3,
    "jeu": 3,
    "vendredi": 4,
    "ven": 4,
    "samedi": 5,
    "sam": 5,
    "dimanche": 6,
    "dim": 6,
}
_DAY = r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim)\.?"
HOURS_LINE = re.compile(rf"^\s*(?:du\s+)?{_DAY}(?:\s*(?:-|–|à|au)\s*{_DAY})?\s*:?\s*(.+?)\s*$", re.IGNORECASE)
SPAN = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?\s*(?:-|–|à)\s*(\d{1,2})\s*[:hH]\s*(\d{2})?$")
SELECT_HELP = "Ctrl (ou Cmd) + clic pour en choisir plusieurs."
DOCUMENT_EXTENSIONS = (".pdf", ".odt", ".doc", ".docx", ".jpg", ".jpeg", ".png")
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def parse_hours(text: str) -> list[tuple[int, dt.time, dt.time]]:
    """Weekly hours typed one day (or range of days) per line: ``mardi 14:00-17:00`` or
    ``du lundi au vendredi 9h-12h, 14h-17h``.

    Raises ``ValidationError`` naming the line that cannot be read and what was expected.
    """
    periods = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = HOURS_LINE.match(line)
        if match is None:
            raise ValidationError(
                f"Ligne {number} : « {line.strip()} » ne commence pas par un jour. "
                "Écrivez par exemple « mardi 14:00-17:00 » ou « du lundi au vendredi 9h-12h »."
            )
        first, last, spans = match.group(1).lower(), (match.group(2) or match.group(1)).lower(), match.group(3)
        start_day, end_day = DAY_NAMES[first], DAY_NAMES[last]
        if end_day < start_day:
            raise ValidationError(f"Ligne {number} : la plage de jours doit aller du premier au dernier jour.")
        for span in re.split(r"\s*(?:,|;|\bet\b)\s*", spans):
            found = SPAN.match(span.strip())
            if found is None:
                raise ValidationError(
                    f"Ligne {number} : « {span.strip()} » n'est pas un horaire. Écrivez par exemple 14:00-17:00."
                )
            h1, m1, h2, m2 = found.groups()
            h1, h2, m1, m2 = int(h1), int(h2), int(m1 or 0), int(m2 or 0)
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
                raise ValidationError(f"Ligne {number} : heure impossible dans « {span.strip()} ».")
            opens = dt.time(h1, m1)
            closes = dt.time(23, 59) if h2 == 24 else dt.time(h2, m2)
            if opens >= closes:
                raise ValidationError(f"Ligne {number} : « {span.strip()} » doit finir après son début.")
            periods.extend((day, opens, closes) for day in range(start_day, end_day + 1))
    return sorted(set(periods))


def format_hours(hours) -> str:
    """Hours as the form shows them: one line per day, ``mardi 14:00-17:00, 18:00-19:00``."""
    by_day: dict[int, list[str]] = {}
    for h in hours:
        by_day.setdefault(h.weekday, []).append(f"{h.opens:%H:%M}-{h.closes:%H:%M}")
    return "\n".join(f"{Weekday(day).label} {', '.join(spans)}" for day, spans in sorted(by_day.items()))


def parse_commune_codes(text: str) -> list[Commune]:
    """Communes typed as INSEE codes separated by commas, spaces or lines; names the unknown codes."""
    codes = [c for c in re.split(r"[\s,;]+", text.strip()) if c]
    if bad := [c for c in codes if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", c, re.IGNORECASE)]:
        raise ValidationError(f"Code INSEE mal formé : {', '.join(bad)} (5 caractères, par exemple 36044).")
    codes = [c.upper() for c in codes]
    communes = list(Commune.objects.filter(code__in=codes))
    if unknown := sorted(set(codes) - {c.code for c in communes}):
        raise ValidationError(f"Commune inconnue au Code officiel géographique 2026 : {', '.join(unknown)}.")
    return sorted(communes, key=lambda c: c.code)


def commune_from_code(text: str) -> Commune | None:
    communes = parse_commune_codes(text)
    if len(communes) > 1:
        raise ValidationError("Une seule commune ici.")
    return communes[0] if communes else None


def _codes_initial(communes) -> str:
    return ", ".join(c.code for c in communes)


class ServiceForm(forms.ModelForm):
    """A service of the catalogue, with its themes, publics, places and weekly hours."""

    themes = forms.MultipleChoiceField(
        label="Thèmes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Thématiques data·inclusion, et quelques thèmes propres aux bailleurs (non exportés).",
    )
    publics = forms.MultipleChoiceField(
        label="Publics",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="« Tous publics » seul, ou les publics visés.",
    )
    address_commune_code = forms.CharField(
        label="Code INSEE de la commune du lieu d'accueil", max_length=5, required=False
    )
    sites = forms.ModelMultipleChoiceField(
        label="Résidences", queryset=Site.objects.none(), required=False, help_text=SELECT_HELP
    )
    stops = forms.ModelMultipleChoiceField(
        label="Arrêts de l'agence mobile", queryset=Stop.objects.none(), required=False, help_text=SELECT_HELP
    )
    commune_codes = forms.CharField(
        label="Communes desservies (codes INSEE)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Séparés par des virgules, par exemple 36044, 36088. Les communes des résidences et des arrêts "
        "choisis comptent aussi.",
    )
    link = forms.URLField(label="Lien pour s'inscrire ou en savoir plus", required=False, assume_scheme="https")
    hours_text = forms.CharField(
        label="Horaires d'ouverture",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Un jour par ligne : « mardi 14:00-17:00 », « du lundi au vendredi 9h-12h, 14h-17h ». "
        "Vide : horaires non précisés.",
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "kind",
            "status",
            "partner",
            "operating_mode",
            "address",
            "in_person",
            "remote",
            "hours_details",
            "how_to_access",
            "conditions",
            "referral_only",
            "contact_phone",
            "contact_email",
            "link",
            "billing_mode",
            "price",
            "price_details",
            "capacity",
            "start_date",
            "end_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "how_to_access": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "operating_mode": forms.RadioSelect,
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        billed = (
            BilledService.objects.filter(offer_service=self.instance).select_related("agreement").first()
            if self.instance.pk
            else None
        )
        self.billing = BillingSettingsForm(
            self.data if self.is_bound else None, prefix="facturation", organisation=organisation, billed=billed
        )
        self.billing_check = None
        self.fields["billing_mode"].help_text = (
            "Charge récupérable, accord collectif, abonnement : le bailleur facture, selon les règles du cadre "
            "légal (voir « Facturation par le bailleur »)."
        )
        self.fields["themes"].choices = reference.theme_choices()
        self.fields["publics"].choices = reference.public_choices()
        self.fields["partner"].queryset = Partner.objects.for_organisation(organisation)
        self.fields["sites"].queryset = Site.objects.for_organisation(organisation).select_related("commune")
        self.fields["sites"].label_from_instance = lambda site: f"{site.name} ({site.commune.name})"
        self.fields["stops"].queryset = Stop.objects.for_organisation(organisation).active()
        self.fields["operating_mode"].choices = OperatingMode.choices
        if self.instance.pk:
            self.fields["themes"].initial = [t.code for t in self.instance.themes.all()]
            self.fields["publics"].initial = [p.code for p in self.instance.publics.all()]
            self.fields["sites"].initial = list(self.instance.sites.all())
            self.fields["stops"].initial = list(self.instance.stops.all())
            self.fields["commune_codes"].initial = _codes_initial(self.instance.communes.all())
            self.fields["hours_text"].initial = format_hours(self.instance.hours.all())
            if self.instance.address_commune_id:
                self.fields["address_commune_code"].initial = self.instance.address_commune_id

    def clean_publics(self):
        publics = self.cleaned_data["publics"]
        if "tous-publics" in publics and len(publics) > 1:
            raise ValidationError("« Tous publics » ne se combine pas avec d'autres publics.")
        return publics

    def clean_address_commune_code(self):
        return commune_from_code(self.cleaned_data["address_commune_code"])

    def clean_commune_codes(self):
        return parse_commune_codes(self.cleaned_data["commune_codes"])

    def clean_hours_text(self):
        return parse_hours(self.cleaned_data["hours_text"])

    def _post_clean(self):
        if "address_commune_code" in self.cleaned_data:
            self.instance.address_commune = self.cleaned_data["address_commune_code"]
        super()._post_clean()
        if not self.billing.is_valid():
            self.add_error(None, "Facturation par le bailleur : corrigez les champs signalés.")
        elif "billing_mode" in self.cleaned_data and "billing_mode" not in self.errors:
            # The same rules as the billing pages (proxima.billing.rules): each refusal at the mode, with its
            # rule and reference.
            self.billing_check = self.billing.check(self.instance, today=timezone.localdate())
            for refusal in self.billing_check.refusals if self.billing_check else ():
                self.add_error("billing_mode", refusal_text(refusal))

    def relations(self) -> dict:
        """The keyword arguments of ``create_service`` / ``update_service`` besides the fields."""
        data = self.cleaned_data
        return {
            "themes": data["themes"],
            "publics": data["publics"],
            "hours": data["hours_text"],
            "sites": data["sites"],
            "communes": data["commune_codes"],
            "stops": data["stops"],
            "billing": self.billing.settings(),
        }

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["address_commune"] = self.cleaned_data["address_commune_code"]
        return values


class ServiceFilterForm(forms.Form):
    """The catalogue's filters, read from the query string."""

    q = forms.CharField(label="Nom ou description", required=False)
    theme = forms.ChoiceField(label="Thème", required=False)
    public = forms.ChoiceField(label="Public", required=False)
    commune = forms.CharField(label="Commune (code INSEE)", max_length=5, required=False)
    mode = forms.ChoiceField(label="Rôle du bailleur", required=False)
    status = forms.ChoiceField(label="État", required=False)
    partner = forms.ModelChoiceField(label="Partenaire", queryset=Partner.objects.none(), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        categories = [
            (
                "Catégories",
                [(code, f"{label} (toute la catégorie)") for code, label in reference.category_choices()],
            )
        ]
        self.fields["theme"].choices = [("", "Tous les thèmes"), *categories, *reference.theme_choices()]
        self.fields["public"].choices = [("", "Tous les publics"), *reference.public_choices()]
        self.fields["mode"].choices = [("", "Tous les rôles"), *OperatingMode.choices]
        self.fields["status"].choices = [("", "Tous les états"), *ServiceStatus.choices]
        self.fields["partner"].queryset = Partner.objects.for_organisation(organisation)
        self.fields["partner"].empty_label = "Tous les partenaires"

    def clean_commune(self):
        code = self.cleaned_data["commune"].strip()
        return commune_from_code(code) if code else None


class PartnerForm(forms.ModelForm):
    """A partner, with the themes and communes it covers, and the Proxima account its users log in with."""

    networks = forms.MultipleChoiceField(
        label="Réseaux", required=False, help_text="France services, CCAS-CIAS, CAF… " + SELECT_HELP
    )
    themes = forms.MultipleChoiceField(label="Thèmes couverts", required=False, widget=forms.CheckboxSelectMultiple)
    commune_code = forms.CharField(label="Code INSEE de la commune de l'adresse", max_length=5, required=False)
    commune_codes = forms.CharField(
        label="Communes couvertes (codes INSEE)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Séparés par des virgules, par exemple 36044, 36088.",
    )
    website = forms.URLField(label="Site web", required=False, assume_scheme="https")
    account_slug = forms.SlugField(
        label="Identifiant de son compte Proxima",
        required=False,
        help_text="Si le partenaire a un compte Proxima, son identifiant : ses utilisateurs verront ce qui lui est adressé.",
    )

    class Meta:
        model = Partner
        fields = ["name", "kind", "siret", "description", "address", "phone", "email", "website", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["networks"].choices = reference.network_choices()
        self.fields["networks"].widget.attrs["size"] = 8
        self.fields["themes"].choices = reference.theme_choices()
        if self.instance.pk:
            self.fields["networks"].initial = self.instance.networks
            self.fields["themes"].initial = [t.code for t in self.instance.themes.all()]
            self.fields["commune_codes"].initial = _codes_initial(self.instance.communes.all())
            self.fields["commune_code"].initial = self.instance.commune_id or ""
            self.fields["account_slug"].initial = self.instance.account.slug if self.instance.account_id else ""

    def clean_commune_code(self):
        return commune_from_code(self.cleaned_data["commune_code"])

    def clean_commune_codes(self):
        return parse_commune_codes(self.cleaned_data["commune_codes"])

    def clean_account_slug(self):
        slug = self.cleaned_data["account_slug"]
        if not slug:
            return None
        account = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNER).first()
        if account is None:
            raise ValidationError(f"Aucune organisation partenaire d'identifiant « {slug} » dans Proxima.")
        return account

    def _post_clean(self):
        data = self.cleaned_data
        if "commune_code" in data:
            self.instance.commune = data["commune_code"]
        if "account_slug" in data:
            self.instance.account = data["account_slug"]
        if "networks" in data:
            self.instance.networks = data["networks"]
        super()._post_clean()

    def values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in self.Meta.fields}
        values.update(commune=data["commune_code"], account=data["account_slug"], networks=data["networks"])
        return values


class PartnerContactForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Nom", max_length=150, required=False)
    role = forms.CharField(label="Fonction", max_length=150, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)

    def clean(self):
        data = super().clean()
        filled = any(data.get(name) for name in ("role", "email", "phone"))
        if filled and not data.get("name") and not data.get("DELETE"):
            self.add_error("name", "Indiquez le nom du contact.")
        return data


PartnerContactFormSet = forms.formset_factory(PartnerContactForm, extra=1, can_delete=True)


class AgreementForm(forms.ModelForm):
    document = forms.FileField(
        label="Convention signée",
        required=False,
        help_text="PDF, ODT, Word ou image, 10 Mo au plus. Un nouveau fichier remplace le précédent.",
    )

    class Meta:
        model = PartnershipAgreement
        fields = [
            "object",
            "start_date",
            "end_date",
            "renewal",
            "alert_days",
            "amount",
            "amount_period",
            "amount_details",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document is None:
            return None
        if not document.name.lower().endswith(DOCUMENT_EXTENSIONS):
            raise ValidationError(
                f"« {document.name} » : seuls les fichiers {', '.join(DOCUMENT_EXTENSIONS)} sont acceptés."
            )
        if document.size > DOCUMENT_MAX_BYTES:
            raise ValidationError(f"« {document.name} » dépasse 10 Mo.")
        return document

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class YesNoAnyField(forms.NullBooleanField):
    widget = forms.Select(choices=[("unknown", "indifférent"), ("true", "oui"), ("false", "non")])


class BundleForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        label="Services du bouquet",
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sites = forms.ModelMultipleChoiceField(
        label="Résidences", queryset=Site.objects.none(), required=False, help_text=SELECT_HELP
    )
    commune_codes = forms.CharField(
        label="Communes (codes INSEE)",
        required=False,
        help_text="Séparés par des virgules. Résidences et communes s'ajoutent : un ménage de l'une ou de l'autre.",
    )
    lives_alone = YesNoAnyField(label="Vit seul")
    has_car = YesNoAnyField(label="Dispose d'une voiture")

    class Meta:
        model = Bundle
        fields = [
            "name",
            "description",
            "holder_age_min",
            "holder_age_max",
            "arrears_min_amount",
            "arrears_min_months",
            "lives_alone",
            "has_car",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["services"].queryset = Service.objects.for_organisation(organisation).exclude(
            status=ServiceStatus.ENDED
        )
        self.fields["sites"].queryset = Site.objects.for_organisation(organisation).select_related("commune")
        self.fields["sites"].label_from_instance = lambda site: f"{site.name} ({site.commune.name})"
        if self.instance.pk:
            self.fields["services"].queryset = (
                Service.objects.for_organisation(organisation)
                .filter(~Q(status=ServiceStatus.ENDED) | Q(bundles=self.instance))
                .distinct()
            )
            self.fields["services"].initial = list(self.instance.services.all())
            self.fields["sites"].initial = list(self.instance.sites.all())
            self.fields["commune_codes"].initial = _codes_initial(self.instance.communes.all())

    def clean_commune_codes(self):
        return parse_commune_codes(self.cleaned_data["commune_codes"])

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def relations(self) -> dict:
        data = self.cleaned_data
        return {"services": data["services"], "sites": data["sites"], "communes": data["commune_codes"]}
