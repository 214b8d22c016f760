"""Writes of the billing app: services' billing, subscriptions, and the monthly billing run.

The adapter between the database and the pure modules: it builds ``rules`` and ``amounts``
inputs from the rows, calls them, and saves the result in one transaction.
"""

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from proxima.accounts import audit
from proxima.billing import amounts, rules
from proxima.billing.enums import BillingMode, CostType, RunStatus
from proxima.billing.models import (
    BilledService,
    BillingRun,
    ChargeLine,
    ChargeRule,
    CollectiveAgreement,
    HouseholdExit,
    Subscription,
)
from proxima.households.models import Household

# The first refusals of a run kept in detail on the run (the counts by rule are all kept).
REFUSALS_KEPT = 50


@cache
def charge_list() -> rules.ChargeList:
    """The shipped list of recoverable charges (read once per process)."""
    return rules.load_charge_list()


def agreement_terms(agreement: CollectiveAgreement) -> rules.Agreement:
    return rules.Agreement(
        id=agreement.pk,
        reference=agreement.reference,
        signed_on=agreement.signed_on,
        valid_from=agreement.valid_from,
        valid_until=agreement.valid_until,
        site_ids=frozenset(site.pk for site in agreement.sites.all()),
    )


def service_terms(service: BilledService) -> rules.ServiceBilling:
    """The service's billing as the rules read it (its agreement's sites are read if not prefetched)."""
    return rules.ServiceBilling(
        mode=rules.Mode(service.mode),
        cost_code=service.cost_code,
        agreement=agreement_terms(service.agreement) if service.agreement_id else None,
        to_verify_confirmed=service.to_verify_confirmed,
    )


def check_service(service: BilledService, *, today: dt.date) -> rules.Check:
    return rules.check_service_billing(service_terms(service), charge_list=charge_list(), today=today)


def _fit_mode(service: BilledService) -> None:
    """Drop what the service's mode does not rest on: only a recoverable charge has a list entry, only an
    agreement's service an agreement (the model's constraints)."""
    if service.mode != BillingMode.RECOVERABLE_CHARGE:
        service.cost_code, service.to_verify_confirmed = "", False
    if service.mode != BillingMode.COLLECTIVE_AGREEMENT:
        service.agreement = None


def save_service(*, service: BilledService, today: dt.date) -> rules.Check:
    """Save a service's billing if the framework allows it; otherwise raise the refusals as a ValidationError."""
    _fit_mode(service)
    if service.offer_service_id is not None and service.offer_service.billing_mode != service.mode:
        raise ValidationError(
            f"Le mode de facturation de « {service.name} » se règle dans le catalogue des services : "
            f"« {service.offer_service.get_billing_mode_display()} »."
        )
    check = check_service(service, today=today)
    if not check.ok:
        raise ValidationError([str(refusal) for refusal in check.refusals])
    with transaction.atomic():
        service.save()
    return check


@dataclass(frozen=True)
class BillingSettings:
    """What a catalogue service billed by the landlord rests on, as set in the catalogue's form.

    ``existing``: an unlinked billed service to link (its rules and subscriptions come with it) rather than
    creating one named after the catalogue service.
    """

    cost_type: str = CostType.OPERATION
    cost_code: str = ""
    to_verify_confirmed: bool = False
    agreement: CollectiveAgreement | None = None
    charge_code: str = ""
    existing: BilledService | None = None


