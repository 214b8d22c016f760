"""The concierge's pure rules: transitions, due dates, slots and the waiting list. No database."""

import datetime as dt

import pytest

from proxima.concierge import rules
from proxima.concierge.enums import RequestAction, RequestKind, RequestStatus

T = dt.time
MONDAY = dt.date(2026, 11, 2)


class TestCodes:
    def test_statuses_and_kinds_agree_with_the_enums(self):
        """The pure module's codes are the enums' values: the services rely on it."""
        assert set(rules.OPEN_STATUSES + rules.CLOSED_STATUSES) == set(RequestStatus.values)
        assert set(rules.DUE_DAYS) == set(RequestKind.values)
        assert set(rules.TRANSITIONS) <= set(RequestAction.values)


class TestTransitions:
    @pytest.mark.parametrize(
        ("action", "status", "expected"),
        [
            ("start", "new", "in_progress"),
            ("hold", "in_progress", "on_hold"),
            ("hold", "new", "on_hold"),
            ("resume", "on_hold", "in_progress"),
            ("complete", "new", "done"),
            ("complete", "on_hold", "done"),
            ("cancel", "in_progress", "cancelled"),
            ("reopen", "done", "in_progress"),
            ("reopen", "cancelled", "in_progress"),
        ],
    )
    def test_allowed(self, action, status, expected):
        """Each transition leads from its sources to its target."""
        assert rules.next_status(action, status) == expected

    @pytest.mark.parametrize(
        ("action", "status"),
        [
            ("start", "in_progress"),
            ("resume", "new"),
            ("complete", "done"),
            ("cancel", "cancelled"),
            ("reopen", "new"),
        ],
    )
    def test_refused(self, action, status):
        """A transition from a status it does not start from is refused (None)."""
        assert rules.next_status(action, status) is None

    def test_unknown_action(self):
        """An action that does not exist is a programming error."""
        with pytest.raises(ValueError, match="Expected one of"):
            rules.next_status("archive", "new")

    def test_available_actions(self):
        """A new request can be started, put on hold, completed or cancelled; a closed one only reopened."""
        assert rules.available_actions("new") == ["start", "hold", "complete", "cancel"]
        assert rules.available_actions("done") == ["reopen"]


class TestDueDates:
    def test_bread_is_due_next_working_day(self):
        """Bread ordered on Friday is due on Monday, not on Saturday."""
        assert rules.default_due_on("bread", dt.date(2026, 11, 6)) == dt.date(2026, 11, 9)

    def test_repair_two_weeks(self):
        """A small repair is due two weeks later."""
        assert rules.default_due_on("small_repair", MONDAY) == dt.date(2026, 11, 16)

    def test_unknown_kind(self):
        with pytest.raises(ValueError, match="request kind"):
            rules.default_due_on("pizza", MONDAY)

    def test_loan_comes_back_on_a_working_day(self):
        """A 5-day loan from Monday ends on Saturday: it comes back on Monday."""
        assert rules.loan_due_on(MONDAY, 5) == dt.date(2026, 11, 9)

    @pytest.mark.parametrize("days", [0, -1])
    def test_loan_days_positive(self, days):
        with pytest.raises(ValueError, match="loan_days"):
            rules.loan_due_on(MONDAY, days)

    @pytest.mark.parametrize(
        ("status", "due_on", "expected"),
        [("new", dt.date(2026, 11, 1), True), ("new", MONDAY, False), ("done", dt.date(2026, 11, 1), False)],
    )
    def test_overdue(self, status, due_on, expected):
        """Only an open request past its due day is overdue; due today is not."""
        assert rules.is_overdue(status, due_on, MONDAY) is expected


class TestOfficeSlots:
    def test_slots_fit_whole(self):
        """9:00–10:10 in 20-minute slots: three slots, the last ten minutes are not offered."""
        slots = rules.office_slots(MONDAY, T(9), T(10, 10), 20, now=dt.datetime(2026, 11, 1, 12))
        assert [(s.starts_at, s.ends_at) for s in slots] == [(T(9), T(9, 20)), (T(9, 20), T(9, 40)), (T(9, 40), T(10))]
        assert all(s.is_bookable for s in slots)

    def test_taken_and_begun(self):
        """A booked slot is not free; a slot that has begun is past."""
        slots = rules.office_slots(MONDAY, T(9), T(10), 20, taken={T(9, 40)}, now=dt.datetime(2026, 11, 2, 9, 5))
        assert [(s.is_free, s.is_past) for s in slots] == [(True, True), (True, False), (False, False)]
        assert [s.is_bookable for s in slots] == [False, True, False]

    @pytest.mark.parametrize(("start", "end", "minutes"), [(T(9), T(10), 0), (T(10), T(9), 20)])
    def test_invalid(self, start, end, minutes):
        with pytest.raises(ValueError, match="Expected"):
            rules.office_slots(MONDAY, start, end, minutes, now=dt.datetime(2026, 11, 1))


def seat(pk, places, confirmed=False):
    return rules.Seat(pk, places, confirmed)


class TestAllocatePlaces:
    def test_first_come_first_served(self):
        """Ten places: the first two families (4 + 5) get theirs, the third (3) waits."""
        allocation = rules.allocate_places(10, [seat(1, 4), seat(2, 5), seat(3, 3)])
        assert allocation == rules.Allocation(confirmed=(1, 2), waiting=(3,), free_places=1)

    def test_a_smaller_registration_takes_the_last_place(self):
        """A family of four does not fit in the last place: it stays first in line, a single person behind it gets it."""
        allocation = rules.allocate_places(5, [seat(1, 4, True), seat(2, 4), seat(3, 1)])
        assert allocation.confirmed == (1, 3)
        assert allocation.waiting == (2,)
        assert allocation.free_places == 0

    def test_confirmed_keep_their_places_when_capacity_drops(self):
        """Lowering the capacity strikes nobody off: the confirmed stay, the others wait."""
        allocation = rules.allocate_places(2, [seat(1, 2, True), seat(2, 2, True), seat(3, 1)])
        assert allocation.confirmed == (1, 2)
        assert allocation.waiting == (3,)
        assert allocation.free_places == 0

    @pytest.mark.parametrize(("capacity", "seats"), [(-1, []), (5, [seat(1, 0)])])
    def test_invalid(self, capacity, seats):
        with pytest.raises(ValueError, match="Expected"):
            rules.allocate_places(capacity, seats)
