"""The demo's solidarity concierge: its presentation, an inventory, requests, loans, office hours, activities.

Everything goes through the concierge's services, as in real use, so the requests have their logs and the
tenants' contacts are in their households' histories. The past (requests, loans, a past outing and who came)
is dated from ``today`` (the real date in the demo, so that the concierge's file shows the last days'
requests); office hours and the coming workshop from ``start``, a date to come, so that they can be booked. The same seed and dates give the same data; rebuilding the demo changes nothing once the
concierge has its inventory.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.agency.models import Stop
from proxima.concierge import services
from proxima.concierge.enums import ActivityKind, ItemKind, PlaceKind, ReceivedVia, RequestKind
from proxima.concierge.models import Activity, ConciergeRequest, Item, Loan, OfficeHours
from proxima.demo.names import LAST_NAMES
from proxima.households.models import Household

ITEMS = [
    ("PERC-01", "Perceuse-visseuse", ItemKind.TOOL, 7),
    ("PONC-01", "Ponceuse", ItemKind.TOOL, 7),
    ("ESCA-01", "Escabeau 5 marches", ItemKind.TOOL, 3),
    ("SCIE-01", "Scie sauteuse", ItemKind.TOOL, 7),
    ("VAPE-01", "Nettoyeur vapeur", ItemKind.APPLIANCE, 5),
    ("COUD-01", "Machine à coudre", ItemKind.APPLIANCE, 14),
    ("RACL-01", "Appareil à raclette", ItemKind.APPLIANCE, 3),
    ("JEU-01", "Jeu de l'oie géant", ItemKind.TOY, 14),
    ("JEU-02", "Puzzle 500 pièces", ItemKind.TOY, 14),
    ("JEU-03", "Dinette en bois", ItemKind.TOY, 14),
    ("JEU-04", "Planchettes à construire", ItemKind.TOY, 14),
]
# Kinds of request, weighted as a rural concierge receives them: bread and parcels every day, paperwork often.
KIND_WEIGHTS = {
    RequestKind.BREAD: 8,
    RequestKind.PARCEL: 6,
    RequestKind.PAPERWORK: 5,
    RequestKind.LOAN: 3,
    RequestKind.TOY_LIBRARY: 2,
    RequestKind.SMALL_REPAIR: 3,
    RequestKind.TUTORING: 2,
    RequestKind.TRAINING: 1,
}
DESCRIPTIONS = {
    RequestKind.BREAD: "2 baguettes le mardi et le vendredi",
    RequestKind.PARCEL: "Colis attendu cette semaine",
    RequestKind.PAPERWORK: "Aide pour le dossier de retraite en ligne",
    RequestKind.LOAN: "Une perceuse pour le week-end",
    RequestKind.TOY_LIBRARY: "Jeux pour un anniversaire",
    RequestKind.SMALL_REPAIR: "Poignée de porte à revisser",
    RequestKind.TUTORING: "Soutien en mathématiques, niveau 5e",
    RequestKind.TRAINING: "Apprendre à utiliser une tablette",
}
OUTCOMES = {
    RequestKind.BREAD: "Pain déposé et remis",
    RequestKind.PARCEL: "Colis remis",
    RequestKind.PAPERWORK: "Dossier complété avec la personne",
    RequestKind.LOAN: "Objet prêté",
    RequestKind.TOY_LIBRARY: "Jeux prêtés",
    RequestKind.SMALL_REPAIR: "Réparé par le bénévole bricoleur",
    RequestKind.TUTORING: "Inscrit au soutien scolaire du mercredi",
    RequestKind.TRAINING: "Inscrite à l'atelier numérique",
}
REQUESTS = 60
WEEKS_BACK = 8


@dataclass
class ConciergeDemoResult:
    requests: int
    loans: int
    office_hours: int
    activities: int


def _result(organisation) -> ConciergeDemoResult:
    return ConciergeDemoResult(
        requests=ConciergeRequest.objects.for_organisation(organisation).count(),
        loans=Loan.objects.for_organisation(organisation).count(),
        office_hours=OfficeHours.objects.for_organisation(organisation).count(),
        activities=Activity.objects.for_organisation(organisation).count(),
    )


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _phone(rng: random.Random) -> str:
    """A fictitious mobile number (06 00 …), like every demo datum."""
    return f"06 00 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


@transaction.atomic
def build_concierge_demo(organisation, *, today: dt.date, start: dt.date, seed: int = 0) -> ConciergeDemoResult:
    """Build the demo's concierge once; return its counts (found again when the demo is rebuilt)."""
    if Item.objects.for_organisation(organisation).exists():
        return _result(organisation)
    rng = random.Random(seed)
    today = min(today, timezone.localdate())  # loans and returns cannot be recorded ahead of time
    staff = list(organisation.users.filter(role__in=[Role.STAFF, Role.FIELD_AGENT]).order_by("role", "pk"))
    by = staff[0]
    households = list(
        Household.objects.for_organisation(organisation)
        .select_related("dwelling__building__site__commune")
        .prefetch_related("persons")
        .order_by("reference")
    )
    site = households[0].dwelling.building.site
    services.update_concierge_settings(
        organisation=organisation,
        name=f"Conciergerie solidaire de {site.commune.name}",
        address=f"Local commun, {site.name}, {site.commune.name}",
        opening_hours="Du lundi au vendredi, de 9 h à 12 h, et le mercredi de 14 h à 17 h",
        phone="02 54 00 00 10",
    )
    items = [
        services.create_item(organisation=organisation, reference=ref, name=name, kind=kind, loan_days=days)
        for ref, name, kind, days in ITEMS
    ]
    _requests(organisation, rng, households, staff, today)
    _loans(rng, items, households, by, today)
    _office_hours(organisation, rng, households, by, start)
    _activities(organisation, rng, households, by, today, start)
    return _result(organisation)