def catalogue_billed_service(offer_service, settings: BillingSettings | None = None) -> BilledService | None:
    """The billed service of a catalogue service, unsaved, as ``settings`` would make it (``None``: none is
    linked, none chosen, and its mode bills nothing)."""
    billed = BilledService.objects.filter(offer_service=offer_service).first() if offer_service.pk else None
    if billed is None and settings is not None and settings.existing is not None:
        billed = settings.existing
    if billed is None:
        if offer_service.billing_mode not in rules.BILLED_BY_LANDLORD:
            return None
        billed = BilledService(
            organisation_id=offer_service.organisation_id,
            name=offer_service.name[:200],
            provider=offer_service.partner.name if offer_service.partner_id else "",
        )
    billed.offer_service = offer_service
    billed.mode = offer_service.billing_mode
    if settings is not None:
        billed.cost_type = settings.cost_type or CostType.OPERATION
        billed.cost_code = settings.cost_code
        billed.to_verify_confirmed = settings.to_verify_confirmed
        billed.agreement = settings.agreement
        billed.charge_code = settings.charge_code
    elif not billed.cost_type:
        billed.cost_type = CostType.OPERATION
    _fit_mode(billed)
    return billed


def check_catalogue_service(offer_service, settings: BillingSettings | None = None, *, today: dt.date):
    """The framework's check of a catalogue service's billing (``None`` for a mode the landlord does not bill)."""
    if offer_service.billing_mode not in rules.BILLED_BY_LANDLORD:
        return None
    return check_service(catalogue_billed_service(offer_service, settings), today=today)


def bill_catalogue_service(
    *, offer_service, settings: BillingSettings | None, today: dt.date
) -> tuple[BilledService | None, rules.Check | None]:
    """Bring a saved catalogue service's billed service in line with its billing mode, through the framework.

    Called inside the catalogue's transaction: a refusal raises a ValidationError naming the rule and its
    reference, and the catalogue service is not saved either. A mode the landlord bills (recoverable charge,
    collective agreement, subscription) creates or updates the linked billed service; free or paid to the
    partner only updates one already linked (its rules then bill nothing, each refusal saying why).
    ``settings`` None keeps what the billed service already rests on.
    """
    existing = settings.existing if settings is not None else None
    if existing is not None:
        if existing.organisation_id != offer_service.organisation_id:
            raise ValidationError("Ce service facturé appartient à un autre organisme.")
        if existing.offer_service_id not in (None, offer_service.pk):
            raise ValidationError(f"Le service facturé « {existing.name} » est déjà rattaché à un autre service.")
    billed = catalogue_billed_service(offer_service, settings)
    if billed is None:
        return None, None
    if billed.pk is None:
        taken = BilledService.objects.for_organisation(billed.organisation_id).filter(name=billed.name)
        if taken.exists():
            raise ValidationError(
                f"Un service facturé s'appelle déjà « {billed.name} » : choisissez-le dans « Service facturé "
                "existant » pour le rattacher, ou renommez le service."
            )
    with transaction.atomic():
        check = save_service(service=billed, today=today)
    return billed, (check if billed.mode in rules.BILLED_BY_LANDLORD else None)


def save_agreement(*, agreement: CollectiveAgreement, sites, today: dt.date) -> list[str]:
    """Save a collective agreement with its sites (its scope) in one transaction.

    Returns a warning for each service resting on it that the framework would no longer let staff choose
    (the agreement has ended): it bills only the days the agreement ran.
    """
    sites = list(sites)
    if not sites:
        raise ValidationError("Un accord collectif couvre au moins une résidence : choisissez son périmètre.")
    if wrong := [str(site) for site in sites if site.organisation_id != agreement.organisation_id]:
        raise ValidationError(f"Résidence d'un autre organisme : {', '.join(wrong)}.")
    if agreement.valid_until is not None and agreement.valid_until < agreement.valid_from:
        raise ValidationError("La fin de l'accord doit suivre son entrée en vigueur.")
    with transaction.atomic():
        agreement.save()
        agreement.sites.set(sites)
    warnings = []
    for service in agreement.services.order_by("name").prefetch_related("agreement__sites"):
        for refusal in check_service(service, today=today).refusals:
            warnings.append(f"« {service.name} » : {refusal.message} Référence : {refusal.reference}.")
    return warnings


