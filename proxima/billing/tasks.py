from django_tasks import task

from proxima.billing import services


@task()
def run_billing(*, run_id: int) -> int:
    """Bill a month in the background; the run's status shows the progress and the result."""
    run, _ = services.execute_run(run_id)
    return run.lines_count
