from django_tasks import task

from proxima.imports import services


@task()
def validate_import(job_id: int) -> None:
    services.validate_job(job_id)


@task()
def apply_import(job_id: int) -> None:
    services.apply_job(job_id)
