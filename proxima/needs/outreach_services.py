"""Outreach ("aller vers"): the facts the rules read, from the database, and the record of each contact.

The rules themselves are in :mod:`proxima.needs.outreach`; this module loads their input in a
fixed number of aggregate queries, whatever the number of households, and writes the outcome
of a call or visit.
"""

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.formats import number_format

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction, Role
from proxima.households.enums import ConsentPurpose, InteractionChannel, PersonRole
from proxima.households.models import Consent, Household, Interaction
from proxima.needs import outreach
from proxima.needs.enums import Need, OutreachOutcome, OutreachReason
from proxima.needs.models import Invitation, OutreachContact, OutreachSettings, Response
from proxima.territory.models import FranceServicesSite, Site

# Interaction.source of the contacts recorded from the outreach list.
OUTREACH_SOURCE = "aller vers"


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def get_outreach_settings(organisation) -> OutreachSettings:
    """The organisation's outreach settings, or the default values (unsaved) when it has none yet."""
    found = OutreachSettings.objects.select_related("survey").filter(organisation=organisation).first()
    return found or OutreachSettings(organisation=organisation)


def outreach_params(settings: OutreachSettings, *, today: dt.date) -> outreach.OutreachParams:
    return outreach.OutreachParams(
        today=today, no_contact_months=settings.no_contact_months, far_km=float(settings.far_km)
    )


def field_agents(organisation):
    """The active field agents of the organisation: the only users who can be entrusted with sites."""
    return organisation.users.filter(role=Role.FIELD_AGENT, is_active=True).order_by(
        "last_name", "first_name", "email"
    )


def site_services_km(site_coordinates: Mapping[int, tuple[float, float]]) -> dict[int, float]:
    """Distance in km from each site to the nearest France services site (reference data), in one pass."""
    services = list(
        FranceServicesSite.objects.filter(latitude__isnull=False, longitude__isnull=False).values_list(
            "latitude", "longitude"
        )
    )
    return outreach.nearest_distances_km(site_coordinates, services)


def declined_outreach(households):
    """The households that withdrew their consent to courtesy calls and visits and have not given it again.

    Calling them would go against what they asked (RGPD, art. 7.3): they stay off the outreach list,
    and the list says how many they are. Households that never said anything stay on it.
    """
    withdrawn = Consent.objects.filter(purpose=ConsentPurpose.OUTREACH, withdrawn_on__isnull=False)
    active = Consent.objects.active().filter(purpose=ConsentPurpose.OUTREACH)
    return households.filter(pk__in=withdrawn.values("household")).exclude(pk__in=active.values("household"))


def load_outreach_facts(
    *,
    organisation,
    user,
    today: dt.date,
    site_ids: Collection[int] | None = None,
    household_ids: Collection[int] | None = None,
    settings: OutreachSettings | None = None,
) -> list[outreach.HouseholdFacts]:
    """The facts of the households ``user`` works with (a field agent: only their sites' households).

    Seven queries at most, whatever the number of households: the settings (unless given), the
    households with their persons aggregated, their last contacts, the sites' positions, the France
    services sites, and the responses and invitations of the reference survey when there is one.

    Parameters
    ----------
    organisation, user
        Whose households, and who is asking.
    today
        The day the list is drawn up: contacts dated after it (planned ahead) do not count yet.
    site_ids, household_ids
        Only the households of these sites, or only these households (None: no restriction).
    settings
        The organisation's outreach settings, if already loaded.
    """
    settings = settings if settings is not None else get_outreach_settings(organisation)
    households = Household.objects.visible_to(user).filter(organisation=organisation)
    if site_ids is not None:
        households = households.filter(dwelling__building__site_id__in=site_ids)
    if household_ids is not None:
        households = households.filter(pk__in=household_ids)
    households = households.exclude(pk__in=declined_outreach(Household.objects.all()).values("pk"))
    rows = list(
        households.order_by()
        .values_list("pk", "dwelling__building__site_id", "move_in_date", "arrears_amount", "has_car")
        .annotate(
            persons_count=Count("persons"),
            eldest=Min("persons__birth_year"),
            holder=Min("persons__birth_year", filter=Q(persons__role=PersonRole.REFERENCE)),
        )
    )
    if not rows:
        return []
    ids = households.values("pk")
    # A call nobody answered is recorded in the history but is not a contact: the household stays due.
    # The same for the elderly outreach programme's failed calls and visits (proxima.outreach).
    last_contacts = dict(
        Interaction.objects.filter(household__in=ids, occurred_at__lt=_start_of_day(today + dt.timedelta(days=1)))
        .exclude(outreach_contact__outcome=OutreachOutcome.NOT_REACHED)
        .exclude(programme_contact__success=False)
        .order_by()
        .values("household_id")
        .annotate(last=Max("occurred_at"))
        .values_list("household_id", "last")
    )
    sites = {
        pk: (lat, lon)
        for pk, lat, lon in Site.objects.filter(pk__in={row[1] for row in rows}).values_list(
            "pk", "latitude", "longitude"
        )
    }
    services_km = site_services_km(sites)
    needs, invited = {}, set()
    survey = settings.survey if settings.survey_id and settings.survey.organisation_id == organisation.pk else None
    if survey is not None:
        needs = dict(Response.objects.filter(survey=survey, household__in=ids).values_list("household_id", "needs"))
        invited = set(
            Invitation.objects.filter(survey=survey, household__in=ids).values_list("household_id", flat=True)
        )
    tz = timezone.get_current_timezone()  # localdate() per row costs more than the rules themselves
    facts = []
    for pk, site_id, moved_in_on, arrears, has_car, persons_count, eldest, holder in rows:
        last = last_contacts.get(pk)
        facts.append(
            outreach.HouseholdFacts(
                household_id=pk,
                site_id=site_id,
                persons_count=persons_count,
                eldest_birth_year=eldest,
                holder_birth_year=holder,
                arrears_amount=arrears,
                has_car=has_car,
                services_km=services_km.get(site_id),
                moved_in_on=moved_in_on,
                last_contact_on=last.astimezone(tz).date() if last is not None else None,
                survey_needs=frozenset(needs.get(pk) or ()),
                invited=pk in invited,
                answered=pk in needs,
            )
        )
    return facts


