"""Survey management: the list, creation from the question bank, the survey page, targets, opening and closing,
XLSForm import and export.

Questions are never edited in place: they are exported, edited in Excel or KoboToolbox and imported as a new
version, so that a version that has responses never changes.
"""

import datetime as dt
import re
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.core.decorators import require
from proxima.core.lists import paginate
from proxima.needs import bank, survey_services
from proxima.needs.enums import Channel, Need, QuestionKind, SurveyStatus
from proxima.needs.expressions import ExpressionError, describe
from proxima.needs.forms_surveys import SurveyEditForm, SurveyFromBankForm, SurveyImportForm
from proxima.needs.models import Question, Response, Survey
from proxima.needs.xlsform import XLSFormError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHANNEL_LABELS = dict(Channel.choices)


def _get_survey(request, pk, queryset=None):
    queryset = queryset if queryset is not None else Survey.objects.all()
    return get_object_or_404(queryset.for_organisation(request.user.organisation), pk=pk)


def _responses_by_channel(surveys) -> dict[int, list[tuple[str, int]]]:
    """{survey id: [(channel label, count)]}, in the order of ``Channel``, in one query."""
    counts = defaultdict(dict)
    rows = Response.objects.filter(survey__in=surveys).values("survey", "channel").annotate(n=Count("id"))
    for row in rows:
        counts[row["survey"]][row["channel"]] = row["n"]
    return {
        survey_id: [(CHANNEL_LABELS[c], by_channel[c]) for c in Channel.values if c in by_channel]
        for survey_id, by_channel in counts.items()
    }


@require(perms.can_view_surveys)
def survey_list(request):
    surveys = (
        Survey.objects.for_organisation(request.user.organisation)
        .select_related("current_version")
        .prefetch_related("sites", "communes")
        .annotate(responses_count=Count("responses"))
        .order_by("-created_at", "-id")
    )
    page = paginate(request, surveys)
    by_channel = _responses_by_channel([survey.pk for survey in page])
    for survey in page:
        survey.by_channel = by_channel.get(survey.pk, [])
    return render(
        request,
        "needs/survey_list.html",
        {"page": page, "query": "", "can_manage": perms.can_manage_surveys(request.user, request.user.organisation)},
    )


@require(perms.can_manage_surveys)
def survey_create(request):
    form = SurveyFromBankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey = survey_services.create_survey_from_bank(
            organisation=request.user.organisation,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            bank_codes=form.bank_codes(),
            by=request.user,
        )
        count = survey.current_version.questions.count()
        messages.success(
            request,
            f"Enquête créée avec {count} question(s). Elle est en préparation : relisez-la, choisissez ses cibles, "
            "puis ouvrez-la.",
        )
        return redirect("needs:survey_detail", pk=survey.pk)
    chosen_themes = set(form["themes"].value() or [])
    chosen_questions = set(form["questions"].value() or [])
    themes = [
        {
            "code": group.theme,
            "label": group.label,
            "checked": group.theme in chosen_themes,
            "questions": [
                {
                    "code": question.name,
                    "label": question.label,
                    "kind": QuestionKind(question.kind).label,
                    "need": Need(question.need).label if question.need else "",
                    "depends": question.relevant,
                    "checked": question.name in chosen_questions,
                }
                for question in group.questions
            ],
        }
        for group in bank.questions_by_theme()
    ]
    return render(request, "needs/survey_create.html", {"form": form, "themes": themes})


def _describe(text: str, labels, choice_labels) -> str:
    if not text:
        return ""
    try:
        return describe(text, labels, choice_labels)
    except ExpressionError:
        return text  # a condition written before the rules: shown as written rather than hidden


def _version_structure(version):
    """The version's sections and questions, with conditions and constraints in plain French."""
    sections = list(
        version.sections.prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position").prefetch_related("choices"))
        ).order_by("position")
    )
    questions = [question for section in sections for question in section.questions.all()]
    labels = {question.name: f"la question {question.position}" for question in questions}
    choice_labels = {q.name: {c.value: c.label for c in q.choices.all()} for q in questions}
    for section in sections:
        section.condition = _describe(section.relevant, labels, choice_labels)
        for question in section.questions.all():
            question.condition = _describe(question.relevant, labels, choice_labels)
            question.rule = _describe(question.constraint, labels, choice_labels)
    return sections


