"""Visit logs: whom the agent met at a visit of the bus, and the figures the impact measures read.

Each household met becomes one entry of its interaction history (``households.Interaction``, channel "agence
mobile"), kept in step with the log: editing the log updates it, removing the household from the log deletes
it. People who did not give their lease reference are only counted, with the topics they raised.

A field agent may log any visit of their organisation (they replace a colleague at a stop) but may only name
the households of the sites entrusted to them (``Household.objects.visible_to``): the households a colleague
named and they cannot see are left as they are when they edit the log.
"""

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from proxima.accounts import perms
from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.models import TourPlan, Visit, VisitContact, VisitLog
from proxima.households.enums import InteractionChannel
from proxima.households.models import Household, Interaction

AGENCY_SOURCE = "agence mobile"
# Words for the history's "theme" column (30 characters): all four topics do not fit in full, hence the
# abbreviations, used only when the full words do not fit.
TOPIC_WORDS = {
    VisitTopic.TECHNICAL: "technique",
    VisitTopic.ADMINISTRATIVE: "administratif",
    VisitTopic.RIGHTS: "droits",
    VisitTopic.ACTIVITY: "activité",
}
TOPIC_ABBREVIATIONS = {
    VisitTopic.TECHNICAL: "tech.",
    VisitTopic.ADMINISTRATIVE: "admin.",
    VisitTopic.RIGHTS: "droits",
    VisitTopic.ACTIVITY: "activ.",
}
THEME_LENGTH = Interaction._meta.get_field("theme").max_length


@dataclass(frozen=True)
class ContactEntry:
    """A household met at a visit, as the agent records it."""

    household: Household
    topics: tuple[str, ...] = ()
    follow_up: str = FollowUp.NONE


def ordered_topics(topics: Collection[str]) -> list[str]:
    """``topics`` without duplicates, in the order of ``VisitTopic``; ``ValidationError`` for an unknown one."""
    if unknown := sorted(set(topics) - set(VisitTopic.values)):
        raise ValidationError(f"Sujet inconnu : {', '.join(unknown)}.")
    return [topic for topic in VisitTopic.values if topic in set(topics)]


def interaction_theme(topics: Collection[str]) -> str:
    """The topics in words for the interaction history, abbreviated when the full words do not fit."""
    ordered = ordered_topics(topics)
    full = ", ".join(TOPIC_WORDS[VisitTopic(t)] for t in ordered)
    if len(full) <= THEME_LENGTH:
        return full
    return ", ".join(TOPIC_ABBREVIATIONS[VisitTopic(t)] for t in ordered)


def visit_occurred_at(visit: Visit) -> dt.datetime:
    """When the people of a visit were met: the day of the visit at its opening time, local time."""
    return timezone.make_aware(dt.datetime.combine(visit.day.date, visit.start))


def loggable_visits(user):
    """The visits a user may log: every visit of their organisation's published plans, and those already logged
    (a plan replaced by the next one keeps its logs within reach)."""
    return Visit.objects.for_organisation(user.organisation).filter(
        Q(day__plan__published_at__isnull=False) | Q(log__isnull=False)
    )


def _interaction_fields(visit: Visit, contact_topics: list[str], follow_up: str) -> dict:
    return {
        "occurred_at": visit_occurred_at(visit),
        "channel": InteractionChannel.MOBILE_AGENCY.value,
        "source": AGENCY_SOURCE,
        "theme": interaction_theme(contact_topics),
        "outcome": str(FollowUp(follow_up).label),
        "note": f"Passage de l'agence mobile : {visit.stop.name}"[:500],
    }


def _check_visit(visit: Visit, by, today: dt.date) -> None:
    plan = visit.day.plan
    if not perms.can_log_visits(by, plan.organisation):
        raise PermissionDenied("Vous ne pouvez pas tenir le compte rendu des passages de cette organisation.")
    if plan.published_at is None and not VisitLog.objects.filter(visit=visit).exists():
        raise ValidationError("Ce passage n'appartient pas à une tournée publiée.")
    if visit.day.date > today:
        raise ValidationError("Ce passage n'a pas encore eu lieu : son compte rendu se remplit le jour même ou après.")


