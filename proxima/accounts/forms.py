from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from proxima.accounts.enums import ROLES_BY_KIND, AuditAction, Role
from proxima.accounts.models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
    }


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"), max_length=100, help_text=_("Par exemple : « Tableau de bord Power BI ».")
    )


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "is_active"]
        labels = {"is_active": _("Compte actif")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        allowed = ROLES_BY_KIND[organisation.kind]
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in allowed]
        if self.instance.pk is None:
            del self.fields["is_active"]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Toutes"))] + AuditAction.choices)
    target = forms.CharField(label=_("Objet (type ou identifiant)"), required=False)
    actor = forms.CharField(label=_("Auteur (e-mail)"), required=False)