def flag_outreach(
    *, organisation, user, today: dt.date, site_ids: Collection[int] | None = None
) -> tuple[list[outreach.Flag], outreach.OutreachParams]:
    """The prioritised outreach list of the households ``user`` works with, and the thresholds used."""
    settings = get_outreach_settings(organisation)
    params = outreach_params(settings, today=today)
    facts = load_outreach_facts(
        organisation=organisation, user=user, today=today, site_ids=site_ids, settings=settings
    )
    return outreach.flag_households(facts, params), params


def household_flag(
    *, household: Household, user, today: dt.date
) -> tuple[outreach.Flag | None, outreach.OutreachParams]:
    """The household's current outreach flag (None when no rule flags it), and the thresholds used."""
    # The user's organisation is the household's: visible_to(user) below finds nothing otherwise.
    settings = get_outreach_settings(user.organisation)
    facts = load_outreach_facts(
        organisation=user.organisation, user=user, today=today, household_ids=[household.pk], settings=settings
    )
    params = outreach_params(settings, today=today)
    flags = outreach.flag_households(facts, params)
    return (flags[0] if flags else None), params


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _need_labels(needs: Iterable[str]) -> str:
    return ", ".join(str(Need(n).label) for n in sorted(needs) if n in Need.values)


def reason_labels() -> dict[str, str]:
    """The French label of each reason, translated once (a list of thousands of rows would repeat it)."""
    return {code: str(label) for code, label in OutreachReason.choices}


def describe_reason(
    reason: str, facts: outreach.HouseholdFacts, params: outreach.OutreachParams, *, labels: dict | None = None
) -> str:
    """A reason in plain French, with the fact behind it (age, date, amount, distance, need)."""
    label = (labels or reason_labels())[reason]
    if reason == outreach.ELDERLY_ALONE:
        return f"{label} ({outreach.age_in(params.today.year, facts.eldest_birth_year)} ans)"
    if reason == outreach.NO_RECENT_CONTACT:
        if facts.last_contact_on is not None:
            return f"{label} (dernier le {_date(facts.last_contact_on)})"
        if facts.moved_in_on is not None:
            return f"{label} (aucun depuis l'entrée le {_date(facts.moved_in_on)})"
        return f"{label} (aucun)"
    if reason == outreach.YOUNG_IN_ARREARS:
        return f"{label} ({number_format(facts.arrears_amount, 2, force_grouping=True)} € dus)"
    if reason == outreach.NO_CAR_FAR:
        details = []
        if facts.services_km is not None and facts.services_km > params.far_km:
            details.append(f"France services à {number_format(facts.services_km, 1)} km")
        if outreach.MOBILITY_NEED in facts.survey_needs:
            details.append("l'enquête signale une difficulté à se déplacer")
        return f"{label} ({' ; '.join(details)})"
    if reason == outreach.SURVEY_ISOLATION:
        return f"{label} ({_need_labels(facts.survey_needs & outreach.ISOLATION_NEEDS)})"
    if reason == outreach.SURVEY_HARDSHIP:
        return f"{label} ({_need_labels(facts.survey_needs & outreach.HARDSHIP_NEEDS)})"
    return label


