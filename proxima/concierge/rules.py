"""The concierge's rules, as plain computation: request statuses, due dates, appointment slots, waiting lists.

Nothing here imports Django: the services (``proxima.concierge.services``) load the rows, call these
functions with plain values and ``today`` or ``now`` passed in, and save what they return. The status codes
are the values of ``proxima.concierge.enums.RequestStatus`` (tests/concierge/test_rules.py checks they agree).
"""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

NEW = "new"
IN_PROGRESS = "in_progress"
ON_HOLD = "on_hold"
DONE = "done"
CANCELLED = "cancelled"
OPEN_STATUSES = (NEW, IN_PROGRESS, ON_HOLD)
CLOSED_STATUSES = (DONE, CANCELLED)

# Each transition of a request: the statuses it may start from, and the status it leads to. A bread
# drop-off or a parcel is often handed over at once, so "complete" and "cancel" start from any open status.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": ((NEW,), IN_PROGRESS),
    "hold": ((NEW, IN_PROGRESS), ON_HOLD),
    "resume": ((ON_HOLD,), IN_PROGRESS),
    "complete": (OPEN_STATUSES, DONE),
    "cancel": (OPEN_STATUSES, CANCELLED),
    "reopen": (CLOSED_STATUSES, IN_PROGRESS),
}

# Days given to handle a request of each kind when staff set no due date (the code values of RequestKind).
# Bread and parcels are handed over the next working day; a loan or a toy is prepared within the week;
# paperwork, tutoring, training and repairs need an appointment or a volunteer: two weeks.
DUE_DAYS: dict[str, int] = {
    "bread": 1,
    "parcel": 1,
    "loan": 3,
    "toy_library": 3,
    "paperwork": 7,
    "tutoring": 14,
    "training": 14,
    "small_repair": 14,
}
SATURDAY = 5


def next_status(action: str, status: str) -> str | None:
    """The status ``action`` leads to from ``status``, or None when the action is not open from there.

    Raises ``ValueError`` for an action that does not exist.
    """
    if action not in TRANSITIONS:
        raise ValueError(f"Expected one of {sorted(TRANSITIONS)}, got {action!r}.")
    sources, target = TRANSITIONS[action]
    return target if status in sources else None


def available_actions(status: str) -> list[str]:
    """The actions open from ``status``, in the order of ``TRANSITIONS``."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def working_day(day: dt.date) -> dt.date:
    """``day``, or the Monday after it when it falls on a weekend (the concierge is closed then)."""
    if day.weekday() >= SATURDAY:
        return day + dt.timedelta(days=7 - day.weekday())
    return day


def default_due_on(kind: str, received_on: dt.date) -> dt.date:
    """The day a request of ``kind`` received on ``received_on`` is due: ``DUE_DAYS`` later, on a working day."""
    if kind not in DUE_DAYS:
        raise ValueError(f"Expected a request kind among {sorted(DUE_DAYS)}, got {kind!r}.")
    return working_day(received_on + dt.timedelta(days=DUE_DAYS[kind]))


def loan_due_on(lent_on: dt.date, loan_days: int) -> dt.date:
    """The day an item lent on ``lent_on`` for ``loan_days`` days comes back: a working day."""
    if loan_days < 1:
        raise ValueError("Expected loan_days >= 1.")
    return working_day(lent_on + dt.timedelta(days=loan_days))


def is_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """An open request whose due day has passed."""
    return status in OPEN_STATUSES and due_on is not None and due_on < today


@dataclass(frozen=True)
class Slot:
    """An appointment slot of an office hours session: its times, whether it is free and whether it has begun."""

    starts_at: dt.time
    ends_at: dt.time
    is_free: bool = True
    is_past: bool = False

    @property
    def is_bookable(self) -> bool:
        return self.is_free and not self.is_past


def office_slots(
    day: dt.date,
    start: dt.time,
    end: dt.time,
    minutes: int,
    *,
    taken: Collection[dt.time] = (),
    now: dt.datetime,
) -> list[Slot]:
    """The slots of ``minutes`` that fit whole in the session, marked taken or begun.

    Parameters
    ----------
    day, start, end
        The session: its date and its opening and closing times (local time).
    minutes
        Length of one appointment, in minutes; a remainder shorter than that at the end is not offered.
    taken
        Start times of the slots already booked.
    now
        The current local time, naive: a slot that has begun can no longer be booked.
    """
    if minutes < 1:
        raise ValueError("Expected minutes >= 1.")
    if start >= end:
        raise ValueError("Expected start < end.")
    step = dt.timedelta(minutes=minutes)
    current, closing = dt.datetime.combine(day, start), dt.datetime.combine(day, end)
    taken = set(taken)
    slots = []
    while current + step <= closing:
        slots.append(
            Slot(
                starts_at=current.time(),
                ends_at=(current + step).time(),
                is_free=current.time() not in taken,
                is_past=current <= now,
            )
        )
        current += step
    return slots


@dataclass(frozen=True)
class Seat:
    """A registration to an activity as the waiting list sees it, in order of arrival."""

    id: int
    places: int
    confirmed: bool


@dataclass(frozen=True)
class Allocation:
    """Which registrations hold places, which wait, and how many places are left."""

    confirmed: tuple[int, ...]
    waiting: tuple[int, ...]
    free_places: int


def allocate_places(capacity: int, seats: Sequence[Seat]) -> Allocation:
    """Give the places of an activity to its registrations, in their order of arrival.

    Confirmed registrations keep their places, even if the capacity was lowered below them (nobody is
    struck off once told they have a place). Then each waiting registration, oldest first, gets its places
    if they all fit in what is left: a family of four that does not fit stays first in line while a single
    person behind it takes the last place, so that no place is left empty on the day.
    """
    if capacity < 0:
        raise ValueError("Expected capacity >= 0.")
    if any(seat.places < 1 for seat in seats):
        raise ValueError("Expected places >= 1 for every registration.")
    free = capacity - sum(seat.places for seat in seats if seat.confirmed)
    confirmed = [seat.id for seat in seats if seat.confirmed]
    waiting = []
    for seat in seats:
        if seat.confirmed:
            continue
        if seat.places <= free:
            confirmed.append(seat.id)
            free -= seat.places
        else:
            waiting.append(seat.id)
    return Allocation(confirmed=tuple(confirmed), waiting=tuple(waiting), free_places=max(free, 0))
