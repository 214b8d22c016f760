"""Web imports: upload, background check, confirmation, background import."""

import time

from django.db import transaction
from django.utils import timezone

from proxima.accounts import audit
from proxima.imports.engine import run_import
from proxima.imports.kinds import IMPORTERS
from proxima.imports.models import ImportJob, ImportStatus

PROGRESS_INTERVAL_SECONDS = 0.5


def create_job(*, organisation, user, kind: str, file, mapping=None, skip_invalid: bool = False) -> ImportJob:
    """Store the upload and queue its check. Nothing is imported before the user confirms."""
    from proxima.imports.tasks import validate_import

    with transaction.atomic():
        job = ImportJob(
            organisation=organisation,
            kind=kind,
            original_name=file.name[:255],
            skip_invalid=skip_invalid,
            created_by=user,
        )
        job.file.save(file.name, file, save=False)
        if mapping is not None:
            job.mapping_name = mapping.name[:255]
            job.mapping.save(mapping.name, mapping, save=False)
        job.save()
        transaction.on_commit(lambda: validate_import.enqueue(job.pk))
    return job


def _progress_writer(job: ImportJob):
    """Write progress at most every half second: one UPDATE, not one per chunk."""
    last = 0.0

    def write(done: int, total: int):
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL_SECONDS or done >= total:
            last = now
            ImportJob.objects.filter(pk=job.pk).update(rows_done=done, rows_total=total)

    return write


def _run(job: ImportJob, *, dry_run: bool):
    return run_import(
        IMPORTERS[job.kind],
        job.file.path,
        organisation=job.organisation,
        display_name=job.original_name,
        mapping_path=job.mapping.path if job.mapping else None,
        mapping_name=job.mapping_name or None,
        skip_invalid=job.skip_invalid,
        dry_run=dry_run,
        progress=_progress_writer(job) if dry_run else None,
    )


def validate_job(job_id: int) -> ImportJob:
    """Check every row without writing anything; the page then shows the errors or the confirm button."""
    job = ImportJob.objects.select_related("organisation").get(pk=job_id)
    if job.status not in {ImportStatus.PENDING, ImportStatus.VALIDATING}:
        return job  # a retried task: the check already happened
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING, rows_done=0)
    with audit.acting_as(job.created_by, f"vérification de l'import web n° {job.pk}"):
        report = _run(job, dry_run=True)
        job.validation = report.as_dict()
        job.rows_done = job.rows_total = report.rows_read
        ready = report.ok or (job.skip_invalid and report.rows_valid > 0)
        job.status = ImportStatus.READY if ready else ImportStatus.INVALID
        job.save(update_fields=["validation", "rows_done", "rows_total", "status"])
    return job


def confirm_job(*, job: ImportJob, skip_invalid: bool = False) -> bool:
    """Queue the import of a checked file. Returns False if it was already queued (double click)."""
    from proxima.imports.tasks import apply_import

    with transaction.atomic():
        allowed = [ImportStatus.READY]
        if skip_invalid:
            allowed.append(ImportStatus.INVALID)
        updates = {"status": ImportStatus.QUEUED}
        if skip_invalid:
            updates["skip_invalid"] = True
        # The conditional UPDATE is the lock: of two clicks, only one finds the job still READY.
        changed = ImportJob.objects.filter(pk=job.pk, status__in=allowed).update(**updates)
        if changed:
            transaction.on_commit(lambda: apply_import.enqueue(job.pk))
    return bool(changed)


def apply_job(job_id: int) -> ImportJob:
    """Import the confirmed file, all or nothing, as the user who uploaded it."""
    job = ImportJob.objects.select_related("organisation", "created_by").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    with audit.acting_as(job.created_by, f"import web n° {job.pk}"):
        report = _run(job, dry_run=False)
        job.result = report.as_dict()
        job.status = ImportStatus.DONE if report.applied else ImportStatus.FAILED
        job.finished_at = timezone.now()
        job.save(update_fields=["result", "status", "finished_at"])
        if report.applied:
            discard_files(job)
    return job


def discard_files(job: ImportJob) -> None:
    """Delete the uploaded files: they hold personal data and are no longer needed."""
    for field in (job.file, job.mapping):
        if field:
            field.delete(save=False)
    job.save(update_fields=["file", "mapping"])