def _tenant(household) -> dict:
    """A tenant by their lease holder's name."""
    person = min(household.persons.all(), key=lambda p: (p.role != "reference", p.pk), default=None)
    name = f"{person.first_name} {person.last_name}" if person else f"Ménage {household.reference}"
    return {"household": household, "name": name}


def _someone(rng: random.Random, households) -> dict:
    """Half the people come from tenants' households, half are other inhabitants of the town."""
    if households and rng.random() < 0.5:
        return _tenant(rng.choice(households))
    return {"name": f"{rng.choice(['Mme', 'M.'])} {rng.choice(LAST_NAMES)}", "phone": _phone(rng)}


def _people(rng: random.Random, households, count: int) -> list[dict]:
    """``count`` different people: a household registers once to an activity."""
    tenants = iter(rng.sample(households, count))
    return [_tenant(next(tenants)) if rng.random() < 0.5 else _someone(rng, []) for _ in range(count)]


def _requests(organisation, rng, households, staff, today: dt.date) -> None:
    """Requests over the last weeks: the older ones handled or cancelled, the recent ones in the file."""
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    for i in range(REQUESTS):
        days_ago = round((REQUESTS - i) * WEEKS_BACK * 7 / REQUESTS)
        received = _at(today - dt.timedelta(days=days_ago), rng.randint(9, 11), rng.choice([0, 15, 30, 45]))
        kind = rng.choices(kinds, weights)[0]
        via = rng.choices([ReceivedVia.IN_PERSON, ReceivedVia.PHONE, ReceivedVia.ONLINE], [5, 3, 2])[0]
        who = _someone(rng, households)
        if via == ReceivedVia.ONLINE:
            who = {"name": who["name"], "phone": who.get("phone") or _phone(rng)}  # linked by staff below, sometimes
        request = services.create_request(
            organisation=organisation,
            kind=kind,
            received_via=via,
            description=DESCRIPTIONS[kind],
            by=None if via == ReceivedVia.ONLINE else rng.choice(staff),
            at=received,
            **who,
        )
        handler = rng.choice(staff)
        later = received + dt.timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 5))  # within opening hours
        if days_ago <= 3:
            continue  # new, waiting in the file
        if via == ReceivedVia.ONLINE and rng.random() < 0.5:
            services.update_request(request=request, by=handler, household=rng.choice(households))
        if days_ago <= 10 and rng.random() < 0.6:
            services.start_request(request=request, by=handler, at=later)
            if rng.random() < 0.3:
                services.hold_request(request=request, by=handler, reason="En attente d'un bénévole", at=later)
            continue
        if rng.random() < 0.1:
            services.cancel_request(request=request, by=handler, reason="La personne n'en a plus besoin", at=later)
        else:
            services.start_request(request=request, by=handler, at=later)
            done = min(later + dt.timedelta(days=rng.randint(0, 5)), timezone.now())
            services.complete_request(request=request, outcome=OUTCOMES[kind], by=handler, at=done)


