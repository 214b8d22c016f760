"""Batches of letters printed in the background: starting one, following it, finding its file.

A batch is a django-tasks result (the models are fixed, there is no batch model): its arguments
say whose it is, and its file and progress live under ``MEDIA_ROOT/paper/<organisation id>/``,
named after the survey and the task id. The files hold names and addresses: they are deleted
after :data:`RETENTION`, when the organisation starts its next batch.
"""

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from proxima.accounts import audit
from proxima.accounts.models import User
from proxima.needs import paper
from proxima.needs.enums import SurveyStatus
from proxima.needs.invitations import create_invitations, targeted_households
from proxima.needs.models import Survey

RETENTION = dt.timedelta(days=7)
PROGRESS_INTERVAL_SECONDS = 0.5
FILE_SUFFIXES = (".pdf", ".zip")


def batch_dir(organisation_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "paper" / str(organisation_id)


def _stem(organisation_id: int, survey_id: int, batch_id: str) -> Path:
    return batch_dir(organisation_id) / f"enquete-{survey_id}-{batch_id}"


def households_to_print(survey: Survey, *, site=None, only_unanswered: bool = False):
    households = targeted_households(survey)
    if site is not None:
        households = households.filter(dwelling__building__site=site)
    if only_unanswered:
        households = households.exclude(survey_responses__survey=survey)
    return households


def check_printable(survey: Survey) -> None:
    """Refuse, with the reason, a survey whose letters cannot be printed."""
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError("Cette enquête est close : elle ne reçoit plus de réponses.")
    if survey.current_version_id is None:
        raise ValidationError("Cette enquête n'a pas encore de questions : il n'y a pas de questionnaire à imprimer.")


def purge_old_files(organisation_id: int, *, now: float | None = None) -> int:
    """Delete the organisation's letter files older than :data:`RETENTION`; return how many."""
    directory = batch_dir(organisation_id)
    if not directory.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - RETENTION.total_seconds()
    deleted = 0
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def start_batch(
    *, survey: Survey, site=None, only_unanswered: bool = False, answer_url: str, contact: str = "", by
) -> str:
    """Queue the letters of the survey's households (of one site, or not yet answered); return the batch id."""
    from proxima.needs.tasks import print_letters

    check_printable(survey)
    if not households_to_print(survey, site=site, only_unanswered=only_unanswered).exists():
        raise ValidationError("Aucun ménage à qui écrire avec ces choix.")
    purge_old_files(survey.organisation_id)
    result = print_letters.enqueue(
        organisation_id=survey.organisation_id,
        survey_id=survey.pk,
        site_id=site.pk if site is not None else None,
        only_unanswered=only_unanswered,
        answer_url=answer_url,
        contact=contact,
        user_id=by.pk if by is not None else None,
    )
    return str(result.id)


def _progress_writer(path: Path):
    """Write progress at most every half second, atomically: the page may read it at any moment."""
    last = 0.0

    def write(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL_SECONDS or done >= total:
            last = now
            partial = path.with_suffix(".tmp")
            partial.write_text(json.dumps({"done": done, "total": total}))
            partial.replace(path)

    return write


def run_batch(
    *,
    batch_id: str,
    organisation_id: int,
    survey_id: int,
    site_id: int | None,
    only_unanswered: bool,
    answer_url: str,
    contact: str,
    user_id: int | None,
) -> dict:
    """Create the missing codes, then write the letters' file. Runs in the worker."""
    survey = Survey.objects.select_related("organisation", "current_version").get(
        pk=survey_id, organisation_id=organisation_id
    )
    check_printable(survey)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    with audit.acting_as(user, f"courriers de l'enquête n° {survey.pk}"):
        create_invitations(survey=survey, by=user)
    site = survey.organisation.sites.filter(pk=site_id).first() if site_id else None
    households = households_to_print(survey, site=site, only_unanswered=only_unanswered)
    invitations = list(paper.invitations_to_print(survey).filter(household__in=households))
    if not invitations:
        return {"file": "", "households": 0, "pages": 0, "parts": 0}
    stem = _stem(organisation_id, survey_id, batch_id)
    stem.parent.mkdir(parents=True, exist_ok=True)
    progress_path = stem.with_suffix(".progress")
    try:
        written = paper.write_batch(
            survey=survey,
            invitations=invitations,
            answer_url=answer_url,
            contact=contact,
            target=stem,
            progress=_progress_writer(progress_path),
        )
    finally:
        progress_path.unlink(missing_ok=True)
    return {
        "file": written.path.name,
        "households": written.households,
        "pages": written.pages,
        "parts": written.parts,
    }


@dataclass(frozen=True)
class Batch:
    id: str
    status: str  # a TaskResultStatus value
    enqueued_at: dt.datetime | None
    finished_at: dt.datetime | None
    site_id: int | None
    only_unanswered: bool
    done: int
    total: int
    households: int
    pages: int
    parts: int
    path: Path | None

    @property
    def is_running(self) -> bool:
        return self.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)

    @property
    def failed(self) -> bool:
        return self.status == TaskResultStatus.FAILED

    @property
    def is_zip(self) -> bool:
        return self.path is not None and self.path.suffix == ".zip"

    @property
    def progress_percent(self) -> int | None:
        return min(100, round(100 * self.done / self.total)) if self.total else None


def get_batch(*, batch_id: str, survey: Survey) -> Batch | None:
    """The batch, if it is one of this survey's (and so of its organisation's); None otherwise."""
    from proxima.needs.tasks import print_letters

    try:
        result = print_letters.get_result(str(batch_id))
    except (TaskResultDoesNotExist, TaskResultMismatch):
        return None
    arguments = result.kwargs
    if arguments.get("organisation_id") != survey.organisation_id or arguments.get("survey_id") != survey.pk:
        return None
    stem = _stem(survey.organisation_id, survey.pk, str(result.id))
    done = total = 0
    value = {}
    if result.status == TaskResultStatus.SUCCESSFUL:
        value = result.return_value or {}
    else:
        try:
            progress = json.loads(stem.with_suffix(".progress").read_text())
            done, total = progress["done"], progress["total"]
        except (OSError, ValueError, KeyError):
            pass
    path = stem.parent / value["file"] if value.get("file") else None
    if path is not None and not path.is_file():
        path = None  # deleted after the retention period
    return Batch(
        id=str(result.id),
        status=result.status,
        enqueued_at=result.enqueued_at,
        finished_at=result.finished_at,
        site_id=arguments.get("site_id"),
        only_unanswered=bool(arguments.get("only_unanswered")),
        done=value.get("households", done),
        total=value.get("households", total),
        households=value.get("households", 0),
        pages=value.get("pages", 0),
        parts=value.get("parts", 0),
        path=path,
    )


def recent_batches(survey: Survey) -> list[Batch]:
    """The survey's batches whose file is still kept, newest first."""
    directory = batch_dir(survey.organisation_id)
    if not directory.is_dir():
        return []
    prefix = f"enquete-{survey.pk}-"
    ids = {p.stem.removeprefix(prefix) for p in directory.glob(f"{prefix}*") if p.suffix in FILE_SUFFIXES}
    batches = [batch for batch in (get_batch(batch_id=i, survey=survey) for i in ids) if batch is not None]
    return sorted(batches, key=lambda b: b.finished_at or timezone.now(), reverse=True)
