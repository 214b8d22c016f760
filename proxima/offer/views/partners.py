"""Partners: the list with the agreements coming to an end, a partner's page, its form and contacts, agreements."""

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header

from proxima.accounts import perms
from proxima.core.decorators import require
from proxima.core.exports import ExportColumn
from proxima.core.lists import list_response
from proxima.offer import reference, services
from proxima.offer.enums import PartnerKind
from proxima.offer.forms import AgreementForm, PartnerContactFormSet, PartnerForm, commune_from_code
from proxima.offer.models import Partner, PartnershipAgreement

PARTNER_EXPORT = [
    ExportColumn("partenaire", lambda p: p.name),
    ExportColumn("type", lambda p: p.get_kind_display()),
    ExportColumn("SIRET", lambda p: p.siret),
    ExportColumn("adresse", lambda p: p.address),
    ExportColumn("commune", lambda p: p.commune.name if p.commune_id else ""),
    ExportColumn("téléphone", lambda p: p.phone),
    ExportColumn("e-mail", lambda p: p.email),
    ExportColumn("site web", lambda p: p.website),
    ExportColumn("thèmes couverts", lambda p: ", ".join(t.label for t in p.themes.all())),
    ExportColumn("services au catalogue", lambda p: p.services_count),
    ExportColumn("conventions en cours", lambda p: p.current_agreements),
    ExportColumn("compte Proxima", lambda p: p.account.slug if p.account_id else ""),
    ExportColumn("partenariat en cours", lambda p: p.is_active),
]


def _partners(request):
    return Partner.objects.for_organisation(request.user.organisation)


def _agreements(request):
    return PartnershipAgreement.objects.for_organisation(request.user.organisation)


@require(perms.can_view_offer)
def partner_list(request):
    """Partners, filtered by kind, theme and commune covered, and the agreements coming to an end."""
    organisation = request.user.organisation
    today = timezone.localdate()
    partners = (
        _partners(request)
        .select_related("commune", "account")
        .prefetch_related("themes")
        .annotate(
            services_count=Count("services", distinct=True),
            current_agreements=Count(
                "agreements",
                filter=Q(agreements__start_date__lte=today)
                & (Q(agreements__end_date__isnull=True) | Q(agreements__end_date__gte=today)),
                distinct=True,
            ),
        )
        .order_by("name", "pk")
    )
    kind, theme, commune_code = (request.GET.get(k, "").strip() for k in ("kind", "theme", "commune"))
    errors = []
    if kind in PartnerKind.values:
        partners = partners.filter(kind=kind)
    if theme in reference.theme_labels() or theme in dict(reference.category_choices()):
        partners = partners.with_theme(theme)
    if commune_code:
        try:
            partners = partners.covering(commune_from_code(commune_code))
        except ValidationError as error:
            errors.extend(error.messages)
            partners = partners.none()
    if request.GET.get("inactive") != "1":
        partners = partners.filter(is_active=True)
    ending = _agreements(request).ending_soon(today).select_related("partner").order_by("end_date", "pk")
    return list_response(
        request,
        "offer/partners/list.html",
        partners,
        export_as="partenaires",
        columns=PARTNER_EXPORT,
        context={
            "ending": ending,
            "today": today,
            "errors": errors,
            "kinds": PartnerKind.choices,
            "themes": reference.theme_choices(),
            "categories": reference.category_choices(),
            "filters": {
                "kind": kind,
                "theme": theme,
                "commune": commune_code,
                "inactive": request.GET.get("inactive"),
            },
            "can_manage": perms.can_manage_offer(request.user, organisation),
        },
    )


@require(perms.can_view_offer)
def partner_detail(request, pk):
    partner = get_object_or_404(
        _partners(request)
        .select_related("commune", "account")
        .prefetch_related("themes", "communes", "contacts", "agreements", "services"),
        pk=pk,
    )
    return render(
        request,
        "offer/partners/detail.html",
        {
            "partner": partner,
            "today": timezone.localdate(),
            "can_manage": perms.can_manage_offer(request.user, request.user.organisation),
        },
    )


