"""The form of the needs-versus-offer page: the territory level, filters and the rules' thresholds."""

from django import forms

from proxima.needs.enums import Need
from proxima.offer import gaps

LEVEL_CHOICES = [(gaps.COMMUNE, "Commune"), (gaps.EPCI, "EPCI"), (gaps.SITE, "Résidence")]
SHOW_CHOICES = [("gaps", "Les manques seulement"), ("all", "Tout, couvert compris")]


class GapForm(forms.Form):
    """The territory level, filters and the rules' thresholds of the needs-versus-offer page (all in the URL)."""

    level = forms.ChoiceField(label="Territoire", choices=LEVEL_CHOICES, required=False)
    need = forms.ChoiceField(
        label="Besoin",
        required=False,
        choices=[("", "Tous"), *((code, label) for code, label in Need.choices if gaps.NEED_THEMES[code])],
    )
    show = forms.ChoiceField(label="Afficher", choices=SHOW_CHOICES, required=False)
    distance = forms.FloatField(
        label="Portée d'un service (km)",
        min_value=0.5,
        max_value=200,
        required=False,
        help_text=f"À vol d'oiseau, de la résidence au lieu du service. Par défaut {gaps.GapParams.max_distance_km:g} km.",
    )
    min_days = forms.IntegerField(
        label="Jours d'ouverture attendus par semaine",
        min_value=0,
        max_value=7,
        required=False,
        help_text=f"Par défaut {gaps.GapParams.min_open_days}.",
    )
    capacity_percent = forms.IntegerField(
        label="Part des ménages concernés à accueillir en même temps (%)",
        min_value=1,
        max_value=100,
        required=False,
        help_text="Par défaut 100 % : la capacité doit couvrir tous les ménages concernés à portée.",
    )

    def params(self) -> gaps.GapParams:
        """The thresholds asked, the defaults for those left empty (call after ``is_valid``)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        defaults = gaps.GapParams()
        return gaps.GapParams(
            max_distance_km=data.get("distance") or defaults.max_distance_km,
            min_open_days=data["min_days"] if data.get("min_days") is not None else defaults.min_open_days,
            capacity_share=(data["capacity_percent"] / 100)
            if data.get("capacity_percent")
            else defaults.capacity_share,
        )

    def value(self, name: str, default: str) -> str:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get(name) or default
