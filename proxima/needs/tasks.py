from django_tasks import TaskContext, task

from proxima.needs import paper_batches


@task(takes_context=True)
def print_letters(
    context: TaskContext,
    *,
    organisation_id: int,
    survey_id: int,
    site_id: int | None,
    only_unanswered: bool,
    answer_url: str,
    contact: str,
    user_id: int | None,
) -> dict:
    return paper_batches.run_batch(
        batch_id=str(context.task_result.id),
        organisation_id=organisation_id,
        survey_id=survey_id,
        site_id=site_id,
        only_unanswered=only_unanswered,
        answer_url=answer_url,
        contact=contact,
        user_id=user_id,
    )
