"""Access rules of the needs app's paper routes, merged into tests/test_access.py's ROUTES.

Codes, letters and their batches name households: they are for the admins and the proximity team
(``can_manage_surveys``). Returned forms are typed by the staff who collect answers, field agents
included for their sites' households. Another landlord's admin gets a 404 on every one of ours.
"""

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from proxima.needs import paper_batches
from proxima.needs.tasks import print_letters
from tests.needs.factories import InvitationFactory, small_survey

MANAGERS = {"admin", "staff"}
COLLECTORS = {"admin", "staff", "field_agent"}


def _survey(w):
    return {"pk": w["paper_survey"].pk}


def _batch(w):
    return {"pk": w["paper_survey"].pk, "batch_id": w["paper_batch_id"]}


ROUTES = {
    "needs:paper_invitations": (MANAGERS, "get", _survey),
    "needs:paper_invitations_create": (MANAGERS, "post", _survey),
    "needs:paper_invitations_export": (MANAGERS, "get", _survey),
    "needs:paper_household": (
        MANAGERS,
        "get",
        lambda w: {"pk": w["paper_survey"].pk, "household_pk": w["household"].pk},
    ),
    "needs:paper_batch": (MANAGERS, "post", _survey),
    "needs:paper_batch_detail": (MANAGERS, "get", _batch),
    "needs:paper_batch_download": (MANAGERS, "get", _batch),
    "needs:paper_entry": (COLLECTORS, "get", _survey),
    "needs:paper_entry_form": (
        COLLECTORS,
        "get",
        lambda w: {"pk": w["paper_survey"].pk, "code": w["paper_invitation"].code},
    ),
}


def build(world):
    """An open survey of organisation A aimed at the world's site, the household's code, and a finished batch."""
    survey = small_survey(world["site"].organisation, sites=[world["site"]])
    invitation = InvitationFactory(survey=survey, household=world["household"])
    # A batch as the worker leaves it, without laying out a PDF for every visitor of every route.
    result = print_letters.enqueue(
        organisation_id=survey.organisation_id,
        survey_id=survey.pk,
        site_id=None,
        only_unanswered=False,
        answer_url="http://testserver/repondre/",
        contact="",
        user_id=None,
    )
    path = paper_batches.batch_dir(survey.organisation_id) / f"enquete-{survey.pk}-{result.id}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7\n")
    DBTaskResult.objects.filter(id=result.id).update(
        status="SUCCESSFUL",
        finished_at=timezone.now(),
        return_value={"file": path.name, "households": 1, "pages": 3, "parts": 1},
    )
    return {"paper_survey": survey, "paper_invitation": invitation, "paper_batch_id": str(result.id)}
