"""The mobile agency's writes, and the adapter between its database and the pure planner.

The planner (:mod:`proxima.agency.horizon` over :mod:`proxima.agency.planning`) and the demand
(:mod:`proxima.agency.demand`) take plain data. This module builds it from the database:

- the candidate stops: the organisation's active stops, except those staff forced out (they are listed as left
  out, reason ``forced_out``); those forced in are required;
- the households within the walking radius of each stop, each with its need weight: the base weight, plus the
  weight of each of its situations, read from the outreach facts of :mod:`proxima.needs.outreach_services`
  (elderly living alone, no car, far from France services, rent owed, a need signalled in the reference survey);
- the tour days of the plan, grouped by week, with the lunch break;
- the travel times: OSRM when ``PROXIMA_OSRM_URL`` is set, great-circle distance otherwise.

It then saves the plan's days, visits and result (see :func:`result_of`) in one transaction. Manual edits of a
plan (add, move, remove a stop) recompute the times and coverage at once through the horizon's evaluation.
"""

from __future__ import annotations

import datetime as dt
import time as time_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.agency import demand, horizon, planning, travel
from proxima.agency.enums import Forcing, LeftOutReason, PlanKind, PlanStatus, StopKind
from proxima.agency.models import AgencySettings, Appointment, Stop, TourDay, TourPlan, Visit
from proxima.agency.public_schedule import french_date, french_hours
from proxima.households.models import Household
from proxima.needs import outreach
from proxima.needs.outreach_services import get_outreach_settings, load_outreach_facts, outreach_params
from proxima.territory.models import Site

#: Reasons a stop is left out, in plain French (the codes of agency.planning and agency.horizon).
LEFT_OUT_LABELS = dict(LeftOutReason.choices)
SETTINGS_FIELDS = (
    "walking_radius_m",
    "weight_base",
    "weight_elderly_alone",
    "weight_no_car",
    "weight_far_from_services",
    "weight_arrears",
    "weight_survey_needs",
    "depot_name",
    "depot_latitude",
    "depot_longitude",
    "slot_minutes",
    "contact_phone",
)
STOP_FIELDS = (
    "name",
    "kind",
    "site",
    "commune",
    "address",
    "latitude",
    "longitude",
    "duration_minutes",
    "time_windows",
    "min_gap_weeks",
    "max_gap_weeks",
    "forcing",
    "services",
)
#: Default stop length when staff add all their sites at once: half a morning.
SITE_STOP_MINUTES = 120


# --- Settings ----------------------------------------------------------------------------------------------------


def get_agency_settings(organisation) -> AgencySettings:
    """The organisation's settings, or the default values (unsaved) when it has none yet."""
    found = AgencySettings.objects.filter(organisation=organisation).first()
    return found or AgencySettings(organisation=organisation)


