from django_tasks import task

from proxima.agency import services


@task()
def compute_plan(*, plan_id: int) -> dict:
    """Compute a tour plan in the background; its progress and result are kept on the plan."""
    return services.run_planning(plan_id)
