"""Collecting answers through staff: assisted entry, the offline tablet page, and the links and QR codes per site.

Assisted entry is for a call, a home visit, the mobile agency or the concierge: the member of
staff finds the household, enters its answers on one page and submits them through the same
service as every other channel. The tablet page works offline once loaded (see offline.js).
"""

import hashlib
import json
import uuid

import segno
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import path, reverse

from proxima.accounts import audit, perms
from proxima.core.decorators import require
from proxima.core.lists import paginate, querystring_without
from proxima.households.enums import PersonRole
from proxima.households.models import Household, Person
from proxima.needs import services
from proxima.needs.enums import ASSISTED_CHANNELS, Channel, SurveyStatus
from proxima.needs.forms import AnswersForm, AssistedEntryForm, CollectSearchForm
from proxima.needs.models import Response, Survey
from proxima.needs.validation import condition_text

OFFLINE_ASSETS = ["proxima/proxima.css", "needs/respond.css", "needs/conditions.js", "needs/offline.js"]


def _open_surveys(user):
    return (
        Survey.objects.for_organisation(user.organisation)
        .open()
        .filter(current_version__isnull=False)
        .order_by("title", "pk")
    )


@require(perms.can_collect_answers)
def collect_start(request):
    surveys = _open_surveys(request.user)
    data = request.GET.copy()
    if "survey" not in data and len(surveys) == 1:
        data["survey"] = surveys[0].pk
    form = CollectSearchForm(data if "survey" in data else None, surveys=surveys)
    survey, page = None, None
    if form.is_valid():
        survey = form.cleaned_data["survey"]
        households = (
            services.targeted(survey, Household.objects.visible_to(request.user))
            .select_related("dwelling__building__site__commune")
            .annotate(answered=Exists(Response.objects.filter(survey=survey, household=OuterRef("pk"))))
            .order_by("reference", "pk")
        )
        if q := form.cleaned_data["q"]:
            households = households.filter(reference__icontains=q)
        page = paginate(request, households)
        audit.record_household_list(
            request, ids=[h.pk for h in page], what=f"ménages visés par l'enquête « {survey} » (saisie)"
        )
    return render(
        request,
        "needs/collect_start.html",
        {"form": form, "survey": survey, "page": page, "query": querystring_without(request, "page")},
    )


def _sections(answers_form, questions, naming):
    """The form's fields grouped by section, with each section's condition in plain French."""
    sections = []
    for question in questions:
        if not sections or sections[-1]["section"].pk != question.section_id:
            section = question.section
            sections.append({"section": section, "condition": condition_text(section.relevant, naming), "fields": []})
        sections[-1]["fields"].append(answers_form[question.name])
    return sections


