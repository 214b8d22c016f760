"""Invitations: one single-use code per targeted household and survey, printed on its letter.

Creating them is idempotent: run it again after new households were imported, and only the
missing ones are created; the codes already printed never change.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction
from proxima.households.models import Household
from proxima.needs.enums import SurveyStatus
from proxima.needs.models import Invitation, Response, Survey, new_invitation_code
from proxima.needs.services import targeted

# Rows per INSERT and per "which of these codes exist?" query: well under SQLite's variable limit.
CHUNK_SIZE = 2000
# 31^8 ≈ 8.5e11 possible codes: even with 10^6 codes stored, a draw collides once in ~850,000.
MAX_ATTEMPTS = 5


def targeted_households(survey: Survey):
    """The households a survey is sent to: those of its sites and of its communes, or all if it names none."""
    return targeted(survey, Household.objects.all())


@dataclass(frozen=True)
class InvitationCounts:
    targeted: int
    invited: int
    used: int
    responded: int  # targeted households with a response, whatever the channel

    @property
    def missing(self) -> int:
        return self.targeted - self.invited


def count_invitations(survey: Survey) -> InvitationCounts:
    targeted = targeted_households(survey)
    invitations = Invitation.objects.filter(survey=survey, household__in=targeted)
    return InvitationCounts(
        targeted=targeted.count(),
        invited=invitations.count(),
        used=invitations.filter(used_at__isnull=False).count(),
        responded=Response.objects.filter(survey=survey, household__in=targeted).count(),
    )


def _fresh_codes(count: int) -> list[str]:
    """``count`` new codes, distinct from each other and from every code already stored."""
    codes: set[str] = set()
    while len(codes) < count:
        candidates = {new_invitation_code() for _ in range(count - len(codes))} - codes
        taken = set(Invitation.objects.filter(code__in=candidates).values_list("code", flat=True))
        codes |= candidates - taken
    return list(codes)


def _insert(survey: Survey, household_ids: list[int]) -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        rows = [
            Invitation(survey=survey, household_id=pk, code=code)
            for pk, code in zip(household_ids, _fresh_codes(len(household_ids)), strict=True)
        ]
        try:
            # A savepoint: a code taken meanwhile by another survey's batch fails this chunk only.
            with transaction.atomic():
                Invitation.objects.bulk_create(rows)
            return
        except IntegrityError:
            if attempt == MAX_ATTEMPTS:
                raise


def create_invitations(*, survey: Survey, by=None) -> int:
    """Create the missing invitations of the survey's targeted households; return how many were created.

    Running it twice creates nothing the second time. A closed survey gets no new codes: its letters
    would invite residents to answer a survey that no longer takes answers.
    """
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError("Cette enquête est close : elle ne reçoit plus de réponses, aucun code n'est créé.")
    with transaction.atomic():
        # Serialises two clicks on "create": the second one waits, then finds nothing missing.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        missing = list(
            targeted_households(survey).exclude(invitations__survey=survey).order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, len(missing), CHUNK_SIZE):
            _insert(survey, missing[start : start + CHUNK_SIZE])
        created = len(missing)
        if created:
            # bulk_create fires no signal: one event counts the codes created.
            audit.record(
                action=AuditAction.CREATE,
                organisation_id=survey.organisation_id,
                target_type="needs.Invitation",
                target_repr=f"codes de l'enquête « {survey.title} »",
                details={"survey": survey.pk, "count": created},
                user=by,
            )
    return created


def ensure_invitation(*, survey: Survey, household: Household) -> Invitation:
    """The household's invitation to the survey, created if missing (printing one letter on its own)."""
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError("Cette enquête est close : elle ne reçoit plus de réponses, aucun code n'est créé.")
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                invitation, _ = Invitation.objects.get_or_create(
                    survey=survey, household=household, defaults={"code": _fresh_codes(1)[0]}
                )
            return invitation
        except IntegrityError:
            if attempt == MAX_ATTEMPTS:
                raise
            attempt += 1


def normalise_code(text: str) -> str:
    """A code as typed: spaces and dashes dropped, upper case (« abcd-2345 » → « ABCD2345 »)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())