def subscribe(*, service: BilledService, household: Household, given_on: dt.date, channel: str, by) -> Subscription:
    """Record a household's consent to an optional subscription (date and channel)."""
    if service.mode != BillingMode.SUBSCRIPTION:
        raise ValidationError("Ce service n'est pas un abonnement facultatif : aucun consentement à recueillir.")
    if household.organisation_id != service.organisation_id:
        raise ValidationError("Ce ménage n'appartient pas à l'organisme du service.")
    already = ValidationError(f"Le ménage {household.reference} est déjà abonné à « {service.name} ».")
    if Subscription.objects.active().filter(service=service, household=household).exists():
        raise already
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                organisation_id=service.organisation_id,
                service=service,
                household=household,
                consent_given_on=given_on,
                consent_channel=channel,
                recorded_by=by,
            )
    except IntegrityError:  # a colleague recorded the same consent in between (subscription_one_active)
        raise already from None


def end_subscription(*, subscription: Subscription, on: dt.date) -> Subscription:
    """Withdraw the consent: the subscription is billed up to the day before ``on``."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("service").get(pk=subscription.pk)
        if subscription.ended_on is not None:
            raise ValidationError(f"Cet abonnement est déjà résilié, le {subscription.ended_on:%d/%m/%Y}.")
        if on < subscription.consent_given_on:
            raise ValidationError(
                f"La résiliation ne peut précéder le consentement, donné le {subscription.consent_given_on:%d/%m/%Y}."
            )
        subscription.ended_on = on
        subscription.save(update_fields=["ended_on"])
    return subscription


def record_exit(*, household: Household, left_on: dt.date) -> HouseholdExit:
    """Record the last day a household occupied its dwelling (its last month is billed pro rata)."""
    if left_on < household.move_in_date:
        raise ValidationError(
            f"La date de sortie ne peut précéder la date d'entrée, le {household.move_in_date:%d/%m/%Y}."
        )
    with transaction.atomic():
        exit_, _ = HouseholdExit.objects.update_or_create(
            household=household, defaults={"organisation_id": household.organisation_id, "left_on": left_on}
        )
    return exit_


def clear_exit(*, household: Household) -> bool:
    """Forget a household's exit recorded by mistake; False if none was recorded. Months billed stay as billed."""
    with transaction.atomic():
        exit_ = HouseholdExit.objects.filter(household=household).first()
        if exit_ is None:
            return False
        exit_.delete()
    return True


@dataclass(frozen=True)
class MonthInputs:
    occupancies: list[amounts.Occupancy]
    rules: list[amounts.ChargeRule]
    subscribers: dict[int, dict[int, rules.ConsentRecord]]
    services: dict[int, BilledService]
    references: dict[int, str]  # household id -> lease reference, for the refusals' detail


def load_inputs(organisation, month: amounts.Month) -> MonthInputs:
    """Read from the database what the month's billing needs, as plain data."""
    period = month.period
    rows = (
        Household.objects.for_organisation(organisation)
        .filter(move_in_date__lte=period.end)
        .filter(Q(billing_exit__isnull=True) | Q(billing_exit__left_on__gte=period.start))
        .values_list(
            "pk", "reference", "dwelling_id", "dwelling__building__site_id", "move_in_date", "billing_exit__left_on"
        )
    )
    occupancies, references = [], {}
    for pk, reference, dwelling_id, site_id, start, end in rows.iterator(chunk_size=10000):
        occupancies.append(amounts.Occupancy(pk, dwelling_id, site_id, start, end))
        references[pk] = reference
    charge_rules = (
        ChargeRule.objects.for_organisation(organisation)
        .filter(valid_from__lte=period.end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=period.start))
        .select_related("service__agreement")
        .prefetch_related("sites", "service__agreement__sites")
    )
    terms, services = [], {}
    for rule in charge_rules:
        services[rule.service_id] = rule.service
        site_ids = frozenset(site.pk for site in rule.sites.all()) or None
        billing = service_terms(rule.service)
        if site_ids is None and billing.agreement is not None:
            site_ids = billing.agreement.site_ids  # an agreement's rule bills its sites by default
        terms.append(
            amounts.ChargeRule(
                id=rule.pk,
                service_id=rule.service_id,
                billing=billing,
                amount=rule.amount,
                basis=amounts.Basis(rule.basis),
                valid_from=rule.valid_from,
                valid_until=rule.valid_until,
                site_ids=site_ids,
            )
        )
    subscribers: dict[int, dict[int, rules.ConsentRecord]] = {}
    subscriptions = (
        Subscription.objects.for_organisation(organisation)
        .filter(service_id__in=list(services), consent_given_on__lte=period.end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=period.start))
        .order_by("consent_given_on", "pk")
        .values_list("service_id", "household_id", "consent_given_on", "consent_channel", "ended_on")
    )
    for service_id, household_id, given_on, channel, ended_on in subscriptions:
        # Later consents replace earlier ones: the latest subscription of the month is billed.
        subscribers.setdefault(service_id, {})[household_id] = rules.ConsentRecord(given_on, channel, ended_on)
    return MonthInputs(occupancies, terms, subscribers, services, references)


