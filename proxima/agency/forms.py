"""Forms of the mobile agency's staff pages: stops, settings, plans and manual edits of a plan."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from proxima.agency.enums import PlanKind
from proxima.agency.models import AgencySettings, Stop, TourPlan
from proxima.territory.models import Commune, Site

WINDOW_LINE = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*[-–à]+\s*(\d{1,2})[:hH](\d{2})\s*$")
WEEKDAYS = [
    (0, "lundi"),
    (1, "mardi"),
    (2, "mercredi"),
    (3, "jeudi"),
    (4, "vendredi"),
    (5, "samedi"),
    (6, "dimanche"),
]


def parse_time_windows(text: str) -> list[list[str]]:
    """Windows typed one per line as ``09:00-12:00`` (or ``9h00 - 12h00``), as the JSON list the model keeps.

    Raises ``ValidationError`` naming the line that cannot be read, or a window that ends before it starts.
    """
    windows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = WINDOW_LINE.match(line)
        if match is None:
            raise ValidationError(
                f"Ligne {number} : « {line.strip()} » n'est pas un créneau. Écrivez par exemple 09:00-12:00."
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValidationError(f"Ligne {number} : heure impossible.")
        start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
        if start >= end:
            raise ValidationError(f"Ligne {number} : le créneau doit finir après son début.")
        windows.append([start, end])
    return sorted(windows)


def day_label(day) -> str:
    """« mardi 01/12/2026 (semaine 1) »: the choice label of a tour day."""
    return f"{date_format(day.date, 'l d/m/Y')} (semaine {day.week + 1})"


def format_time_windows(windows) -> str:
    return "\n".join(f"{start}-{end}" for start, end in windows or [])


class StopForm(forms.ModelForm):
    """A candidate stop. For one of the landlord's sites, its position and commune are the site's."""

    commune_code = forms.CharField(
        label="Code INSEE de la commune",
        max_length=5,
        required=False,
        help_text="Inutile pour une résidence : c'est celui de la résidence.",
    )
    windows = forms.CharField(
        label="Créneaux possibles",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Un créneau par ligne, heures entre lesquelles l'arrêt peut commencer, par exemple 09:00-12:00 "
        "(matin du marché). Vide : à toute heure de la journée.",
    )

    class Meta:
        model = Stop
        fields = [
            "name",
            "kind",
            "site",
            "address",
            "latitude",
            "longitude",
            "duration_minutes",
            "min_gap_weeks",
            "max_gap_weeks",
            "forcing",
            "services",
        ]
        widgets = {"services": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["site"].queryset = Site.objects.for_organisation(organisation).select_related("commune")
        self.fields["site"].label_from_instance = lambda site: f"{site.name} ({site.commune.name})"
        self.fields["site"].help_text = "Pour un arrêt au pied d'une de vos résidences."
        self.fields["latitude"].required = False
        self.fields["longitude"].required = False
        self.fields["latitude"].help_text = "Degrés décimaux, par exemple 46.8103. Vide pour une résidence."
        self.fields["longitude"].help_text = "Degrés décimaux, par exemple 1.6913. Vide pour une résidence."
        if self.instance.pk:
            self.fields["windows"].initial = format_time_windows(self.instance.time_windows)
            self.fields["commune_code"].initial = self.instance.commune.code

    def clean_windows(self):
        return parse_time_windows(self.cleaned_data["windows"])

    def clean(self):
        data = super().clean()
        site = data.get("site")
        code = (data.get("commune_code") or "").strip()
        if site is not None:
            data["commune"] = site.commune
            if data.get("latitude") is None or data.get("longitude") is None:
                data["latitude"], data["longitude"] = site.latitude, site.longitude
            others = Stop.objects.for_organisation(self.organisation).filter(site=site).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("site", "Cette résidence a déjà son arrêt.")
        else:
            commune = Commune.objects.filter(code=code).first() if code else None
            if commune is None:
                self.add_error(
                    "commune_code", "Indiquez le code INSEE (5 caractères) d'une commune, ou choisissez une résidence."
                )
            data["commune"] = commune
            for name in ("latitude", "longitude"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Indiquez la position de l'arrêt, ou choisissez une résidence.")
        if data.get("max_gap_weeks") and data.get("min_gap_weeks") and data["max_gap_weeks"] < data["min_gap_weeks"]:
            self.add_error(
                "max_gap_weeks",
                "« Au moins une fois toutes les … semaines » ne peut pas être plus court que « au plus une fois "
                "toutes les … semaines ».",
            )
        return data

    def _post_clean(self):
        data = self.cleaned_data
        if data.get("commune") is not None:
            self.instance.commune = data["commune"]
        if "windows" in data:
            self.instance.time_windows = data["windows"]
        self.instance.organisation = self.organisation
        super()._post_clean()


class AgencySettingsForm(forms.ModelForm):
    class Meta:
        model = AgencySettings
        fields = [
            "walking_radius_m",
            "weight_base",
            "weight_elderly_alone",
            "weight_no_car",
            "weight_far_from_services",
            "weight_arrears",
            "weight_survey_needs",
            "depot_name",
            "depot_latitude",
            "depot_longitude",
            "slot_minutes",
            "contact_phone",
        ]

    def clean(self):
        data = super().clean()
        for name in [f for f in self.Meta.fields if f.startswith("weight_")]:
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "Un poids ne peut pas être négatif.")
        lat, lon = data.get("depot_latitude"), data.get("depot_longitude")
        if (lat is None) != (lon is None):
            self.add_error("depot_longitude", "Indiquez la latitude et la longitude du dépôt, ou aucune des deux.")
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("depot_latitude", "Une latitude est comprise entre -90 et 90.")
        if lon is not None and not -180 <= lon <= 180:
            self.add_error("depot_longitude", "Une longitude est comprise entre -180 et 180.")
        return data


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PlanForm(forms.ModelForm):
    """A plan to compute, or the current schedule to enter by hand (``kind=manual``)."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Jours de tournée",
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[1, 2, 3],
    )

    class Meta:
        model = TourPlan
        fields = [
            "name",
            "start_date",
            "weeks",
            "weekdays",
            "day_start",
            "day_end",
            "lunch_start",
            "lunch_end",
            "time_limit",
            "seed",
            "compared_to",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "day_start": TimeInput(),
            "day_end": TimeInput(),
            "lunch_start": TimeInput(),
            "lunch_end": TimeInput(),
        }
        help_texts = {
            "time_limit": "Plus le calcul est long, meilleur est le plan (20 secondes suffisent souvent).",
            "seed": "Le même plan est recalculé à l'identique avec la même graine.",
        }

    def __init__(self, *args, organisation, kind=PlanKind.PLANNED, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.kind = kind
        self.fields["compared_to"].queryset = TourPlan.objects.for_organisation(organisation).filter(
            kind=PlanKind.MANUAL
        )
        self.fields["compared_to"].help_text = "La tournée que le bus fait aujourd'hui, saisie à la main."
        if not self.is_bound:
            self.fields["day_start"].initial = dt.time(8, 30)
            self.fields["day_end"].initial = dt.time(17, 30)
            self.fields["lunch_start"].initial = dt.time(12, 0)
            self.fields["lunch_end"].initial = dt.time(13, 30)
        if kind == PlanKind.MANUAL:
            for name in ("time_limit", "seed", "compared_to"):
                del self.fields[name]

    def clean_weekdays(self):
        return sorted(set(self.cleaned_data["weekdays"]))

    def clean(self):
        data = super().clean()
        start, end = data.get("day_start"), data.get("day_end")
        if start and end and start >= end:
            self.add_error("day_end", "Le retour au dépôt doit être après le départ.")
        lunch = data.get("lunch_start"), data.get("lunch_end")
        if (lunch[0] is None) != (lunch[1] is None):
            self.add_error("lunch_end", "Indiquez le début et la fin de la pause, ou aucun des deux.")
        elif lunch[0] and lunch[0] >= lunch[1]:
            self.add_error("lunch_end", "La pause doit finir après son début.")
        elif lunch[0] and start and end and not (start <= lunch[0] and lunch[1] <= end):
            self.add_error("lunch_start", "La pause doit tenir dans la journée.")
        return data

    def _post_clean(self):
        self.instance.organisation = self.organisation
        self.instance.kind = self.kind
        super()._post_clean()


class AddVisitForm(forms.Form):
    """Add a stop to a day of the plan, at a position (1 = first)."""

    stop = forms.ModelChoiceField(label="Arrêt", queryset=Stop.objects.none())
    day = forms.TypedChoiceField(label="Jour", coerce=int)
    position = forms.IntegerField(
        label="Position dans la journée", min_value=1, required=False, help_text="Vide : en fin de journée."
    )

    def __init__(self, *args, plan, days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stop"].queryset = Stop.objects.for_organisation(plan.organisation_id).active()
        self.fields["day"].choices = [(day.pk, day_label(day)) for day in days]


class MoveVisitForm(forms.Form):
    """Move a visit to another day and/or position."""

    day = forms.TypedChoiceField(label="Jour", coerce=int)
    position = forms.IntegerField(
        label="Position dans la journée", min_value=1, required=False, help_text="Vide : en fin de journée."
    )

    def __init__(self, *args, days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [(day.pk, day_label(day)) for day in days]