def _loans(rng, items, households, by, today: dt.date) -> None:
    """Past loans returned, three items out, one of them overdue."""
    for item in items[:6]:
        lent_on = today - dt.timedelta(days=rng.randint(20, 40))
        loan = services.lend_item(item=item, lent_on=lent_on, by=by, **_someone(rng, households))
        services.return_item(loan=loan, returned_on=min(loan.due_on, today), note="Rendu complet", by=by)
    for item, days_ago in zip(items[6:8], [2, 5], strict=True):
        services.lend_item(item=item, lent_on=today - dt.timedelta(days=days_ago), by=by, **_someone(rng, households))
    services.lend_item(
        item=items[8],
        lent_on=today - dt.timedelta(days=20),
        due_on=today - dt.timedelta(days=6),
        by=by,
        **_someone(rng, households),
    )


def _office_hours(organisation, rng, households, by, start: dt.date) -> None:
    """Weekly help with paperwork at the concierge, and office hours at the bus's first stop, with bookings."""
    sessions = services.create_office_hours(
        organisation=organisation,
        repeat_weeks=4,
        title="Aide aux démarches administratives",
        place_kind=PlaceKind.CONCIERGE,
        place="Conciergerie solidaire",
        date=start,
        start=dt.time(9),
        end=dt.time(12),
        slot_minutes=30,
        held_by=by,
    )
    stop = Stop.objects.for_organisation(organisation).active().order_by("name", "pk").first()
    if stop is not None:
        sessions += services.create_office_hours(
            organisation=organisation,
            title="Permanence au bus : loyer, charges, aides",
            place_kind=PlaceKind.MOBILE_AGENCY,
            stop=stop,
            date=start + dt.timedelta(days=1),
            start=dt.time(14),
            end=dt.time(16),
            slot_minutes=20,
        )
    for session in sessions[:2]:
        for slot in rng.sample(services.office_slots(session), 3):
            household = rng.choice(households)
            services.book_office_appointment(
                office_hours=session,
                starts_at=slot.starts_at,
                topic="Dossier d'aide au logement",
                by=by,
                **_tenant(household),
            )


def _activities(organisation, rng, households, by, today: dt.date, start: dt.date) -> None:
    """A past outing with who came, and a coming workshop full, with a waiting list."""
    outing_day = today - dt.timedelta(days=12)
    outing = services.create_activity(
        organisation=organisation,
        by=by,
        title="Sortie au musée et goûter",
        kind=ActivityKind.CULTURAL,
        description="Visite guidée puis goûter partagé. Transport en minibus depuis la conciergerie.",
        place="Musée Bertrand, Châteauroux",
        starts_at=_at(outing_day, 14),
        ends_at=_at(outing_day, 17),
        capacity=12,
    )
    registered = [
        services.register(activity=outing, by=by, at=_at(outing_day - dt.timedelta(days=10), 10), **person)
        for person in _people(rng, households, 10)
    ]
    services.record_attendance(activity=outing, present=[r.pk for r in registered[:8]], by=by)
    workshop_day = start + dt.timedelta(days=8)
    workshop = services.create_activity(
        organisation=organisation,
        by=by,
        title="Atelier cuisine anti-gaspi",
        kind=ActivityKind.WORKSHOP,
        description="Cuisiner les restes avec une diététicienne. Repas partagé.",
        place="Salle commune de la conciergerie",
        starts_at=_at(workshop_day, 10),
        ends_at=_at(workshop_day, 13),
        capacity=8,
    )
    for person in _people(rng, households, 9):
        services.register(activity=workshop, by=by, places=rng.choice([1, 1, 2]), **person)