def _refusals_summary(result: amounts.MonthBilling, references: dict[int, str]) -> dict:
    counts = Counter(r.refusal.rule for r in result.refusals)
    return {
        "by_rule": [
            {
                "rule": code,
                "title": rules.RULES[code].title,
                "reference": rules.RULES[code].reference,
                "source_url": rules.RULES[code].source_url,
                "count": count,
            }
            for code, count in sorted(counts.items())
        ],
        "first": [
            {"household": references.get(r.household_id, ""), "rule": r.refusal.rule, "message": str(r.refusal)}
            for r in result.refusals[:REFUSALS_KEPT]
        ],
        "total": len(result.refusals),
    }


# The columns a charge line is written with, in order (all but the id).
LINE_FIELDS = (
    "run",
    "household",
    "service",
    "rule",
    "period_start",
    "period_end",
    "days",
    "amount",
    "cost_code",
    "charge_code",
)


def charge_line_rows(run: BillingRun, result: amounts.MonthBilling, services: dict[int, BilledService]) -> list:
    """The result's lines as plain tuples in the order of ``LINE_FIELDS``, the codes copied from the service."""
    codes = {pk: (service.cost_code, service.charge_code) for pk, service in services.items()}
    run_id = run.pk
    return [
        (run_id, line.household_id, line.service_id, line.rule_id, line.start, line.end, line.days, line.amount)
        + codes[line.service_id]
        for line in result.lines
    ]


def write_charge_lines(rows: list[tuple]) -> None:
    """Insert charge lines (tuples in the order of ``LINE_FIELDS``) in the current transaction.

    PostgreSQL: one ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``), binary, the rows streamed as they are.
    SQLite: one prepared ``INSERT`` run by ``executemany`` (the values adapted by Django's registered adapters,
    as for its own queries). Both skip building model instances, which at 150,000 lines cost more than the
    insert itself (docs/billing.md, « Billing a month »).
    """
    if not rows:
        return
    meta = ChargeLine._meta
    fields = [meta.get_field(name) for name in LINE_FIELDS]
    columns = [field.column for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg import sql

            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            # Binary COPY needs each column's type: the model's, without its modifier ("numeric(10, 2)").
            types = [field.db_type(connection).split("(")[0] for field in fields]
            # The raw cursor's errors become Django's (IntegrityError…), as those of the cursor's own queries.
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            quote = connection.ops.quote_name
            statement = (
                f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})"
            )
            cursor.executemany(statement, rows)


def _closed_error(month: amounts.Month) -> ValidationError:
    return ValidationError(f"Le mois {month} est clôturé : sa facturation ne peut plus être refaite.")