@require(perms.can_collect_answers)
def collect_entry(request, survey_pk, household_pk):
    user = request.user
    survey = get_object_or_404(
        Survey.objects.for_organisation(user.organisation).select_related("current_version"), pk=survey_pk
    )
    household = get_object_or_404(
        services.targeted(survey, Household.objects.visible_to(user))
        .select_related("dwelling__building__site__commune")
        .prefetch_related(Prefetch("persons", queryset=Person.objects.order_by("role", "pk"))),
        pk=household_pk,
    )
    audit.record_read(household, user=user, source=f"{request.method} {request.path}")
    context = {
        "survey": survey,
        "household": household,
        "holders": [p for p in household.persons.all() if p.role == PersonRole.REFERENCE],
        "earlier": Response.objects.filter(survey=survey, household=household).first(),
        "is_open": survey.status == SurveyStatus.OPEN and survey.current_version_id is not None,
    }
    earlier = context["earlier"]
    if request.method == "POST" and earlier is not None and str(earlier.client_id) == request.POST.get("client_id"):
        # The same form sent twice (a double click): the first one recorded it.
        messages.info(request, f"Les réponses du ménage {household.reference} étaient déjà enregistrées.")
        return redirect(f"{reverse('needs:collect_start')}?survey={survey.pk}")
    if earlier is not None or not context["is_open"]:
        return render(request, "needs/collect_entry.html", context)
    questions = list(services.questions_of(survey.current_version))
    naming = [services.rule_of(q) for q in questions]
    if request.method == "POST":
        entry = AssistedEntryForm(request.POST)
        answers = AnswersForm(request.POST, questions=questions, naming=naming)
        if entry.is_valid() and answers.is_valid():
            try:
                _, created = services.submit_response(
                    survey=survey,
                    household=household,
                    channel=entry.cleaned_data["channel"],
                    answers=answers.answers,
                    client_id=entry.cleaned_data["client_id"],
                    collected_on=entry.cleaned_data["collected_on"],
                    by=user,
                )
            except services.ResponseRejected as rejected:
                answers.add_rejection(rejected.errors)
            else:
                if created:
                    messages.success(request, f"Les réponses du ménage {household.reference} sont enregistrées.")
                else:
                    messages.info(request, f"Les réponses du ménage {household.reference} étaient déjà enregistrées.")
                return redirect(f"{reverse('needs:collect_start')}?survey={survey.pk}")
    else:
        entry = AssistedEntryForm(initial=AssistedEntryForm.initial_for(uuid.uuid4()))
        answers = AnswersForm(questions=questions, naming=naming)
    context.update(
        {
            "entry": entry,
            "form": answers,
            "sections": _sections(answers, questions, naming),
            "has_errors": bool(entry.errors or answers.errors),
        }
    )
    return render(request, "needs/collect_entry.html", context)


@require(perms.can_manage_surveys)
def survey_links(request, pk):
    survey = get_object_or_404(Survey.objects.for_organisation(request.user.organisation), pk=pk)
    general = request.build_absolute_uri(reverse("respond:start"))
    links = []
    for site in services.targeted_sites(survey):
        url = request.build_absolute_uri(reverse("respond:site", args=[survey.public_token, site.pk]))
        qr = segno.make(url, error="m")
        links.append({"site": site, "url": url, "qr": qr.svg_inline(scale=4, title=f"QR code : {site.name}")})
    return render(
        request,
        "needs/collect_links.html",
        {"survey": survey, "links": links, "general": general, "is_open": survey.status == SurveyStatus.OPEN},
    )


@require(perms.can_collect_answers)
def offline(request):
    channels = [Channel.OFFLINE, *ASSISTED_CHANNELS]
    return render(
        request,
        "needs/collect_offline.html",
        {
            "channels": [(c.value, c.label) for c in channels],
            "worker_url": reverse("needs:offline_worker"),
            "api_base": reverse("api:needs_surveys").rsplit("/", 1)[0],
        },
    )


def offline_worker(request):
    """The service worker, served under /besoins/terrain/ so that it may control the tablet page.

    It holds no data: only which files to keep for offline use, and a version that changes with
    them so a new release replaces the old copies.
    """
    source_path = finders.find("needs/offline-sw.js")
    if source_path is None:
        raise Http404
    with open(source_path, encoding="utf-8") as f:
        source = f.read()
    digest = hashlib.sha256(source.encode())
    for asset in OFFLINE_ASSETS:
        with open(finders.find(asset), "rb") as f:
            digest.update(f.read())
    precache = [reverse("needs:offline"), *(static(asset) for asset in OFFLINE_ASSETS)]
    header = f"const VERSION = {json.dumps(digest.hexdigest()[:12])};\nconst PRECACHE = {json.dumps(precache)};\n"
    scope = reverse("needs:offline")
    response = HttpResponse(header + source, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("saisie/", collect_start, name="collect_start"),
    path("saisie/<int:survey_pk>/<int:household_pk>/", collect_entry, name="collect_entry"),
    path("terrain/", offline, name="offline"),
    path("terrain/sw.js", offline_worker, name="offline_worker"),
    path("enquetes/<int:pk>/liens/", survey_links, name="survey_links"),
]
