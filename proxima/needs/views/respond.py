"""Pages for residents: answering a survey with the code printed on their letter. No login, no JavaScript needed.

The code opens the survey; its sections come one per page (the conditions of a section are
evaluated here, from the earlier answers); the progress is kept in the session; a review page
shows the answers before they are sent with the ``client_id`` created when the survey started,
so sending twice records them once. No page shows anything about the household.
"""

import uuid

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from proxima.needs import services
from proxima.needs.enums import Channel, QuestionKind, SurveyStatus
from proxima.needs.expressions import evaluate
from proxima.needs.forms import AnswersForm, CodeForm
from proxima.needs.models import Invitation, Response, Survey
from proxima.needs.validation import asked_answers, check_answers

SESSION_KEY = "respond"
# Codes have 31^8 possible values; these limits make guessing one hopeless while letting a resident
# mistype a few times. Several residents may share an address (the concierge's computer): the
# per-address limit is higher than the per-session one.
ATTEMPTS_PER_SESSION = 5
ATTEMPTS_PER_ADDRESS = 30
ATTEMPTS_WINDOW = 15 * 60  # seconds

UNKNOWN_CODE = "Ce code n'est pas reconnu. Vérifiez les lettres et les chiffres sur votre courrier."
USED_CODE = "Ce code a déjà été utilisé : les réponses de ce courrier ont bien été reçues. Merci !"
CLOSED = "Cette enquête est terminée : elle ne reçoit plus de réponses. Merci de votre intérêt."
TOO_MANY = (
    "Trop d'essais de code. Patientez un quart d'heure avant de réessayer, "
    "ou appelez votre bailleur : il peut enregistrer vos réponses par téléphone."
)


def _attempt_keys(request) -> list[tuple[str, int]]:
    if not request.session.session_key:
        request.session.save()
    return [
        (f"respond-code:session:{request.session.session_key}", ATTEMPTS_PER_SESSION),
        # The client's address as the login lockout sees it (behind a reverse proxy, configure django-axes'
        # AXES_IPWARE_* settings once: otherwise every resident shares the proxy's address and its limit).
        (f"respond-code:address:{get_client_ip_address(request) or ''}", ATTEMPTS_PER_ADDRESS),
    ]


def _is_blocked(request) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _attempt_keys(request))


def _count_failure(request) -> None:
    for key, _ in _attempt_keys(request):
        cache.add(key, 0, ATTEMPTS_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ATTEMPTS_WINDOW)


def _code_problem(invitation: Invitation | None) -> str | None:
    if invitation is None or invitation.survey.status == SurveyStatus.DRAFT:
        return UNKNOWN_CODE
    if invitation.survey.status == SurveyStatus.CLOSED:
        return CLOSED
    if (
        invitation.used_at is not None
        or Response.objects.filter(survey=invitation.survey_id, household=invitation.household_id).exists()
    ):
        return USED_CODE
    return None


def _code_page(request, *, survey=None, site=None):
    # The QR code on a letter carries the household's code: the resident has nothing to type.
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")[:20]})
    status = 200
    if request.method == "POST":
        if _is_blocked(request):
            form.add_error(None, TOO_MANY)
            status = 429
        elif form.is_valid():
            invitation = Invitation.objects.select_related("survey").filter(code=form.cleaned_data["code"]).first()
            problem = _code_problem(invitation)
            if problem is None:
                request.session.cycle_key()  # a fresh session for the answers (no fixation)
                request.session[SESSION_KEY] = {
                    "invitation": invitation.pk,
                    "client_id": str(uuid.uuid4()),
                    "answers": {},
                }
                return redirect("respond:section", step=1)
            _count_failure(request)
            form.add_error("code", problem)
    return render(request, "needs/respond_start.html", {"form": form, "survey": survey, "site": site}, status=status)


@never_cache
def start(request):
    return _code_page(request)


@never_cache
def site_start(request, token, site_pk):
    survey = get_object_or_404(
        Survey.objects.exclude(status=SurveyStatus.DRAFT).select_related("organisation"), public_token=token
    )
    site = get_object_or_404(services.targeted_sites(survey), pk=site_pk)
    if survey.status == SurveyStatus.CLOSED:
        return render(request, "needs/respond_start.html", {"survey": survey, "site": site, "closed": CLOSED})
    return _code_page(request, survey=survey, site=site)