@transaction.atomic
def update_agency_settings(*, organisation, **values) -> AgencySettings:
    """Save the walking radius, weights, depot, slot length and contact phone of the organisation."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Expected only settings fields, got {sorted(unknown)}.")
    found = AgencySettings.objects.select_for_update().filter(organisation=organisation).first()
    agency_settings = found or AgencySettings(organisation=organisation)
    for name, value in values.items():
        setattr(agency_settings, name, value)
    agency_settings.full_clean()
    agency_settings.save()
    return agency_settings


def demand_weights(agency_settings: AgencySettings) -> demand.DemandWeights:
    return demand.DemandWeights(
        base=float(agency_settings.weight_base),
        elderly_alone=float(agency_settings.weight_elderly_alone),
        no_car=float(agency_settings.weight_no_car),
        far_from_services=float(agency_settings.weight_far_from_services),
        arrears=float(agency_settings.weight_arrears),
        survey_needs=float(agency_settings.weight_survey_needs),
    )


# --- Stops -------------------------------------------------------------------------------------------------------


def _check_stop_fields(values) -> None:
    unknown = set(values) - set(STOP_FIELDS)
    if unknown:
        raise ValueError(f"Expected only stop fields, got {sorted(unknown)}.")


@transaction.atomic
def create_stop(*, organisation, **values) -> Stop:
    """Add a candidate stop."""
    _check_stop_fields(values)
    stop = Stop(organisation=organisation, **values)
    stop.full_clean()
    stop.save()
    return stop


@transaction.atomic
def update_stop(*, stop: Stop, **values) -> Stop:
    """Change a candidate stop. Plans already computed keep their visits; the next plans use the new values."""
    _check_stop_fields(values)
    for name, value in values.items():
        setattr(stop, name, value)
    stop.full_clean()
    stop.save()
    return stop


@transaction.atomic
def add_sites_as_stops(*, organisation) -> int:
    """Make every site of the organisation a candidate stop, once: return how many stops were created.

    A site that already has its stop keeps it as it is, even deactivated: staff decided so.
    """
    taken = Stop.objects.for_organisation(organisation).filter(site__isnull=False).values("site_id")
    sites = Site.objects.for_organisation(organisation).exclude(pk__in=taken).order_by("name", "pk")
    stops = [
        Stop(
            organisation=organisation,
            name=site.name,
            kind=StopKind.SITE,
            site=site,
            commune_id=site.commune_id,
            address=site.address,
            latitude=site.latitude,
            longitude=site.longitude,
            duration_minutes=SITE_STOP_MINUTES,
        )
        for site in sites
    ]
    for stop in stops:
        stop.save()  # one by one: agency models are audited on save
    return len(stops)


@transaction.atomic
def set_stop_active(*, stop: Stop, active: bool) -> Stop:
    """Deactivate a stop (the planner no longer considers it; visits already planned stay) or reactivate it.

    A deactivated stop leaves the public schedule: refused while residents hold appointments there to come."""
    if not active:
        _refuse_booked_ahead(
            Visit.objects.published().filter(stop=stop),
            f"L'arrêt « {stop.name} » a",
            "avant de le désactiver, en prévenant les personnes",
        )
    stop.is_active = active
    stop.save(update_fields=["is_active"])
    return stop


# --- Demand ------------------------------------------------------------------------------------------------------


def _organisation_wide(organisation):
    # Planning values every household of the organisation, whoever starts it (only admins and staff may, and they
    # see every household): the outreach facts are loaded as for a user who sees them all.
    return SimpleNamespace(organisation=organisation, role=Role.ADMIN)


def load_demand(organisation, *, today: dt.date, agency_settings: AgencySettings) -> list[demand.HouseholdDemand]:
    """Every household of the organisation with where it lives (its site) and its situations.

    A household that declined courtesy calls is still reached by the bus: it counts with the base weight only,
    as its situations are not read for outreach.
    """
    rows = list(
        Household.objects.for_organisation(organisation)
        .order_by("pk")
        .values_list("pk", "dwelling__building__site__latitude", "dwelling__building__site__longitude")
    )
    outreach_settings = get_outreach_settings(organisation)
    params = outreach_params(outreach_settings, today=today)
    facts = {
        f.household_id: f
        for f in load_outreach_facts(
            organisation=organisation,
            user=_organisation_wide(organisation),
            today=today,
            settings=outreach_settings,
        )
    }
    households = []
    for pk, lat, lon in rows:
        fact = facts.get(pk)
        if fact is None:
            households.append(demand.HouseholdDemand(pk, lat, lon))
            continue
        reasons = outreach.household_reasons(fact, params)
        households.append(
            demand.HouseholdDemand(
                pk,
                lat,
                lon,
                elderly_alone=outreach.ELDERLY_ALONE in reasons,
                no_car=fact.has_car is False,
                far_from_services=fact.services_km is not None and fact.services_km > params.far_km,
                in_arrears=fact.arrears_amount > 0,
                survey_need=bool(fact.survey_needs),
            )
        )
    return households


@dataclass(frozen=True)
class Demand:
    """Who each stop reaches and what each household weighs, for one organisation."""

    households: dict[int, demand.HouseholdDemand]
    weights: dict[int, float]
    reach: dict[int, tuple[int, ...]]  # stop id -> household ids within walking distance

    def stop_value(self, stop_id: int) -> float:
        return sum(self.weights[h] for h in self.reach.get(stop_id, ()))


def build_demand(organisation, stops: Sequence[Stop], *, today: dt.date, agency_settings=None) -> Demand:
    """The demand of ``stops``: the households within the walking radius of each, and their need weights."""
    agency_settings = agency_settings or get_agency_settings(organisation)
    households = load_demand(organisation, today=today, agency_settings=agency_settings)
    weights = demand_weights(agency_settings)
    places = [demand.StopPlace(s.pk, s.latitude, s.longitude) for s in stops]
    reach = demand.stop_households(places, households, agency_settings.walking_radius_m)
    return Demand(
        households={h.id: h for h in households},
        weights={h.id: demand.household_weight(h, weights) for h in households},
        reach=reach,
    )


# --- Plans: days and inputs --------------------------------------------------------------------------------------


def plan_dates(*, start_date: dt.date, weeks: int, weekdays: Sequence[int]) -> list[tuple[dt.date, int]]:
    """The tour days of a horizon: ``(date, week)`` for the chosen weekdays of each week from ``start_date``.

    Week ``w`` is the seven days from ``start_date + 7 w``.
    """
    days = []
    for week in range(weeks):
        for offset in range(7):
            date = start_date + dt.timedelta(days=7 * week + offset)
            if date.weekday() in weekdays:
                days.append((date, week))
    return sorted(days)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


#: Published opening and closing times are multiples of this many minutes (see :func:`_visit_times`).
ROUND_MINUTES = 5


def _time(seconds: int) -> dt.time:
    seconds = max(0, min(int(seconds), 24 * 3600 - 1))
    return dt.time(seconds // 3600, seconds % 3600 // 60)


def _windows(stop: Stop) -> tuple[tuple[int, int], ...]:
    windows = []
    for start, end in stop.time_windows or []:
        h1, m1 = (int(p) for p in start.split(":"))
        h2, m2 = (int(p) for p in end.split(":"))
        windows.append((h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60))
    return tuple(windows)


def _ensure_days(plan: TourPlan) -> list[TourDay]:
    """The plan's tour days, created from its horizon when missing (dates outside it are removed)."""
    wanted = dict(plan_dates(start_date=plan.start_date, weeks=plan.weeks, weekdays=plan.weekdays))
    existing = {day.date: day for day in plan.days.all()}
    for date, day in existing.items():
        if date not in wanted:
            day.delete()
    days = []
    for date, week in sorted(wanted.items()):
        day = existing.get(date)
        if day is None:
            day = TourDay.objects.create(plan=plan, date=date, week=week)
        elif day.week != week:
            day.week = week
            day.save(update_fields=["week"])
        days.append(day)
    return days


def _breaks(plan: TourPlan) -> tuple[tuple[int, int], ...]:
    if plan.lunch_start and plan.lunch_end:
        return ((_seconds(plan.lunch_start), _seconds(plan.lunch_end)),)
    return ()