def prepare_run(*, organisation, month: amounts.Month, by=None) -> BillingRun:
    """Create the month's run, or set it back to queued to run it again; a closed month is refused."""
    with transaction.atomic():
        run, _ = BillingRun.objects.select_for_update().get_or_create(
            organisation=organisation, month=month.period.start, defaults={"created_by": by}
        )
        if run.status == RunStatus.CLOSED:
            raise _closed_error(month)
        if run.status == RunStatus.RUNNING:
            raise ValidationError(f"La facturation du mois {month} est déjà en cours.")
        run.status, run.error, run.created_by = RunStatus.QUEUED, "", by or run.created_by
        run.save(update_fields=["status", "error", "created_by"])
    return run


def start_run(*, organisation, month: amounts.Month, by) -> BillingRun:
    """Queue the month's billing in the background (the worker runs :func:`execute_run`)."""
    from proxima.billing.tasks import run_billing

    run = prepare_run(organisation=organisation, month=month, by=by)
    run_billing.enqueue(run_id=run.pk)
    return run


@dataclass(frozen=True)
class RunTimings:
    load: float
    compute: float
    write: float


def execute_run(run_id: int, *, report: Callable[[str], None] | None = None) -> tuple[BillingRun, RunTimings]:
    """Compute the run's month and replace its lines in one transaction (all or nothing).

    Re-running a month replaces its lines; a closed month is refused. On failure the run is marked
    failed with the reason and no line is changed.
    """
    report = report or (lambda message: None)
    run = BillingRun.objects.select_related("organisation", "created_by").get(pk=run_id)
    month = amounts.Month(run.month.year, run.month.month)
    if run.status == RunStatus.CLOSED:
        raise _closed_error(month)
    run.status, run.started_at, run.finished_at, run.error = RunStatus.RUNNING, timezone.now(), None, ""
    run.save(update_fields=["status", "started_at", "finished_at", "error"])
    try:
        with audit.acting_as(run.created_by, f"facturation du mois {month}"):
            t0 = time.perf_counter()
            report("Lecture des ménages et des règles…")
            inputs = load_inputs(run.organisation, month)
            run.households_total = len(inputs.occupancies)
            run.save(update_fields=["households_total"])
            t1 = time.perf_counter()
            report(f"Calcul de {len(inputs.occupancies)} ménages…")
            result = amounts.compute_month(
                month, inputs.occupancies, inputs.rules, subscribers=inputs.subscribers, charge_list=charge_list()
            )
            t2 = time.perf_counter()
            report(f"Enregistrement de {len(result.lines)} lignes…")
            with transaction.atomic():
                locked = BillingRun.objects.select_for_update().get(pk=run.pk)
                if locked.status == RunStatus.CLOSED:
                    raise _closed_error(month)
                ChargeLine.objects.filter(run=run).delete()
                write_charge_lines(charge_line_rows(run, result, inputs.services))
                run.status = RunStatus.DONE
                run.lines_count = len(result.lines)
                run.total = result.total
                run.refusals = _refusals_summary(result, inputs.references)
                run.finished_at = timezone.now()
                run.save(update_fields=["status", "lines_count", "total", "refusals", "finished_at"])
            t3 = time.perf_counter()
    except Exception as exc:
        run.refresh_from_db(fields=["status"])
        if run.status != RunStatus.CLOSED:
            run.status, run.error, run.finished_at = RunStatus.FAILED, str(exc)[:2000], timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        raise
    return run, RunTimings(load=t1 - t0, compute=t2 - t1, write=t3 - t2)


def run_month(*, organisation, month: amounts.Month, by=None, report=None) -> tuple[BillingRun, RunTimings]:
    """Bill ``month`` now, in this process (the command line and the demo)."""
    run = prepare_run(organisation=organisation, month=month, by=by)
    return execute_run(run.pk, report=report)


def close_run(*, run: BillingRun, by) -> BillingRun:
    """Close a computed month: its lines are final (sent to the management software) and cannot be redone."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.DONE:
            raise ValidationError("Seule une facturation calculée peut être clôturée.")
        run.status, run.closed_at, run.closed_by = RunStatus.CLOSED, timezone.now(), by
        run.save(update_fields=["status", "closed_at", "closed_by"])
    return run