class _Progress:
    """The survey being answered in this session, its sections in order, and the answers so far."""

    def __init__(self, request):
        self.request = request
        self.state = request.session.get(SESSION_KEY)
        self.invitation = None
        if self.state and "invitation" in self.state:
            self.invitation = (
                Invitation.objects.select_related("survey__current_version", "survey__organisation", "household")
                .filter(pk=self.state["invitation"], survey__status=SurveyStatus.OPEN)
                .first()
            )
        if self.invitation is None:
            return
        self.survey = self.invitation.survey
        self.questions = list(services.questions_of(self.survey.current_version))
        self.rules = [services.rule_of(q) for q in self.questions]
        self.sections = []
        for question in self.questions:
            if not self.sections or self.sections[-1].pk != question.section_id:
                self.sections.append(question.section)

    @property
    def answers(self) -> dict:
        return self.state["answers"]

    def save(self, answers: dict) -> None:
        self.state["answers"] = answers
        self.request.session[SESSION_KEY] = self.state

    def names(self, sections) -> set[str]:
        ids = {s.pk for s in sections}
        return {q.name for q in self.questions if q.section_id in ids}

    def before(self, step: int) -> dict[str, str]:
        """The answers kept so far to the sections before ``step`` (1-based)."""
        names = self.names(self.sections[: step - 1])
        return asked_answers([r for r in self.rules if r.name in names], self.answers)

    def is_asked(self, step: int) -> bool:
        relevant = self.sections[step - 1].relevant
        return not relevant or evaluate(relevant, self.before(step))

    def next_url(self, step: int) -> str:
        for later in range(step + 1, len(self.sections) + 1):
            if self.is_asked(later):
                return reverse("respond:section", kwargs={"step": later})
        return reverse("respond:review")

    def previous_url(self, step: int) -> str | None:
        for earlier in range(step - 1, 0, -1):
            if self.is_asked(earlier):
                return reverse("respond:section", kwargs={"step": earlier})
        return None


def _lost(request):
    messages.info(request, "Pour répondre, saisissez le code indiqué sur votre courrier.")
    return redirect("respond:start")


@never_cache
def section(request, step):
    progress = _Progress(request)
    if progress.invitation is None:
        return _lost(request)
    if not 1 <= step <= len(progress.sections):
        raise Http404
    if not progress.is_asked(step):
        return redirect(progress.next_url(step))
    current = progress.sections[step - 1]
    questions = [q for q in progress.questions if q.section_id == current.pk]
    context = progress.before(step)
    if request.method == "POST":
        form = AnswersForm(request.POST, questions=questions, context=context, naming=progress.rules)
        if form.is_valid():
            own = {q.name for q in questions}
            answers = {k: v for k, v in progress.answers.items() if k not in own}
            progress.save({**answers, **form.answers})
            return redirect(progress.next_url(step))
    else:
        initial = {
            q.name: (value.split() if q.kind == QuestionKind.MULTIPLE_CHOICE else value)
            for q in questions
            if (value := progress.answers.get(q.name))
        }
        form = AnswersForm(initial=initial, questions=questions, context=context, naming=progress.rules)
    return render(
        request,
        "needs/respond_section.html",
        {
            "survey": progress.survey,
            "section": current,
            "form": form,
            "step": step,
            "steps": len(progress.sections),
            "previous_url": progress.previous_url(step),
        },
    )


def _display(question, value: str) -> str:
    if question.kind in {
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.MULTIPLE_CHOICE,
        QuestionKind.SCALE,
        QuestionKind.YES_NO,
    }:
        labels = {c.value: c.label for c in question.choices.all()}
        return ", ".join(labels.get(v, v) for v in value.split())
    if question.kind == QuestionKind.DATE and len(value) == 10:
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value


@never_cache
def review(request):
    if request.session.get(SESSION_KEY, {}).get("sent"):
        return redirect("respond:thanks")  # sent already: a second click of « Envoyer » lands here
    progress = _Progress(request)
    if progress.invitation is None:
        return _lost(request)
    checked = check_answers(progress.rules, progress.answers)
    if checked.errors:
        # An earlier change made a question of a later part necessary: go and answer it.
        first = next(q for q in progress.questions if q.name in checked.errors)
        step = next(i for i, s in enumerate(progress.sections, start=1) if s.pk == first.section_id)
        messages.info(request, "Une réponse manque encore avant de pouvoir envoyer vos réponses.")
        return redirect("respond:section", step=step)
    errors = []
    if request.method == "POST":
        try:
            client_id = uuid.UUID(request.POST.get("client_id", ""))
        except ValueError:
            client_id = uuid.UUID(progress.state["client_id"])
        try:
            services.submit_response(
                survey=progress.survey,
                household=progress.invitation.household,
                channel=Channel.WEB,
                answers=checked.values,
                client_id=client_id,
                collected_on=timezone.localdate(),
                invitation=progress.invitation,
            )
        except services.ResponseRejected as rejected:
            errors = [m for messages_ in rejected.errors.values() for m in messages_]
        else:
            request.session[SESSION_KEY] = {"sent": True}
            return redirect("respond:thanks")
    parts = []
    for step, part in enumerate(progress.sections, start=1):
        rows = [
            (q.label, _display(q, checked.values[q.name]))
            for q in progress.questions
            if q.section_id == part.pk and q.name in checked.values
        ]
        if progress.is_asked(step):
            parts.append({"section": part, "step": step, "rows": rows})
    return render(
        request,
        "needs/respond_review.html",
        {"survey": progress.survey, "parts": parts, "client_id": progress.state["client_id"], "errors": errors},
        status=422 if errors else 200,
    )


@never_cache
def thanks(request):
    return render(request, "needs/respond_thanks.html")


urlpatterns = [
    path("", start, name="start"),
    path("questionnaire/<int:step>/", section, name="section"),
    path("questionnaire/relire/", review, name="review"),
    path("merci/", thanks, name="thanks"),
    path("<str:token>/<int:site_pk>/", site_start, name="site"),
]
