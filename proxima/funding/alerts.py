"""Searching schemes, the e-mail alerts of saved searches, and the deadlines of a plan's applications."""

import datetime as dt
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from proxima.accounts.enums import Role
from proxima.accounts.models import Organisation, User
from proxima.funding import matching
from proxima.funding.enums import ApplicationStatus, SchemeStatus
from proxima.funding.models import AlertDelivery, DeadlineReminder, FundingLine, SavedSearch, Scheme
from proxima.funding.services import scheme_input
from proxima.territory.models import Department

CRITERIA = ("department", "theme", "beneficiary", "deadline_before", "include_closed")


@dataclass(frozen=True)
class SchemeRow:
    scheme: Scheme
    status: str
    deadline: dt.date | None

    @property
    def status_label(self) -> str:
        return SchemeStatus(self.status).label


def clean_criteria(data) -> dict:
    """The known criteria of ``data`` (a QueryDict or dict), empty ones left out."""
    criteria = {}
    for name in CRITERIA:
        value = data.get(name)
        if value:
            criteria[name] = value
    return criteria


def search_schemes(criteria: dict, *, today: dt.date) -> list[SchemeRow]:
    """Schemes matching ``criteria``: ``department`` (covered, national included), ``theme``, ``beneficiary``,
    ``deadline_before`` (ISO date: a deadline known and on or before it), ``include_closed`` (else open ones only).

    Schemes are few (hundreds at most): the JSON lists are filtered in Python, the same way on every database.
    """
    schemes = Scheme.objects.with_territory()
    if not criteria.get("include_closed"):
        schemes = schemes.not_archived()
    department = criteria.get("department")
    region = None
    if department:
        schemes = schemes.prefetch_related("epcis__communes", "communes")  # _covers reads them: no query per scheme
        region = Department.objects.filter(code=department).values_list("region_id", flat=True).first()
    deadline_before = criteria.get("deadline_before")
    if isinstance(deadline_before, str):
        deadline_before = dt.date.fromisoformat(deadline_before)
    rows = []
    for scheme in schemes:
        data = scheme_input(scheme)
        status = matching.scheme_status(
            opens_on=data.opens_on, closes_on=data.closes_on, archived=data.archived, today=today
        )
        if not criteria.get("include_closed") and status in (matching.CLOSED, matching.ARCHIVED):
            continue
        if criteria.get("theme") and data.themes and criteria["theme"] not in data.themes:
            continue
        if criteria.get("beneficiary") and criteria["beneficiary"] not in data.beneficiaries:
            continue
        if department and not _covers(scheme, data, department, region):
            continue
        deadline = matching.next_deadline(data, today)
        if deadline_before and (deadline is None or deadline > deadline_before):
            continue
        rows.append(SchemeRow(scheme, status, deadline))
    return rows


def _covers(scheme: Scheme, data: matching.Scheme, department: str, region: str | None) -> bool:
    level = data.territory.level
    if level == "national":
        return True
    if level == "department":
        return department in data.territory.codes
    if level == "region":
        return region in data.territory.codes
    communes = (
        scheme.communes.all() if level == "commune" else [c for e in scheme.epcis.all() for c in e.communes.all()]
    )
    return any(c.department_id == department for c in communes)


def _due(search: SavedSearch, today: dt.date) -> bool:
    if search.last_sent_on is None:
        return True
    return (today - search.last_sent_on).days >= (1 if search.frequency == "daily" else 7)