def describe_flag(flag: outreach.Flag, params: outreach.OutreachParams, *, labels: dict | None = None) -> list[str]:
    """The flag's reasons in plain French, heaviest first."""
    labels = labels or reason_labels()
    return [describe_reason(reason, flag.facts, params, labels=labels) for reason in flag.reasons]


@transaction.atomic
def record_outreach_contact(
    *,
    household: Household,
    outcome: str,
    channel: str,
    reasons: Collection[str],
    by,
    when: dt.datetime,
    note: str = "",
) -> OutreachContact:
    """Record the outcome of a call or visit, and the contact in the household's interaction history.

    Both rows are written or neither is. ``reasons`` are the outreach reasons shown when the contact
    was made; the new interaction resets the household's "no recent contact" rule unless nobody answered.
    """
    if outcome not in OutreachOutcome.values:
        raise ValidationError(f"Résultat inconnu : « {outcome} ».")
    if channel not in InteractionChannel.values:
        raise ValidationError(f"Canal inconnu : « {channel} ».")
    if unknown := sorted(set(reasons) - set(OutreachReason.values)):
        raise ValidationError(f"Motif inconnu : {', '.join(unknown)}.")
    if when > timezone.now():
        raise ValidationError("La date du contact ne peut pas être dans le futur.")
    interaction = Interaction(
        organisation_id=household.organisation_id,
        household=household,
        occurred_at=when,
        channel=channel,
        source=OUTREACH_SOURCE,
        outcome=str(OutreachOutcome(outcome).label),
        note=note.strip(),
        recorded_by=by,
    )
    interaction.full_clean()
    interaction.save()
    contact = OutreachContact(
        organisation_id=household.organisation_id,
        household=household,
        reasons=[r for r in outreach.REASONS if r in set(reasons)],
        outcome=outcome,
        contacted_at=when,
        recorded_by=by,
        interaction=interaction,
    )
    # A household no rule flags today may still be called: an empty list of reasons is valid.
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def update_outreach_settings(*, organisation, no_contact_months: int, far_km, survey=None) -> OutreachSettings:
    """Save the organisation's thresholds and reference survey (one of its own surveys)."""
    if survey is not None and survey.organisation_id != organisation.pk:
        raise ValidationError("Cette enquête n'appartient pas à votre organisme.")
    settings, _ = OutreachSettings.objects.update_or_create(
        organisation=organisation,
        defaults={"no_contact_months": no_contact_months, "far_km": far_km, "survey": survey},
    )
    return settings


@transaction.atomic
def assign_site_agents(*, organisation, coverage: Mapping[int, Collection[int]]) -> int:
    """Set which field agents cover each site: ``{site id: agent ids}``; a site left out keeps its agents.

    Only the organisation's sites and active field agents are accepted (a field agent sees the
    households of the sites entrusted to them: granting a site grants access to personal data).
    Each changed site gets an audit event naming the agents added and removed. Returns how many changed.
    """
    sites = {site.pk: site for site in Site.objects.for_organisation(organisation).filter(pk__in=coverage)}
    agents = set(field_agents(organisation).values_list("pk", flat=True))
    if missing := sorted(set(coverage) - set(sites)):
        raise ValidationError(f"Résidence inconnue : {', '.join(map(str, missing))}.")
    for site_id, agent_ids in coverage.items():
        if wrong := sorted(set(agent_ids) - agents):
            raise ValidationError(
                f"{sites[site_id].name} : seuls les agents de terrain de l'organisme peuvent être affectés "
                f"(utilisateur {', '.join(map(str, wrong))})."
            )
    through = Site.agents.through
    current = {}
    for site_id, user_id in through.objects.filter(site_id__in=sites).values_list("site_id", "user_id"):
        current.setdefault(site_id, set()).add(user_id)
    changed = 0
    for site_id, agent_ids in coverage.items():
        before, after = current.get(site_id, set()), set(agent_ids)
        if before == after:
            continue
        changed += 1
        removed, added = sorted(before - after), sorted(after - before)
        through.objects.filter(site_id=site_id, user_id__in=removed).delete()
        through.objects.bulk_create([through(site_id=site_id, user_id=user_id) for user_id in added])
        audit.record(
            action=AuditAction.UPDATE,
            organisation_id=organisation.pk,
            target_type="territory.Site",
            target_id=site_id,
            target_repr=sites[site_id].name,
            details={"agents_added": added, "agents_removed": removed},
        )
    return changed
