"""paper views: codes and letters of a survey, batches printed in the background, entry of returned forms."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from proxima.accounts import audit, perms
from proxima.accounts.enums import AuditAction
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.pdf import PdfUnavailable
from proxima.households.models import Household
from proxima.needs import paper, paper_batches, services
from proxima.needs.enums import Channel, QuestionKind, SurveyStatus
from proxima.needs.forms import AnswersForm
from proxima.needs.forms_paper import LetterOptionsForm, PaperCodeForm, PaperEntryForm, SingleLetterForm
from proxima.needs.invitations import count_invitations, create_invitations, ensure_invitation, targeted_households
from proxima.needs.models import Invitation, Response, Survey
from proxima.territory.models import Site

# For a mail merge in the landlord's own software, which has the names and addresses: the lease reference is
# the key, so the export carries no name.
INVITATION_EXPORT = [
    ExportColumn("code", lambda i: i.code),
    ExportColumn("référence du bail", lambda i: i.household.reference),
    ExportColumn("logement", lambda i: i.household.dwelling.reference),
    ExportColumn("résidence", lambda i: i.household.dwelling.building.site.name),
    ExportColumn("commune", lambda i: i.household.dwelling.building.site.commune.name),
    ExportColumn("créé le", lambda i: i.created_at.date()),
    ExportColumn("utilisé le", lambda i: i.used_at.date() if i.used_at else None),
]
SINGLE_CHOICE_KINDS = {QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE, QuestionKind.YES_NO}


def _survey(request, pk) -> Survey:
    return get_object_or_404(
        Survey.objects.for_organisation(request.user.organisation).select_related("organisation", "current_version"),
        pk=pk,
    )


def _answer_url(request) -> str:
    return request.build_absolute_uri(reverse("respond:start"))


def _survey_sites(survey: Survey):
    """The sites a batch can be limited to: those the survey targets."""
    sites = Site.objects.for_organisation(survey.organisation_id)
    site_ids = list(survey.sites.values_list("pk", flat=True))
    commune_ids = list(survey.communes.values_list("pk", flat=True))
    if site_ids or commune_ids:
        sites = sites.filter(pk__in=site_ids) | sites.filter(commune__in=commune_ids)
    return sites.order_by("name")


def _printable_problem(survey: Survey) -> str:
    try:
        paper_batches.check_printable(survey)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


@require(perms.can_manage_surveys)
def paper_invitations(request, pk):
    """The survey's codes and letters: how many households, codes and answers; printing; the codes' export."""
    survey = _survey(request, pk)
    single = SingleLetterForm(request.GET if "reference" in request.GET else None, auto_id="single_%s")
    if single.is_valid():
        household = (
            targeted_households(survey).filter(reference__iexact=single.cleaned_data["reference"].strip()).first()
        )
        if household is not None:
            url = reverse("needs:paper_household", args=[survey.pk, household.pk])
            contact = single.cleaned_data["contact"]
            return redirect(f"{url}?{urlencode({'contact': contact})}" if contact else url)
        single.add_error("reference", "Aucun ménage visé par cette enquête n'a cette référence de bail.")
    return render(
        request,
        "needs/paper_invitations.html",
        {
            "survey": survey,
            "counts": count_invitations(survey),
            "problem": _printable_problem(survey),
            "is_closed": survey.status == SurveyStatus.CLOSED,
            "letter_form": LetterOptionsForm(sites=_survey_sites(survey)),
            "single_form": single,
            "batches": paper_batches.recent_batches(survey),
            "part_size": paper.PART_SIZE,
        },
    )


@require(perms.can_manage_surveys)
@require_POST
def paper_invitations_create(request, pk):
    survey = _survey(request, pk)
    try:
        created = create_invitations(survey=survey, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(request, f"{created} codes créés.")
        else:
            messages.info(request, "Tous les ménages visés par l'enquête ont déjà leur code : aucun code créé.")
    return redirect("needs:paper_invitations", pk=survey.pk)


@require(perms.can_manage_surveys)
def paper_invitations_export(request, pk):
    survey = _survey(request, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    invitations = (
        Invitation.objects.filter(survey=survey)
        .select_related("household__dwelling__building__site__commune")
        .order_by("household__dwelling__building__site__name", "household__reference", "pk")
    )
    audit.record(
        action=AuditAction.EXPORT,
        organisation_id=survey.organisation_id,
        target_type="needs.Invitation",
        target_repr=f"codes de l'enquête « {survey.title} »",
        details={"survey": survey.pk, "format": fmt, "count": invitations.count()},
    )
    return export_response(fmt, f"codes-enquete-{survey.pk}", INVITATION_EXPORT, invitations)


@require(perms.can_manage_surveys)
def paper_household(request, pk, household_pk):
    """One household's letter and questionnaire as a PDF (its code is created if it has none yet)."""
    survey = _survey(request, pk)
    household = get_object_or_404(
        services.targeted(survey, Household.objects.visible_to(request.user)), pk=household_pk
    )
    problem = _printable_problem(survey)
    if problem:
        messages.error(request, problem)
        return redirect("needs:paper_invitations", pk=survey.pk)
    invitation = ensure_invitation(survey=survey, household=household)
    audit.record_read(household, user=request.user, source=f"{request.method} {request.path}")
    try:
        content = paper.render_pdf(
            survey=survey,
            invitations=paper.invitations_to_print(survey).filter(pk=invitation.pk),
            answer_url=_answer_url(request),
            contact=request.GET.get("contact", "")[:200],
        )
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("needs:paper_invitations", pk=survey.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="courrier-{slugify(household.reference)}.pdf"'
    return response


@require(perms.can_manage_surveys)
@require_POST
def paper_batch(request, pk):
    """Start printing the letters of many households in the background."""
    survey = _survey(request, pk)
    form = LetterOptionsForm(request.POST, sites=_survey_sites(survey))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label} : {' '.join(errors)}")
        return redirect("needs:paper_invitations", pk=survey.pk)
    try:
        batch_id = paper_batches.start_batch(
            survey=survey,
            site=form.cleaned_data["site"],
            only_unanswered=form.cleaned_data["only_unanswered"],
            contact=form.cleaned_data["contact"],
            answer_url=_answer_url(request),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("needs:paper_invitations", pk=survey.pk)
    return redirect("needs:paper_batch_detail", pk=survey.pk, batch_id=batch_id)


def _batch(survey, batch_id):
    batch = paper_batches.get_batch(batch_id=str(batch_id), survey=survey)
    if batch is None:
        raise Http404
    return batch


@require(perms.can_manage_surveys)
def paper_batch_detail(request, pk, batch_id):
    """The batch's progress, then its file. htmx polls the status block; without JavaScript the page refreshes."""
    survey = _survey(request, pk)
    batch = _batch(survey, batch_id)
    context = {"survey": survey, "batch": batch, "site": Site.objects.filter(pk=batch.site_id).first()}
    if request.htmx:
        response = render(request, "needs/_paper_batch_status.html", context)
        if not batch.is_running:
            response["HX-Refresh"] = "true"  # done: reload the page once so the download link appears
        return response
    return render(request, "needs/paper_batch.html", context)


@require(perms.can_manage_surveys)
def paper_batch_download(request, pk, batch_id):
    survey = _survey(request, pk)
    batch = _batch(survey, batch_id)
    if batch.path is None:
        raise Http404
    audit.record(
        action=AuditAction.EXPORT,
        organisation_id=survey.organisation_id,
        target_type="needs.Invitation",
        target_repr=f"courriers de l'enquête « {survey.title} »",
        details={"survey": survey.pk, "batch": batch.id, "households": batch.households, "file": batch.path.name},
    )
    name = f"courriers-{slugify(survey.title)[:60]}{batch.path.suffix}"
    content_type = "application/zip" if batch.is_zip else "application/pdf"
    response = StreamingHttpResponse(_read_in_blocks(batch.path), content_type=content_type)
    response["Content-Length"] = str(batch.path.stat().st_size)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _read_in_blocks(file_path, size: int = 256 * 1024):
    # The file is opened when sending starts and closed when it ends, even if the client goes away.
    with file_path.open("rb") as file:
        while block := file.read(size):
            yield block


def _invitations_for(request, survey):
    """The survey's invitations of the households the user works with (a field agent: their sites' only)."""
    return Invitation.objects.filter(survey=survey, household__in=Household.objects.visible_to(request.user))


def _used_message(invitation: Invitation) -> str | None:
    earlier = Response.objects.filter(survey=invitation.survey_id, household=invitation.household_id).first()
    if earlier is not None:
        return (
            f"Le code {invitation.code} a déjà servi : ce ménage a répondu le {earlier.collected_on:%d/%m/%Y} "
            f"({earlier.get_channel_display()}). Une seule réponse par ménage : mettez ce questionnaire de côté."
        )
    if invitation.used_at is not None:
        return f"Le code {invitation.code} a déjà servi le {invitation.used_at:%d/%m/%Y}."
    return None


def _closed_problem(survey: Survey) -> str:
    if survey.status != SurveyStatus.OPEN:
        return "Cette enquête n'est pas ouverte : elle ne reçoit pas de réponses."
    if survey.current_version_id is None:
        return "Cette enquête n'a pas encore de questions."
    return ""


@require(perms.can_collect_answers)
def paper_entry(request, pk):
    """Type the code of a returned questionnaire; Enter opens its answers."""
    survey = _survey(request, pk)
    form = PaperCodeForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        code = form.cleaned_data["code"]
        invitation = _invitations_for(request, survey).filter(code=code).first()
        if invitation is None:
            form.add_error(
                "code",
                f"Aucun questionnaire de cette enquête ne porte le code « {code} » parmi les ménages que vous suivez. "
                "Vérifiez le code imprimé en haut de chaque page.",
            )
        elif used := _used_message(invitation):
            form.add_error("code", used)
        else:
            return redirect("needs:paper_entry_form", pk=survey.pk, code=invitation.code)
    return render(
        request, "needs/paper_entry.html", {"survey": survey, "form": form, "problem": _closed_problem(survey)}
    )


def _numbered_sections(answers: AnswersForm, layout):
    """The form's fields grouped and numbered as on the paper, with "non répondu" where an answer may be left out."""
    sections = []
    for section in layout:
        fields = []
        for question in section.questions:
            field = answers.fields[question.name]
            field.label = f"{question.number}. {question.label}"
            field.condition = question.condition
            if question.kind in SINGLE_CHOICE_KINDS and not question.required:
                field.choices = [*field.choices, ("", "Non répondu")]
                answers.initial.setdefault(question.name, "")
            fields.append(answers[question.name])
        sections.append({"section": section, "fields": fields})
    return sections


@require(perms.can_collect_answers)
def paper_entry_form(request, pk, code):
    """The answers of one returned questionnaire, in the paper's order and numbering; saved with channel paper."""
    survey = _survey(request, pk)
    invitation = get_object_or_404(
        _invitations_for(request, survey).select_related("household__dwelling__building__site"), code=code
    )
    household = invitation.household
    problem = _closed_problem(survey)
    if problem:
        messages.error(request, problem)
        return redirect("needs:paper_entry", pk=survey.pk)
    if request.method != "POST" and (used := _used_message(invitation)):
        messages.error(request, used)
        return redirect("needs:paper_entry", pk=survey.pk)
    questions = list(services.questions_of(survey.current_version))
    naming = [services.rule_of(q) for q in questions]
    layout = paper.questionnaire(survey.current_version)
    if request.method == "POST":
        entry = PaperEntryForm(request.POST)
        answers = AnswersForm(request.POST, questions=questions, naming=naming)
        sections = _numbered_sections(answers, layout)
        if entry.is_valid() and answers.is_valid():
            try:
                _, created = services.submit_response(
                    survey=survey,
                    household=household,
                    channel=Channel.PAPER,
                    answers=answers.answers,
                    client_id=entry.cleaned_data["client_id"],
                    collected_on=entry.cleaned_data["collected_on"],
                    by=request.user,
                    invitation=invitation,
                )
            except services.ResponseRejected as rejected:
                answers.add_rejection(rejected.errors)
            else:
                if created:
                    messages.success(request, f"Formulaire {invitation.code} enregistré.")
                else:
                    messages.info(request, f"Formulaire {invitation.code} déjà enregistré : rien n'a été ajouté.")
                return redirect("needs:paper_entry", pk=survey.pk)
    else:
        entry = PaperEntryForm(initial=PaperEntryForm.initial_for(uuid.uuid4()))
        answers = AnswersForm(questions=questions, naming=naming)
        sections = _numbered_sections(answers, layout)
    audit.record_read(household, user=request.user, source=f"{request.method} {request.path}")
    return render(
        request,
        "needs/paper_entry_form.html",
        {
            "survey": survey,
            "invitation": invitation,
            "household": household,
            "entry": entry,
            "form": answers,
            "sections": sections,
            "has_errors": bool(entry.errors or answers.errors),
        },
    )


urlpatterns = [
    path("enquetes/<int:pk>/courriers/", paper_invitations, name="paper_invitations"),
    path("enquetes/<int:pk>/courriers/codes/", paper_invitations_create, name="paper_invitations_create"),
    path("enquetes/<int:pk>/courriers/codes/export/", paper_invitations_export, name="paper_invitations_export"),
    path("enquetes/<int:pk>/courriers/menage/<int:household_pk>/", paper_household, name="paper_household"),
    path("enquetes/<int:pk>/courriers/lots/", paper_batch, name="paper_batch"),
    path("enquetes/<int:pk>/courriers/lots/<uuid:batch_id>/", paper_batch_detail, name="paper_batch_detail"),
    path(
        "enquetes/<int:pk>/courriers/lots/<uuid:batch_id>/fichier/",
        paper_batch_download,
        name="paper_batch_download",
    ),
    path("enquetes/<int:pk>/saisie-papier/", paper_entry, name="paper_entry"),
    path("enquetes/<int:pk>/saisie-papier/<str:code>/", paper_entry_form, name="paper_entry_form"),
]