def send_alerts(*, today: dt.date) -> int:
    """Send each due saved search one e-mail listing the matching schemes it has not yet been sent in their
    current version (new, or changed since); remember them. Running it twice sends nothing more. Returns the
    number of e-mails sent."""
    sent = 0
    searches = SavedSearch.objects.select_related("user").filter(user__is_active=True)
    for search in searches:
        if not _due(search, today):
            continue
        rows = search_schemes(search.criteria, today=today)
        already = set(search.deliveries.values_list("scheme_id", "fingerprint"))
        fresh = [r for r in rows if (r.scheme.pk, r.scheme.fingerprint) not in already]
        if not fresh:
            continue
        with transaction.atomic():
            context = {"search": search, "rows": fresh, "today": today}
            send_mail(
                subject=f"Financements : {len(fresh)} dispositif(s) nouveau(x) ou modifié(s) pour « {search.name} »",
                message=render_to_string("funding/emails/alert.txt", context),
                from_email=None,
                recipient_list=[search.user.email],
            )
            AlertDelivery.objects.bulk_create(
                [AlertDelivery(search=search, scheme=r.scheme, fingerprint=r.scheme.fingerprint) for r in fresh]
            )
            search.last_sent_on = today
            search.save(update_fields=["last_sent_on"])
        sent += 1
    return sent


@dataclass(frozen=True)
class DeadlineRow:
    line: FundingLine
    deadline: dt.date

    @property
    def project(self):
        return self.line.plan.project

    @property
    def scheme(self):
        return self.line.scheme

    @property
    def status(self) -> str:
        return self.line.get_status_display()

    def days_left(self, today: dt.date) -> int:
        return (self.deadline - today).days


def upcoming_deadlines(organisation, *, today: dt.date, days: int = 60) -> list[DeadlineRow]:
    """Planned applications whose scheme closes, or holds a committee, within ``days`` days: soonest first."""
    lines = (
        FundingLine.objects.for_organisation(organisation)
        .filter(status=ApplicationStatus.PLANNED)
        .select_related("scheme", "plan__project")
    )
    rows = []
    horizon = today + dt.timedelta(days=days)
    for line in lines:
        deadline = matching.next_deadline(scheme_input_dates(line.scheme), today)
        if deadline is not None and deadline <= horizon:
            rows.append(DeadlineRow(line, deadline))
    return sorted(rows, key=lambda r: (r.deadline, r.line.pk))


#: Planned applications are reminded when their scheme's next deadline is this many days away or less.
REMINDER_DAYS = 30


def send_deadline_reminders(*, today: dt.date, days: int = REMINDER_DAYS) -> int:
    """E-mail each landlord's admins and proximity team the planned applications whose scheme closes, or holds a
    committee, within ``days`` days and that were not yet reminded for that deadline; remember them. Running it
    twice sends nothing more; a scheme's next committee is reminded again. Returns the number of e-mails sent."""
    sent = 0
    organisations = Organisation.objects.filter(
        pk__in=FundingLine.objects.filter(status=ApplicationStatus.PLANNED).values("plan__project__organisation")
    ).order_by("pk")
    for organisation in organisations:
        rows = upcoming_deadlines(organisation, today=today, days=days)
        done = set(DeadlineReminder.objects.filter(line__in=[r.line for r in rows]).values_list("line_id", "deadline"))
        fresh = [r for r in rows if (r.line.pk, r.deadline) not in done]
        recipients = list(
            User.objects.filter(organisation=organisation, is_active=True, role__in=[Role.ADMIN, Role.STAFF])
            .order_by("email")
            .values_list("email", flat=True)
        )
        if not fresh or not recipients:
            continue
        with transaction.atomic():
            items = [{"row": r, "days": r.days_left(today)} for r in fresh]
            context = {"organisation": organisation, "items": items, "today": today}
            send_mail(
                subject=f"Financements : {len(fresh)} demande(s) à déposer avant l'échéance",
                message=render_to_string("funding/emails/deadlines.txt", context),
                from_email=None,
                recipient_list=recipients,
            )
            DeadlineReminder.objects.bulk_create([DeadlineReminder(line=r.line, deadline=r.deadline) for r in fresh])
        sent += 1
    return sent


def scheme_input_dates(scheme: Scheme) -> matching.Scheme:
    """Only the dates of a scheme, for deadlines (no territory query)."""
    return matching.Scheme(
        key=scheme.slug,
        name=scheme.name,
        beneficiaries=frozenset(scheme.beneficiaries),
        opens_on=scheme.opens_on,
        closes_on=scheme.closes_on,
        committee_dates=tuple(dt.date.fromisoformat(d) for d in scheme.committee_dates),
        archived=scheme.is_archived,
    )
