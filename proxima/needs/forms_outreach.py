import datetime as dt
from decimal import Decimal

from django import forms

from proxima.accounts.enums import Role
from proxima.accounts.models import User
from proxima.households.enums import InteractionChannel
from proxima.needs.enums import OutreachOutcome, OutreachReason
from proxima.needs.models import Survey
from proxima.needs.outreach_services import field_agents
from proxima.territory.models import Site


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class OutreachFilterForm(forms.Form):
    """Filters of the outreach list. A field agent's list is always their own sites: no agent filter."""

    site = forms.ModelChoiceField(
        label="Résidence", queryset=Site.objects.none(), required=False, empty_label="Toutes"
    )
    agent = AgentChoiceField(
        label="Agent de terrain", queryset=User.objects.none(), required=False, empty_label="Tous"
    )
    reason = forms.ChoiceField(label="Motif", required=False, choices=[("", "Tous"), *OutreachReason.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.visible_to(user).order_by("name", "pk")
        if user.role == Role.FIELD_AGENT:
            del self.fields["agent"]
        else:
            self.fields["agent"].queryset = field_agents(user.organisation)


class OutreachContactForm(forms.Form):
    outcome = forms.ChoiceField(label="Résultat du contact", choices=OutreachOutcome.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(label="Canal", choices=InteractionChannel.choices, initial=InteractionChannel.PHONE)
    contacted_on = forms.DateField(
        label="Date du contact", initial=dt.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label="Remarque",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Courte et factuelle : ce qui a été convenu, pas le contenu de l'échange (500 caractères au plus).",
    )

    def clean_contacted_on(self):
        contacted_on = self.cleaned_data["contacted_on"]
        if contacted_on > dt.date.today():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return contacted_on


class OutreachSettingsForm(forms.Form):
    no_contact_months = forms.IntegerField(
        label="Sans contact depuis (mois)",
        min_value=1,
        max_value=120,
        error_messages={
            "min_value": "Saisissez un nombre de mois entre 1 et 120.",
            "max_value": "Saisissez un nombre de mois entre 1 et 120.",
        },
        help_text="Un ménage sans contact enregistré depuis ce nombre de mois est signalé (de 1 à 120).",
    )
    far_km = forms.DecimalField(
        label="Loin des services au-delà de (km)",
        min_value=Decimal("0.1"),
        max_value=Decimal("999.9"),
        max_digits=5,
        decimal_places=1,
        localize=True,
        error_messages={
            "min_value": "Saisissez une distance entre 0,1 et 999,9 km.",
            "max_value": "Saisissez une distance entre 0,1 et 999,9 km.",
            "max_decimal_places": "Saisissez la distance avec un chiffre après la virgule au plus.",
        },
        help_text="Distance à vol d'oiseau de la résidence à l'espace France services le plus proche, "
        "par exemple 10 ou 12,5.",
    )
    survey = forms.ModelChoiceField(
        label="Enquête de référence",
        queryset=Survey.objects.none(),
        required=False,
        empty_label="Aucune",
        help_text="Ses réponses (isolement, difficultés, mobilité) et ses non-répondants alimentent la liste.",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.for_organisation(organisation)


class SiteAgentsForm(forms.Form):
    """Which field agents cover each site: one group of checkboxes per site (fields ``site_<id>``)."""

    def __init__(self, *args, sites, agents, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites, self.agents, self.current = list(sites), list(agents), current
        choices = [(str(agent.pk), agent.get_full_name() or agent.email) for agent in self.agents]
        for site in self.sites:
            self.fields[f"site_{site.pk}"] = forms.MultipleChoiceField(
                label=site.name, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            )

    def rows(self):
        """(site, [(agent, checked, input id)]) for the table of the settings page."""
        for site in self.sites:
            if self.is_bound:
                chosen = {int(v) for v in self.data.getlist(f"site_{site.pk}") if v.isdigit()}
            else:
                chosen = self.current.get(site.pk, set())
            yield site, [(agent, agent.pk in chosen, f"site-{site.pk}-agent-{agent.pk}") for agent in self.agents]

    def coverage(self) -> dict[int, list[int]]:
        return {site.pk: [int(v) for v in self.cleaned_data[f"site_{site.pk}"]] for site in self.sites}
