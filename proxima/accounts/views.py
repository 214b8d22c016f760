from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from proxima.accounts import perms, services
from proxima.accounts.forms import ApiTokenForm, AuditFilterForm, LoginForm, UserForm
from proxima.accounts.models import ApiToken, AuditEvent, User
from proxima.core.decorators import require
from proxima.core.exports import ExportColumn
from proxima.core.lists import list_response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe a été changé.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


@login_required
def profile(request):
    tokens = request.user.api_tokens.order_by("-created_at")
    new_key = request.session.pop("new_api_token", None)
    return render(request, "accounts/profile.html", {"tokens": tokens, "form": ApiTokenForm(), "new_key": new_key})


@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid() and perms.can_manage_own_tokens(request.user):
        _token, key = services.create_api_token(user=request.user, name=form.cleaned_data["name"])
        # Shown once on the next page, never stored in clear.
        request.session["new_api_token"] = key
        messages.success(request, "Jeton créé. Copiez-le maintenant : il ne sera plus affiché.")
    else:
        messages.error(request, "Donnez un nom au jeton.")
    return redirect("accounts:profile")


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
    services.revoke_api_token(token=token)
    messages.success(request, f"Jeton « {token.name} » révoqué.")
    return redirect("accounts:profile")


@require(perms.can_manage_users)
def user_list(request):
    users = User.objects.filter(organisation=request.user.organisation).order_by("last_name", "email")
    return render(request, "accounts/user_list.html", {"users": users})


@require(perms.can_manage_users)
def user_create(request):
    form = UserForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        user = services.create_user(
            organisation=request.user.organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        services.send_invitation(user=user, request=request)
        messages.success(request, f"Compte créé pour {user.email} : une invitation lui a été envoyée.")
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form})


@require(perms.can_manage_users)
def user_update(request, pk):
    user = get_object_or_404(User, pk=pk, organisation=request.user.organisation)
    role_before = user.role  # the form writes the posted values onto the instance while validating
    form = UserForm(request.POST or None, instance=user, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        if user == request.user and (not form.cleaned_data["is_active"] or form.cleaned_data["role"] != role_before):
            messages.error(request, "Vous ne pouvez ni désactiver votre propre compte ni changer votre rôle.")
        else:
            form.save()
            messages.success(request, f"Compte de {user.email} mis à jour.")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


AUDIT_EXPORT = [
    ExportColumn("date", lambda e: e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
    ExportColumn("auteur", lambda e: e.actor_label or "système"),
    ExportColumn("action", lambda e: e.get_action_display()),
    ExportColumn("type", lambda e: e.target_type),
    ExportColumn("identifiant", lambda e: e.target_id),
    ExportColumn("objet", lambda e: e.target_repr),
    ExportColumn("origine", lambda e: e.source),
]


@require(perms.can_view_audit_log)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.for_organisation(request.user.organisation)
    if form.is_valid():
        if action := form.cleaned_data["action"]:
            events = events.filter(action=action)
        if target := form.cleaned_data["target"]:
            events = events.filter(
                Q(target_type__icontains=target) | Q(target_id=target) | Q(target_repr__icontains=target)
            )
        if actor := form.cleaned_data["actor"]:
            events = events.filter(actor_label__icontains=actor)
    return list_response(
        request,
        "accounts/audit_log.html",
        events,
        export_as="journal-audit",
        columns=AUDIT_EXPORT,
        context={"form": form},
    )