def _check_contacts(contacts: Sequence[ContactEntry], by) -> list[tuple[ContactEntry, list[str]]]:
    ids = [c.household.pk for c in contacts]
    if len(ids) != len(set(ids)):
        raise ValidationError("Un même ménage est nommé deux fois.")
    visible = set(Household.objects.visible_to(by).filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - visible:
        # Another organisation's household, or for a field agent one of a site not entrusted to them.
        raise PermissionDenied("Vous ne pouvez nommer que les ménages des résidences qui vous sont confiées.")
    checked = []
    for contact in contacts:
        if contact.follow_up not in FollowUp.values:
            raise ValidationError(f"Suite inconnue : « {contact.follow_up} ».")
        checked.append((contact, ordered_topics(contact.topics)))
    return checked


@transaction.atomic
def save_visit_log(
    *,
    visit: Visit,
    by,
    contacts: Sequence[ContactEntry],
    anonymous_count: int = 0,
    anonymous_topics: Collection[str] = (),
    note: str = "",
    today: dt.date | None = None,
) -> VisitLog:
    """Create or update the log of ``visit`` and mirror its households in their interaction history.

    ``contacts`` is the whole list of households met that ``by`` may name: a household of the log missing from
    it is removed with its interaction; households ``by`` cannot see are kept as they are. Saving the same
    log twice writes nothing the second time. Everything is written, or nothing.

    Raises
    ------
    PermissionDenied
        When ``by`` may not log the visits of its organisation, or names a household they cannot see.
    ValidationError
        For a visit of an unpublished plan or still to come, an unknown topic or follow-up, a household named
        twice, a negative count or topics for nobody.
    """
    today = today or timezone.localdate()
    _check_visit(visit, by, today)
    checked = _check_contacts(contacts, by)
    if anonymous_count < 0:
        raise ValidationError("Le nombre de personnes accueillies ne peut pas être négatif.")
    anonymous_topics = ordered_topics(anonymous_topics)
    if anonymous_topics and not anonymous_count:
        raise ValidationError("Des sujets sont cochés pour l'accueil anonyme, mais personne n'est compté.")
    note = note.strip()

    log, created = VisitLog.objects.select_for_update().get_or_create(
        visit=visit,
        defaults={
            "anonymous_count": anonymous_count,
            "anonymous_topics": anonymous_topics,
            "note": note,
            "recorded_by": by,
        },
    )
    changed = not created and (log.anonymous_count, log.anonymous_topics, log.note) != (
        anonymous_count,
        anonymous_topics,
        note,
    )
    existing = {c.household_id: c for c in log.contacts.select_related("interaction")}
    in_scope = set(Household.objects.visible_to(by).filter(pk__in=existing).values_list("pk", flat=True))
    wanted = {entry.household.pk for entry, _ in checked}
    for household_id in sorted(in_scope - wanted):
        _delete_contact(existing[household_id])
        changed = True
    for entry, topics in checked:
        changed |= _write_contact(log, visit, existing.get(entry.household.pk), entry, topics, by)
    if changed and not created:
        # The log names its last author (its history is in the audit trail).
        log.anonymous_count, log.anonymous_topics, log.note, log.recorded_by = (
            anonymous_count,
            anonymous_topics,
            note,
            by,
        )
        log.full_clean()
        log.save()
    return log


def _delete_contact(contact: VisitContact) -> None:
    interaction = contact.interaction
    contact.delete()
    if interaction is not None:
        interaction.delete()


def _write_contact(
    log: VisitLog, visit: Visit, contact: VisitContact | None, entry: ContactEntry, topics: list[str], by
) -> bool:
    """Create or update the contact and its interaction; whether anything was written."""
    fields = _interaction_fields(visit, topics, entry.follow_up)
    interaction = contact.interaction if contact is not None else None
    changed = False
    if interaction is None:
        interaction = Interaction(
            organisation_id=entry.household.organisation_id, household=entry.household, recorded_by=by, **fields
        )
        interaction.full_clean()
        interaction.save()
        changed = True
    elif any(getattr(interaction, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(interaction, name, value)
        interaction.recorded_by = by
        interaction.full_clean()
        interaction.save()
        changed = True
    if contact is None:
        VisitContact.objects.create(
            log=log, household=entry.household, topics=topics, follow_up=entry.follow_up, interaction=interaction
        )
        changed = True
    elif (contact.topics, contact.follow_up, contact.interaction_id) != (topics, entry.follow_up, interaction.pk):
        contact.topics, contact.follow_up, contact.interaction = topics, entry.follow_up, interaction
        contact.save()
        changed = True
    return changed


# Summary of a plan's logs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFigures:
    """What the logs of some visits say, in counts.

    ``contacts`` counts household-visit meetings (a household met at two visits counts twice);
    ``households_met`` counts distinct households. ``topics`` and ``follow_ups`` count contacts by topic and
    by follow-up (a contact may raise several topics); ``anonymous_topics`` counts the logged visits whose
    anonymous welcome raised each topic. Every topic and follow-up code is a key, zero included.
    """

    visits: int = 0
    logged_visits: int = 0
    contacts: int = 0
    households_met: int = 0
    anonymous: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    anonymous_topics: dict[str, int] = field(default_factory=dict)
    follow_ups: dict[str, int] = field(default_factory=dict)

    @property
    def people_met(self) -> int:
        """Named households met plus people counted anonymously."""
        return self.contacts + self.anonymous


@dataclass(frozen=True)
class StopVisitSummary:
    stop_id: int
    stop_name: str
    commune: str
    figures: VisitFigures


@dataclass(frozen=True)
class PlanVisitSummary:
    plan_id: int
    total: VisitFigures
    stops: tuple[StopVisitSummary, ...]


class _Tally:
    def __init__(self):
        self.visits = 0
        self.logged = 0
        self.contacts = 0
        self.households: set[int] = set()
        self.anonymous = 0
        self.topics = Counter()
        self.anonymous_topics = Counter()
        self.follow_ups = Counter()

    def figures(self) -> VisitFigures:
        return VisitFigures(
            visits=self.visits,
            logged_visits=self.logged,
            contacts=self.contacts,
            households_met=len(self.households),
            anonymous=self.anonymous,
            topics={t: self.topics[t] for t in VisitTopic.values},
            anonymous_topics={t: self.anonymous_topics[t] for t in VisitTopic.values},
            follow_ups={f: self.follow_ups[f] for f in FollowUp.values},
        )


def visit_summary(plan: TourPlan) -> PlanVisitSummary:
    """The figures of the logs of ``plan``'s visits, per stop (by name) and in total: no household named.

    Three queries whatever the size of the plan.
    """
    total = _Tally()
    per_stop: dict[int, _Tally] = {}
    names: dict[int, tuple[str, str]] = {}
    for stop_id, name, commune in Visit.objects.filter(day__plan=plan).values_list(
        "stop_id", "stop__name", "stop__commune__name"
    ):
        names[stop_id] = (name, commune)
        per_stop.setdefault(stop_id, _Tally()).visits += 1
        total.visits += 1
    for stop_id, count, topics in VisitLog.objects.filter(visit__day__plan=plan).values_list(
        "visit__stop_id", "anonymous_count", "anonymous_topics"
    ):
        for tally in (per_stop[stop_id], total):
            tally.logged += 1
            tally.anonymous += count
            tally.anonymous_topics.update(set(topics))
    for stop_id, household_id, topics, follow_up in VisitContact.objects.filter(
        log__visit__day__plan=plan
    ).values_list("log__visit__stop_id", "household_id", "topics", "follow_up"):
        for tally in (per_stop[stop_id], total):
            tally.contacts += 1
            tally.households.add(household_id)
            tally.topics.update(set(topics))
            tally.follow_ups[follow_up] += 1
    stops = sorted(
        (
            StopVisitSummary(
                stop_id=stop_id, stop_name=names[stop_id][0], commune=names[stop_id][1], figures=t.figures()
            )
            for stop_id, t in per_stop.items()
        ),
        key=lambda s: (s.stop_name.lower(), s.stop_id),
    )
    return PlanVisitSummary(plan_id=plan.pk, total=total.figures(), stops=tuple(stops))