def _contact_initial(partner):
    if partner is None:
        return []
    return [
        {"id": c.pk, "name": c.name, "role": c.role, "email": c.email, "phone": c.phone}
        for c in partner.contacts.all()
    ]


def _partner_form(request, partner):
    organisation = request.user.organisation
    form = PartnerForm(request.POST or None, instance=partner, organisation=organisation)
    contacts = PartnerContactFormSet(request.POST or None, initial=_contact_initial(partner), prefix="contacts")
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        kept = [f.cleaned_data for f in contacts if f.cleaned_data.get("name") and not f.cleaned_data.get("DELETE")]
        deleted = [f.cleaned_data["id"] for f in contacts if f.cleaned_data.get("DELETE") and f.cleaned_data.get("id")]
        try:
            with transaction.atomic():
                if partner is None:
                    partner = services.create_partner(
                        organisation=organisation,
                        values=form.values(),
                        themes=form.cleaned_data["themes"],
                        communes=form.cleaned_data["commune_codes"],
                    )
                else:
                    services.update_partner(
                        partner=partner,
                        values=form.values(),
                        themes=form.cleaned_data["themes"],
                        communes=form.cleaned_data["commune_codes"],
                    )
                services.save_partner_contacts(partner=partner, contacts=kept, delete_ids=deleted)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Partenaire « {partner.name} » enregistré.")
            return redirect("offer:partner_detail", pk=partner.pk)
    return render(request, "offer/partners/form.html", {"form": form, "contacts": contacts, "partner": partner})


@require(perms.can_manage_offer)
def partner_create(request):
    return _partner_form(request, None)


@require(perms.can_manage_offer)
def partner_update(request, pk):
    return _partner_form(request, get_object_or_404(_partners(request), pk=pk))


def _agreement_form(request, partner, agreement):
    form = AgreementForm(request.POST or None, request.FILES or None, instance=agreement)
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["document"]
        try:
            if agreement is None:
                agreement = services.create_agreement(partner=partner, values=form.values(), document=document)
            else:
                services.update_agreement(agreement=agreement, values=form.values(), document=document)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Convention « {agreement.object} » enregistrée.")
            return redirect("offer:partner_detail", pk=partner.pk)
    return render(
        request, "offer/partners/agreement_form.html", {"form": form, "partner": partner, "agreement": agreement}
    )


@require(perms.can_manage_offer)
def agreement_create(request, pk):
    partner = get_object_or_404(_partners(request), pk=pk)
    return _agreement_form(request, partner, None)


@require(perms.can_manage_offer)
def agreement_update(request, pk):
    agreement = get_object_or_404(_agreements(request).select_related("partner"), pk=pk)
    return _agreement_form(request, agreement.partner, agreement)


@require(perms.can_view_offer)
def agreement_document(request, pk):
    """The signed agreement, to whoever reads the partners (uploaded files are never served as static files)."""
    agreement = get_object_or_404(_agreements(request), pk=pk)
    if not agreement.document:
        raise Http404("Cette convention n'a pas de document.")
    try:
        with agreement.document.open("rb") as handle:
            content = handle.read()  # at most 10 MB (forms.DOCUMENT_MAX_BYTES): no file left open
    except FileNotFoundError:
        raise Http404("Le document de cette convention est introuvable.") from None
    name = agreement.document_name or "convention"
    response = HttpResponse(content, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


urlpatterns = [
    path("partenaires/", partner_list, name="partner_list"),
    path("partenaires/nouveau/", partner_create, name="partner_create"),
    path("partenaires/<int:pk>/", partner_detail, name="partner_detail"),
    path("partenaires/<int:pk>/modifier/", partner_update, name="partner_update"),
    path("partenaires/<int:pk>/conventions/nouvelle/", agreement_create, name="agreement_create"),
    path("conventions/<int:pk>/modifier/", agreement_update, name="agreement_update"),
    path("conventions/<int:pk>/document/", agreement_document, name="agreement_document"),
]
