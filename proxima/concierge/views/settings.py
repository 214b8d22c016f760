"""The concierge's presentation to inhabitants: its name, address, opening hours, phone, online requests."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse

from proxima.accounts import perms
from proxima.concierge import services
from proxima.concierge.forms import ConciergeSettingsForm
from proxima.core.decorators import require


@require(perms.can_manage_concierge)
def concierge_settings(request):
    org = request.user.organisation
    current = services.get_concierge_settings(org)
    form = ConciergeSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_concierge_settings(
                organisation=org, **{name: form.cleaned_data[name] for name in ConciergeSettingsForm.Meta.fields}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Réglages de la conciergerie enregistrés.")
            return redirect("concierge:settings")
    return render(
        request,
        "concierge/settings.html",
        {"form": form, "public_url": request.build_absolute_uri(reverse("concierge_public:index", args=[org.slug]))},
    )


urlpatterns = [
    path("reglages/", concierge_settings, name="settings"),
]