@require(perms.can_view_surveys)
def survey_detail(request, pk):
    survey = _get_survey(
        request, pk, Survey.objects.select_related("current_version").prefetch_related("sites__commune", "communes")
    )
    versions = list(
        survey.versions.select_related("created_by").annotate(responses_count=Count("responses")).order_by("-number")
    )
    version = survey.current_version
    if number := request.GET.get("version"):
        version = next((v for v in versions if str(v.number) == number), None)
        if version is None:
            raise Http404("Version inconnue.")
    return render(
        request,
        "needs/survey_detail.html",
        {
            "survey": survey,
            "version": version,
            "versions": versions,
            "sections": _version_structure(version) if version else [],
            "by_channel": _responses_by_channel([survey.pk]).get(survey.pk, []),
            "responses_count": sum(v.responses_count for v in versions),
            "can_manage": perms.can_manage_surveys(request.user, request.user.organisation),
            "can_view_needs": perms.can_view_needs(request.user, request.user.organisation),
            "can_collect": perms.can_collect_answers(request.user, request.user.organisation),
            "statuses": SurveyStatus,
        },
    )


@require(perms.can_manage_surveys)
def survey_edit(request, pk):
    survey = _get_survey(request, pk)
    organisation = request.user.organisation
    form = SurveyEditForm(request.POST or None, instance=survey, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            survey_services.update_survey(
                survey=survey,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                sites=form.cleaned_data["sites"],
                communes=form.cleaned_data["communes"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Enquête enregistrée.")
            return redirect("needs:survey_detail", pk=survey.pk)
    return render(request, "needs/survey_edit.html", {"survey": survey, "form": form})


def _transition(request, pk, service, done: str):
    survey = _get_survey(request, pk)
    try:
        service(survey=survey, today=dt.date.today(), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("needs:survey_detail", pk=survey.pk)


@require(perms.can_manage_surveys)
@require_POST
def survey_open(request, pk):
    return _transition(request, pk, survey_services.open_survey, "L'enquête est ouverte : elle reçoit les réponses.")


@require(perms.can_manage_surveys)
@require_POST
def survey_close(request, pk):
    return _transition(
        request, pk, survey_services.close_survey, "L'enquête est close : elle ne reçoit plus de réponses."
    )


@require(perms.can_manage_surveys)
def survey_import(request):
    organisation = request.user.organisation
    initial = {}
    if survey_pk := request.GET.get("survey"):
        initial["survey"] = _get_survey(request, survey_pk) if survey_pk.isdigit() else None
    form = SurveyImportForm(request.POST or None, request.FILES or None, initial=initial, organisation=organisation)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload, survey = form.cleaned_data["file"], form.cleaned_data["survey"]
        data = upload.read()
        try:
            if survey is None:
                survey = survey_services.import_survey(
                    organisation=organisation, data=data, file_name=upload.name, by=request.user
                )
                messages.success(request, f"Enquête « {survey.title} » importée. Elle est en préparation.")
            else:
                version = survey_services.import_version(
                    survey=survey, data=data, file_name=upload.name, by=request.user
                )
                messages.success(request, f"Version {version.number} importée : c'est désormais la version en cours.")
        except XLSFormError as error:
            problems = error.problems
        else:
            return redirect("needs:survey_detail", pk=survey.pk)
    return render(request, "needs/survey_import.html", {"form": form, "problems": problems})


@require(perms.can_view_surveys)
def survey_export(request, pk):
    survey = _get_survey(request, pk, Survey.objects.select_related("current_version"))
    version = survey.current_version
    if number := request.GET.get("version"):
        version = survey.versions.filter(number=number).first() if number.isdigit() else None
    if version is None:
        raise Http404("Cette enquête n'a pas cette version.")
    response = HttpResponse(survey_services.export_xlsform(version=version), content_type=XLSX_TYPE)
    stem = re.sub(r"[^\w-]", "_", version.form_id, flags=re.ASCII)
    response["Content-Disposition"] = f'attachment; filename="{stem}_v{version.number}.xlsx"'
    return response


urlpatterns = [
    path("enquetes/", survey_list, name="survey_list"),
    path("enquetes/nouvelle/", survey_create, name="survey_create"),
    path("enquetes/importer/", survey_import, name="survey_import"),
    path("enquetes/<int:pk>/", survey_detail, name="survey_detail"),
    path("enquetes/<int:pk>/modifier/", survey_edit, name="survey_edit"),
    path("enquetes/<int:pk>/ouvrir/", survey_open, name="survey_open"),
    path("enquetes/<int:pk>/clore/", survey_close, name="survey_close"),
    path("enquetes/<int:pk>/xlsform/", survey_export, name="survey_export"),
]