def default_travel_times() -> planning.TravelTimes:
    return travel.travel_times_for(django_settings.PROXIMA_OSRM_URL or None)


@dataclass(frozen=True)
class PlanningInputs:
    """The plan's inputs from the database: candidate stops, their demand, days, depot and travel times."""

    plan: TourPlan
    stops: dict[int, Stop]  # every stop considered, forced out included
    candidates: list[Stop]  # those the planner may choose
    forced_out: list[int]
    days: list[TourDay]
    depot: planning.Depot
    demand: Demand
    travel_times: planning.TravelTimes
    #: Stop pk -> week index (negative) of its last visit before the horizon, to carry frequencies over.
    last_served: dict[int, int]


def build_inputs(plan: TourPlan, *, today: dt.date, travel_times=None, extra_stops=()) -> PlanningInputs:
    """The inputs of ``plan``: the organisation's active stops (and ``extra_stops``), their demand, the days.

    Raises ``ValidationError`` (in French) when the plan cannot be computed: no depot, no tour day.
    """
    organisation = plan.organisation
    agency_settings = get_agency_settings(organisation)
    if agency_settings.depot_latitude is None or agency_settings.depot_longitude is None:
        raise ValidationError(
            "La position du dépôt n'est pas renseignée : indiquez-la dans les réglages de l'agence mobile."
        )
    days = _ensure_days(plan)
    if not days:
        raise ValidationError("Aucun jour de tournée dans cet horizon : cochez au moins un jour de la semaine.")
    stops = {s.pk: s for s in Stop.objects.for_organisation(organisation).active().order_by("pk")}
    for stop in extra_stops:
        stops.setdefault(stop.pk, stop)
    candidates = [s for s in stops.values() if s.forcing != Forcing.FORCED_OUT]
    forced_out = [pk for pk, s in stops.items() if s.forcing == Forcing.FORCED_OUT]
    stop_demand = build_demand(organisation, list(stops.values()), today=today, agency_settings=agency_settings)
    depot = planning.Depot(planning.Location(lat=agency_settings.depot_latitude, lon=agency_settings.depot_longitude))
    return PlanningInputs(
        plan=plan,
        stops=stops,
        candidates=candidates,
        forced_out=forced_out,
        days=days,
        depot=depot,
        demand=stop_demand,
        travel_times=travel_times or default_travel_times(),
        last_served=last_served_weeks(plan),
    )


def last_served_weeks(plan: TourPlan) -> dict[int, int]:
    """Stop pk -> week index, relative to ``plan``'s horizon, of the stop's last visit before it starts (-1: the
    week before): a visit of the published schedule, or one whose report was recorded (it took place), so that the
    stops' frequency limits carry over from one schedule to the next."""
    visits = (
        Visit.objects.for_organisation(plan.organisation)
        .filter(day__date__lt=plan.start_date)
        .filter(Q(day__plan__published_at__isnull=False) | Q(log__isnull=False))
        .exclude(day__plan=plan)
        .order_by()
        .values("stop")
        .annotate(last=Max("day__date"))
    )
    return {row["stop"]: (row["last"] - plan.start_date).days // 7 for row in visits}


# --- Plans: outcome and result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledVisit:
    """A stop served on a day, with its times in seconds from midnight."""

    stop_id: int
    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class Outcome:
    """What the horizon planner, or the evaluation of a given schedule, says about a plan."""

    routes: dict[int, tuple[ScheduledVisit, ...]]  # tour day pk -> visits in order
    departures: dict[int, tuple[int, int]]  # tour day pk -> (departure, return), seconds
    weeks: list[dict]  # [{"week", "coverage", "households_reached"}]
    reached: frozenset[int]  # households reached at least once in the horizon
    left_out: list[tuple[int, str]]  # (stop pk, reason code)
    issues: list[str] = ()
    engine: str = ""
    wall_time: float = 0.0


def result_of(inputs: PlanningInputs, outcome: Outcome, *, comparison: dict | None = None) -> dict:
    """The JSON kept in ``TourPlan.result`` (shape documented in the agency's shared notes)."""
    left_out = [{"stop_id": pk, "reason": reason} for pk, reason in outcome.left_out]
    left_out += [{"stop_id": pk, "reason": LeftOutReason.FORCED_OUT.value} for pk in inputs.forced_out]
    result = {
        "total_coverage": round(sum(w["coverage"] for w in outcome.weeks), 6),
        "weeks": outcome.weeks,
        "left_out": left_out,
        "households_reached": len(outcome.reached),
        "reached_household_ids": sorted(outcome.reached),
        "never_reached_household_ids": sorted(set(inputs.demand.households) - outcome.reached),
        "issues": list(outcome.issues),
        "engine": outcome.engine,
        "wall_time": round(outcome.wall_time, 3),
    }
    if comparison is not None:
        result["comparison"] = comparison
    return result


def _write_schedule(inputs: PlanningInputs, outcome: Outcome) -> None:
    """Make the plan's visits those of ``outcome``: keep the rows of stops still served that day (their
    appointments with them), move the others, delete the visits no longer in the plan.

    Raises
    ------
    ValidationError
        Before writing anything, when a visit to delete has booked appointments or a visit log, or when a visit
        with booked appointments would open at another time or close before one of them ends: residents were
        given that time, and the log is what staff recorded there.
    """
    days = {day.pk: day for day in inputs.days}
    existing = {
        (v.day_id, v.stop_id): v for v in Visit.objects.filter(day__in=list(days)).select_related("stop", "day")
    }
    wanted = {(day_pk, sv.stop_id) for day_pk, visits in outcome.routes.items() for sv in visits}
    removed = [v for key, v in existing.items() if key not in wanted]
    _refuse_removing_records(removed)
    _refuse_moving_appointments(existing, outcome)
    Visit.objects.filter(pk__in=[v.pk for v in removed]).delete()
    for day_pk, day in days.items():
        visits = outcome.routes.get(day_pk, ())
        departure, back = outcome.departures.get(day_pk, (None, None))
        day.departure = _time(departure) if visits and departure is not None else None
        day.return_time = _time(back) if visits and back is not None else None
        day.save(update_fields=["departure", "return_time"])
        for position, sv in enumerate(visits):
            visit = existing.get((day_pk, sv.stop_id)) or Visit(day=day, stop_id=sv.stop_id)
            visit.position = position
            visit.arrival = _time(sv.arrival)
            visit.start, visit.end = _visit_times(sv)
            visit.save()


def _visit_times(sv: ScheduledVisit) -> tuple[dt.time, dt.time]:
    """A visit's opening and closing times as saved and published: within the bus's time there, on multiples of
    :data:`ROUND_MINUTES` (residents read "8 h 35 – 10 h 30", not "8 h 31 – 10 h 31"; the slots start from the
    opening), unless the visit is too short to round."""
    end = max(sv.end, sv.start + 60)
    step = ROUND_MINUTES * 60
    rounded_start, rounded_end = -(-sv.start // step) * step, end // step * step
    if rounded_end - rounded_start < step:
        return _time(sv.start), _time(end)
    return _time(rounded_start), _time(rounded_end)


def _refuse_removing_records(removed: list[Visit]) -> None:
    """Refuse to delete a visit (taken out of the plan, or moved to another day) that residents booked or that has
    a visit log."""
    if not removed:
        return
    booked = set(Appointment.objects.booked().filter(visit__in=removed).values_list("visit_id", flat=True).distinct())
    logged = set(Visit.objects.filter(pk__in=[v.pk for v in removed], log__isnull=False).values_list("pk", flat=True))
    for visit in sorted(removed, key=lambda v: (v.day.date, v.position)):
        where = f"Le passage à « {visit.stop.name} » du {french_date(visit.day.date)}"
        if visit.pk in booked:
            raise ValidationError(
                f"{where} a des rendez-vous réservés : il ne peut être ni retiré ni changé de jour. "
                "Annulez d'abord ces rendez-vous, en prévenant les personnes."
            )
        if visit.pk in logged:
            raise ValidationError(f"{where} a un compte rendu : il ne peut plus être retiré ni changé de jour.")


def _refuse_moving_appointments(existing: dict[tuple[int, int], Visit], outcome: Outcome) -> None:
    """Refuse new times for a visit with booked appointments: it must open at the same time (the slots start from
    its opening) and close after its last appointment ends."""
    last_end = dict(
        Appointment.objects.booked()
        .filter(visit__in=list(existing.values()))
        .values("visit_id")
        .annotate(last=Max("ends_at"))
        .values_list("visit_id", "last")
    )
    if not last_end:
        return
    for day_pk, visits in outcome.routes.items():
        for sv in visits:
            visit = existing.get((day_pk, sv.stop_id))
            if visit is None or visit.pk not in last_end:
                continue
            start, end = _visit_times(sv)
            if start != visit.start or end < last_end[visit.pk]:
                raise ValidationError(
                    f"Ce changement décalerait le passage à « {visit.stop.name} » du {french_date(visit.day.date)} "
                    f"({french_hours(visit.start, visit.end)}, désormais {french_hours(start, end)}), où des "
                    "habitants ont rendez-vous : annulez d'abord ces rendez-vous, ou placez l'arrêt ailleurs "
                    "dans la journée."
                )


def _refuse_booked_ahead(visits, who: str, before: str) -> None:
    """Refuse when residents hold appointments still to come at ``visits``: ``who`` has N of them, cancel them
    ``before``."""
    ahead = (
        Appointment.objects.booked()
        .filter(visit__in=visits, visit__day__date__gte=timezone.localdate())
        .select_related("visit__stop", "visit__day")
        .order_by("visit__day__date", "starts_at")
    )
    first = ahead.first()
    if first is None:
        return
    count = ahead.count()
    raise ValidationError(
        f"{who} {count} rendez-vous réservé{'s' if count > 1 else ''} à venir (le premier : "
        f"{french_date(first.visit.day.date)}, à « {first.visit.stop.name} ») : annulez-les depuis la page "
        f"Rendez-vous {before}."
    )


def _comparison(plan: TourPlan, *, today: dt.date, travel_times) -> dict | None:
    """What the manual plan ``plan`` is compared to reaches, with the same demand as today's."""
    manual = plan.compared_to
    if manual is None:
        return None
    inputs = build_inputs(manual, today=today, travel_times=travel_times, extra_stops=_scheduled_stops(manual))
    outcome = _evaluate(inputs, current_schedule(manual))
    return {
        "plan_id": manual.pk,
        "name": manual.name,
        "total_coverage": round(sum(w["coverage"] for w in outcome.weeks), 6),
        "households_reached": len(outcome.reached),
        "weeks": manual.weeks,
    }


def _set_progress(plan_id: int, progress: int, message: str, **fields) -> None:
    # Outside any transaction: the page reads it while the worker computes.
    TourPlan.objects.filter(pk=plan_id).update(
        progress=max(0, min(100, progress)), progress_message=message[:200], **fields
    )


@transaction.atomic
def start_planning(*, plan: TourPlan) -> TourPlan:
    """Queue the computation of ``plan`` in the background (the worker runs :func:`run_planning`)."""
    from proxima.agency.tasks import compute_plan

    if plan.kind != PlanKind.PLANNED:
        raise ValidationError("Une tournée saisie à la main ne se calcule pas : modifiez-la arrêt par arrêt.")
    if plan.published_at is not None:
        raise ValidationError("Cette tournée est publiée : retirez-la de la publication avant de la recalculer.")
    if plan.status in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        raise ValidationError("Le calcul de cette tournée est déjà en cours.")
    visits = Visit.objects.filter(day__plan=plan)
    if Appointment.objects.booked().filter(visit__in=visits).exists() or visits.filter(log__isnull=False).exists():
        raise ValidationError(
            "Cette tournée a des rendez-vous réservés ou des comptes rendus de passage : la recalculer les "
            "déplacerait. Créez une nouvelle tournée, ou modifiez celle-ci arrêt par arrêt."
        )
    agency_settings = get_agency_settings(plan.organisation)
    if agency_settings.depot_latitude is None or agency_settings.depot_longitude is None:
        raise ValidationError(
            "La position du dépôt n'est pas renseignée : indiquez-la dans les réglages de l'agence mobile."
        )
    plan.status, plan.progress, plan.progress_message, plan.error = PlanStatus.QUEUED, 0, "En attente", ""
    plan.save(update_fields=["status", "progress", "progress_message", "error"])
    result = compute_plan.enqueue(plan_id=plan.pk)
    plan.task_id = str(result.id)
    plan.save(update_fields=["task_id"])
    return plan


def run_planning(
    plan_id: int,
    *,
    today: dt.date | None = None,
    travel_times=None,
    report: Callable[[int, str], None] | None = None,
) -> dict:
    """Compute the plan, then save its days, visits and result in one transaction. Runs in the worker.

    ``report(percent, message)`` is also told the progress (the command line shows it). A plan that cannot be
    computed (no depot, a forced stop out of reach...) ends as failed with the reason in French.
    """
    plan = TourPlan.objects.select_related("organisation", "compared_to").get(pk=plan_id)
    today = today or timezone.localdate()

    def progress(percent: int, message: str) -> None:
        _set_progress(plan_id, percent, message)
        if report is not None:
            report(percent, message)

    _set_progress(plan_id, 1, "Lecture des arrêts et des ménages", status=PlanStatus.RUNNING)
    if report is not None:
        report(1, "Lecture des arrêts et des ménages")
    started = time_module.perf_counter()
    try:
        inputs = build_inputs(plan, today=today, travel_times=travel_times)
        progress(5, "Calcul des temps de trajet et des tournées")
        outcome = _solve(inputs, progress=progress)
        progress(95, "Enregistrement de la tournée")
        comparison = _comparison(plan, today=today, travel_times=inputs.travel_times)
        with transaction.atomic():
            _write_schedule(inputs, outcome)
            plan.result = result_of(inputs, outcome, comparison=comparison)
            plan.status, plan.progress, plan.error = PlanStatus.READY, 100, ""
            plan.progress_message = f"Terminé en {time_module.perf_counter() - started:.0f} s"
            plan.save(update_fields=["result", "status", "progress", "progress_message", "error"])
    except (ValidationError, ValueError, travel.TravelTimesError) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else _french_error(error)
        _set_progress(plan_id, 100, "Échec du calcul", status=PlanStatus.FAILED, error=message)
        if report is not None:
            report(100, f"Échec du calcul : {message}")
        return {"status": PlanStatus.FAILED, "error": message}
    except Exception:
        _set_progress(
            plan_id,
            100,
            "Échec du calcul",
            status=PlanStatus.FAILED,
            error="Erreur inattendue pendant le calcul : signalez-la à votre administrateur.",
        )
        raise
    if report is not None:
        report(100, plan.progress_message)
    return {"status": PlanStatus.READY, "total_coverage": plan.result["total_coverage"]}


def _french_error(error: Exception) -> str:
    if isinstance(error, travel.TravelTimesError):
        return f"Les temps de trajet n'ont pas pu être obtenus du serveur d'itinéraires ({error})."
    return f"Le planificateur refuse ces données : {error}"


# --- Manual plans and manual edits -------------------------------------------------------------------------------


@transaction.atomic
def create_plan(*, organisation, by, kind: str = PlanKind.PLANNED, **values) -> TourPlan:
    """Create a plan and its tour days. A manual plan starts empty (ready to be filled in by hand)."""
    plan = TourPlan(organisation=organisation, kind=kind, created_by=by, **values)
    if kind == PlanKind.MANUAL:
        plan.status = PlanStatus.READY
        plan.compared_to = None
    else:
        plan.status = PlanStatus.DRAFT
    if plan.compared_to is not None and (
        plan.compared_to.organisation_id != organisation.pk or plan.compared_to.kind != PlanKind.MANUAL
    ):
        raise ValidationError("Seule une tournée saisie à la main de votre organisme peut servir de comparaison.")
    plan.full_clean()
    plan.save()
    _ensure_days(plan)
    if kind == PlanKind.MANUAL:
        plan.result = _blank_result(plan)
        plan.save(update_fields=["result"])
    return plan


def _blank_result(plan: TourPlan) -> dict:
    """The result of an empty plan, without computing anything: every household is still to be reached."""
    households = list(
        Household.objects.for_organisation(plan.organisation).order_by("pk").values_list("pk", flat=True)
    )
    return {
        "total_coverage": 0.0,
        "weeks": [{"week": w, "coverage": 0.0, "households_reached": 0} for w in range(plan.weeks)],
        "left_out": [],
        "households_reached": 0,
        "reached_household_ids": [],
        "never_reached_household_ids": households,
        "issues": [],
        "engine": "manuel",
        "wall_time": 0.0,
    }


def current_schedule(plan: TourPlan) -> dict[int, list[int]]:
    """The plan's schedule as staff see it: for each tour day (pk), the stop pks in order."""
    schedule = {day.pk: [] for day in plan.days.all()}
    for day_id, stop_id in (
        Visit.objects.filter(day__plan=plan).order_by("day__date", "position", "pk").values_list("day_id", "stop_id")
    ):
        schedule[day_id].append(stop_id)
    return schedule


def _scheduled_stops(plan: TourPlan) -> list[Stop]:
    return list(Stop.objects.filter(visits__day__plan=plan).distinct())


@dataclass(frozen=True)
class EditEffect:
    """The effect of a manual edit: households reached and coverage before and after, and what is now wrong."""

    households_before: int
    households_after: int
    coverage_before: float
    coverage_after: float
    issues: tuple[str, ...]

    @property
    def households_gained(self) -> int:
        return self.households_after - self.households_before

    @property
    def coverage_gained(self) -> float:
        return self.coverage_after - self.coverage_before

    def message(self) -> str:
        """« +12 ménages atteints (couverture +18,5) » and the problems, in plain French."""
        n = self.households_gained
        if n:
            text = f"{n:+d} ménage{'s' if abs(n) > 1 else ''} atteint{'s' if abs(n) > 1 else ''} sur l'horizon"
        else:
            text = "Aucun ménage de plus ni de moins atteint sur l'horizon"
        gained, after = f"{self.coverage_gained:+.1f}", f"{self.coverage_after:.1f}"
        text += f" (couverture pondérée {gained.replace('.', ',')}, désormais {after.replace('.', ',')})."
        if self.issues:
            text += " Attention : " + " ; ".join(self.issues) + "."
        return text


def refresh_plan(plan: TourPlan, *, today: dt.date | None = None, travel_times=None) -> dict:
    """Recompute the times and coverage of the plan's current schedule, save them; return the new result."""
    inputs = build_inputs(
        plan, today=today or timezone.localdate(), travel_times=travel_times, extra_stops=_scheduled_stops(plan)
    )
    outcome = _evaluate(inputs, current_schedule(plan))
    _write_schedule(inputs, outcome)
    comparison = plan.result.get("comparison") if plan.result else None
    plan.result = result_of(inputs, outcome, comparison=comparison)
    if plan.status != PlanStatus.READY and plan.kind == PlanKind.MANUAL:
        plan.status = PlanStatus.READY
    plan.save(update_fields=["result", "status"])
    return plan.result


def _edit(plan: TourPlan, change: Callable[[dict[int, list[int]]], None], *, extra_stops=(), travel_times=None):
    """Apply ``change`` to the plan's schedule, recompute times and coverage, save; all or nothing."""
    # One edit of a plan at a time (the callers' transaction holds the lock): two people editing at once would
    # each write a schedule computed without the other's edit, and one edit would be lost.
    plan = TourPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.kind == PlanKind.PLANNED and plan.status in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        raise ValidationError("Le calcul de cette tournée est en cours : attendez qu'il se termine.")
    before = plan.result or {}
    schedule = current_schedule(plan)
    unchanged = {day_pk: list(stops) for day_pk, stops in schedule.items()}
    change(schedule)
    if plan.published_at is not None:
        # What the bus did on a past day is history: its visits, logs and interactions point to it.
        for day in plan.days.filter(date__lt=timezone.localdate()).order_by("date"):
            if schedule.get(day.pk) != unchanged.get(day.pk):
                raise ValidationError(
                    f"Le {french_date(day.date)} est passé : la tournée publiée de ce jour ne se modifie plus."
                )
    inputs = build_inputs(
        plan,
        today=timezone.localdate(),
        travel_times=travel_times,
        extra_stops=[*_scheduled_stops(plan), *extra_stops],
    )
    outcome = _evaluate(inputs, schedule)
    _write_schedule(inputs, outcome)
    plan.result = result_of(inputs, outcome, comparison=before.get("comparison"))
    if plan.status in (PlanStatus.DRAFT, PlanStatus.FAILED):
        plan.status = PlanStatus.READY
    plan.save(update_fields=["result", "status"])
    return EditEffect(
        households_before=len(before.get("reached_household_ids", ())),
        households_after=len(plan.result["reached_household_ids"]),
        coverage_before=float(before.get("total_coverage", 0.0)),
        coverage_after=float(plan.result["total_coverage"]),
        issues=tuple(outcome.issues),
    )


def _insert(stops: list[int], stop_id: int, position: int | None) -> None:
    """Insert at ``position`` (1 = first; None or beyond the end: last)."""
    index = len(stops) if position is None else max(0, min(position - 1, len(stops)))
    stops.insert(index, stop_id)


@transaction.atomic
def add_visit(*, plan: TourPlan, day: TourDay, stop: Stop, position: int | None = None, travel_times=None):
    """Add ``stop`` to ``day`` at ``position`` (1 = first, None = last); return the :class:`EditEffect`."""
    if day.plan_id != plan.pk or stop.organisation_id != plan.organisation_id:
        raise ValueError("Expected a day of the plan and a stop of its organisation.")

    def change(schedule):
        if stop.pk in schedule[day.pk]:
            raise ValidationError(f"L'arrêt « {stop.name} » est déjà desservi ce jour-là.")
        _insert(schedule[day.pk], stop.pk, position)

    return _edit(plan, change, extra_stops=[stop], travel_times=travel_times)


def _booked(visit: Visit) -> int:
    return visit.appointments.filter(status="booked").count()


@transaction.atomic
def move_visit(*, visit: Visit, day: TourDay, position: int | None = None, travel_times=None):
    """Move a visit to ``day`` (the same or another) at ``position``; return the :class:`EditEffect`."""
    plan = visit.day.plan
    if day.plan_id != plan.pk:
        raise ValueError("Expected a day of the same plan.")
    if day.pk != visit.day_id and _booked(visit):
        raise ValidationError(
            "Ce passage a des rendez-vous réservés : il ne peut pas changer de jour. Annulez-les d'abord."
        )

    def change(schedule):
        schedule[visit.day_id].remove(visit.stop_id)
        if visit.stop_id in schedule[day.pk]:
            raise ValidationError(f"L'arrêt « {visit.stop.name} » est déjà desservi ce jour-là.")
        _insert(schedule[day.pk], visit.stop_id, position)

    return _edit(plan, change, travel_times=travel_times)


@transaction.atomic
def remove_visit(*, visit: Visit, travel_times=None):
    """Take a stop out of its day; return the :class:`EditEffect`."""
    if _booked(visit):
        raise ValidationError("Ce passage a des rendez-vous réservés : annulez-les avant de retirer l'arrêt.")
    plan = visit.day.plan

    def change(schedule):
        schedule[visit.day_id].remove(visit.stop_id)

    return _edit(plan, change, travel_times=travel_times)


# --- Publication -------------------------------------------------------------------------------------------------


@transaction.atomic
def publish_plan(*, plan: TourPlan) -> int:
    """Make ``plan`` the public schedule; return how many other plans of the organisation were unpublished.

    One schedule at a time: residents must not see two buses at once.
    """
    if plan.status != PlanStatus.READY:
        raise ValidationError("Seule une tournée prête peut être publiée.")
    if not Visit.objects.filter(day__plan=plan).exists():
        raise ValidationError("Cette tournée ne dessert aucun arrêt : il n'y a rien à publier.")
    others = list(
        TourPlan.objects.for_organisation(plan.organisation_id).published().exclude(pk=plan.pk).select_for_update()
    )
    for other in others:
        _refuse_booked_ahead(
            Visit.objects.filter(day__plan=other),
            f"La tournée publiée « {other.name} », que celle-ci remplacerait, a",
            "avant de publier celle-ci, en prévenant les personnes",
        )
    for other in others:
        other.published_at = None
        other.save(update_fields=["published_at"])
    plan.published_at = timezone.now()
    plan.save(update_fields=["published_at"])
    return len(others)


@transaction.atomic
def unpublish_plan(*, plan: TourPlan) -> TourPlan:
    """Take ``plan`` off the public schedule; refused while residents hold appointments to come on it."""
    _refuse_booked_ahead(
        Visit.objects.filter(day__plan=plan),
        "Cette tournée a",
        "avant de la retirer de la publication, en prévenant les personnes",
    )
    plan.published_at = None
    plan.save(update_fields=["published_at"])
    return plan


# --- The horizon planner -----------------------------------------------------------------------------------------


def _planner_stop(stop: Stop, inputs: PlanningInputs) -> horizon.HorizonStop:
    return horizon.HorizonStop(
        id=str(stop.pk),
        location=planning.Location(lat=stop.latitude, lon=stop.longitude),
        households=tuple(str(h) for h in inputs.demand.reach.get(stop.pk, ())),
        duration=stop.duration_minutes * 60,
        time_windows=_windows(stop),
        required=stop.forcing == Forcing.FORCED_IN,
        max_gap_weeks=stop.max_gap_weeks,
        min_gap_weeks=stop.min_gap_weeks,
        last_served_week=inputs.last_served.get(stop.pk),
    )


def _planner_weeks(inputs: PlanningInputs) -> tuple[horizon.Week, ...]:
    plan = inputs.plan
    breaks = _breaks(plan)
    start, end = _seconds(plan.day_start), _seconds(plan.day_end)
    weeks: dict[int, list[planning.Day]] = {}
    for day in inputs.days:
        weeks.setdefault(day.week, []).append(planning.Day(str(day.pk), start, end, breaks))
    return tuple(horizon.Week(index, tuple(days)) for index, days in sorted(weeks.items()))


def _weights(inputs: PlanningInputs) -> dict[str, float]:
    return {str(h): w for h, w in inputs.demand.weights.items()}


def _outcome(inputs: PlanningInputs, weeks, reached, issues, *, left_out=(), engine="", wall_time=0.0) -> Outcome:
    """An :class:`Outcome` from the horizon's weeks (routes with times, coverage), in database ids."""
    routes, departures, week_rows = {}, {}, []
    for week in weeks:
        for route in week.routes:
            day_pk = int(route.day_id)
            routes[day_pk] = tuple(
                ScheduledVisit(int(v.stop_id), v.arrival, v.start, v.departure) for v in route.visits
            )
            departures[day_pk] = (route.departure, route.return_time)
        week_rows.append(
            {"week": week.week, "coverage": round(week.coverage, 6), "households_reached": len(week.households)}
        )
    return Outcome(
        routes=routes,
        departures=departures,
        weeks=week_rows,
        reached=frozenset(int(h) for h in reached),
        left_out=[(int(lo.stop_id), lo.reason) for lo in left_out],
        issues=_french_issues(inputs, issues, routes, departures),
        engine=engine,
        wall_time=wall_time,
    )


def _solve(inputs: PlanningInputs, *, progress: Callable[[int, str], None]) -> Outcome:
    """Plan the horizon (stops forced out are not candidates; forced in are required)."""
    plan = inputs.plan
    started = time_module.perf_counter()
    found = horizon.plan_horizon(
        inputs.depot,
        [_planner_stop(s, inputs) for s in inputs.candidates],
        _planner_weeks(inputs),
        _CountingTravelTimes(inputs.travel_times, progress),
        horizon.HorizonParams(time_limit=float(plan.time_limit), seed=plan.seed),
        household_weights=_weights(inputs),
        progress=lambda done, total: progress(10 + 85 * done // total, f"Semaine {done} sur {total} planifiée"),
    )
    return _outcome(
        inputs,
        found.weeks,
        found.reached,
        found.issues,
        left_out=found.left_out,
        engine=f"horizon-{found.method}",
        wall_time=time_module.perf_counter() - started,
    )


@dataclass(frozen=True)
class _CountingTravelTimes:
    """Travel times that report when they are known: the planner's search starts right after."""

    provider: planning.TravelTimes
    progress: Callable[[int, str], None]

    def durations(self, locations):
        matrix = self.provider.durations(locations)
        self.progress(10, "Recherche des meilleures tournées")
        return matrix


def _evaluate(inputs: PlanningInputs, schedule: dict[int, list[int]]) -> Outcome:
    """Times, coverage and problems of a schedule given by hand (tour day pk -> stop pks in order)."""
    evaluation = horizon.evaluate_schedule(
        inputs.depot,
        [_planner_stop(s, inputs) for s in inputs.stops.values()],
        _planner_weeks(inputs),
        inputs.travel_times,
        {str(day): [str(s) for s in stops] for day, stops in schedule.items() if stops},
        household_weights=_weights(inputs),
    )
    served = {s for stops in schedule.values() for s in stops}
    previous = [] if not inputs.plan.result else inputs.plan.result.get("left_out", [])
    left_out = [
        planning.LeftOut(str(item["stop_id"]), item["reason"])
        for item in previous
        if item["stop_id"] not in served and item["stop_id"] in inputs.stops and item["reason"] != "forced_out"
    ]
    return _outcome(
        inputs, evaluation.weeks, evaluation.reached, evaluation.issues, left_out=left_out, engine="manuel"
    )


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _french_issues(inputs: PlanningInputs, issues, routes, departures) -> list[str]:
    """The horizon's problems (codes) in plain French, each said once."""
    days = {str(d.pk): d for d in inputs.days}
    messages = []

    def name(stop_id: str) -> str:
        stop = inputs.stops.get(int(stop_id)) if stop_id else None
        return f"« {stop.name} »" if stop else "un arrêt"

    def date(day_id: str) -> str:
        day = days.get(day_id)
        return f"{day.date:%d/%m/%Y}" if day else ""

    for issue in issues:
        if issue.code == horizon.WINDOW:
            arrival = next(
                (v.arrival for v in routes.get(int(issue.day_id), ()) if str(v.stop_id) == issue.stop_id), 0
            )
            text = f"le {date(issue.day_id)}, le bus arrive à {name(issue.stop_id)} à {_hhmm(arrival)}, après ses créneaux"
        elif issue.code == horizon.BREAK:
            text = f"le {date(issue.day_id)}, l'arrêt {name(issue.stop_id)} empiète sur la pause déjeuner"
        elif issue.code == horizon.DAY_TOO_LONG:
            back = departures.get(int(issue.day_id), (0, 0))[1]
            text = (
                f"la journée du {date(issue.day_id)} dépasse {inputs.plan.day_end:%H:%M} "
                f"(retour au dépôt à {_hhmm(back)})"
            )
        elif issue.code == horizon.TWICE_IN_WEEK:
            text = f"{name(issue.stop_id)} est desservi plusieurs fois la même semaine : ses ménages ne comptent qu'une fois"
        elif issue.code == horizon.MIN_GAP:
            stop = inputs.stops.get(int(issue.stop_id))
            gap = stop.min_gap_weeks if stop else 1
            text = f"{name(issue.stop_id)} est desservi plus d'une fois en {gap} semaine{'s' if gap > 1 else ''}"
        elif issue.code == horizon.MAX_GAP:
            stop = inputs.stops.get(int(issue.stop_id))
            gap = stop.max_gap_weeks if stop else 1
            text = f"{name(issue.stop_id)} doit être desservi au moins une fois toutes les {gap} semaines"
        elif issue.code == horizon.FORCED_MISSING:
            text = f"{name(issue.stop_id)} est imposé par l'équipe mais n'est pas desservi chaque semaine"
        elif issue.code == planning.FORCED_UNPLACED:
            text = f"{name(issue.stop_id)} est imposé par l'équipe mais les journées ne peuvent pas le contenir"
        else:
            text = issue.message
        if text not in messages:
            messages.append(text)
    return messages
