"""Benchmark of the concierge's file and of a household's interaction history for a large landlord.

Method
------
1. Data, written with ``bulk_create`` into a fresh database (a temporary SQLite file by default):
   one landlord, ``SITES`` sites on the low-demand communes of Indre and Cher and ``HOUSEHOLDS``
   households (``benchmarks/register.py``); ``INTERACTIONS`` contacts spread over the households and the
   last three years, of which ``HEAVY_CONTACTS`` for one household followed for years; ``STAFF`` users
   working at the concierge; ``REQUESTS`` requests over two years, a third from tenants, 85 % closed
   (done or cancelled) and the rest open (new, in progress, on hold; a third of those overdue), given to
   the staff or to nobody, each with its log (reception, then each transition).
2. Measurement, with Django's test client and a staff member logged in, query and render together: the
   concierge's file (first page) with its default filter (open requests), then filtered by kind, assignee
   and overdue, then every request, then the handled requests of one kind; the interaction history of the
   household followed for years and of an ordinary one; the CSV export of the open requests. One warm-up
   (which also counts the SQL queries), then ``RUNS`` timed runs; median. The machine's load average is
   recorded too: on a shared machine the figures can double.
3. Report: a table on stderr and ``benchmarks/results/concierge-<engine>.json``. Target: < 500 ms for each
   page. A measurement, not a test.

Usage: ``.venv/bin/python benchmarks/bench_concierge.py [--engine sqlite|postgres]``
PostgreSQL uses ``postgres://postgres@127.0.0.1:5432/px_concierge_bench``, dropped and recreated at each run
(do not point it at a database you care about); its tables are ``ANALYZE``d after seeding, as autovacuum would.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from register import seed_register  # benchmarks/register.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
PG_NAME = "px_concierge_bench"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]

HOUSEHOLDS = 100_000
SITES = 2_000
INTERACTIONS = 200_000
HEAVY_CONTACTS = 1_000
REQUESTS = 20_000
STAFF = 10
SEED = 0
RUNS = 5
BATCH = 5_000
TARGET_MS = 500
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def code(number: int) -> str:
    """A distinct six-character code per request, in the confirmation codes' alphabet."""
    digits = []
    for _ in range(6):
        number, rest = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[rest])
    return "".join(digits)


def seed():
    from django.utils import timezone

    from proxima.accounts.models import Organisation, User
    from proxima.concierge import rules
    from proxima.concierge.enums import ReceivedVia, RequestKind, RequestStatus
    from proxima.concierge.models import ConciergeRequest, RequestLog
    from proxima.households.enums import InteractionChannel
    from proxima.households.models import Interaction

    rng = random.Random(SEED)
    org = Organisation.objects.create(slug="bench-conciergerie", name="Bailleur benchmark", kind="landlord")
    _, households = seed_register(org, rng, sites=SITES, households=HOUSEHOLDS, batch=BATCH)
    now = timezone.now()
    today = timezone.localdate()
    heavy, ordinary = households[0], households[1]
    channels = list(InteractionChannel.values)
    sources = ["enquête", "aller vers", "agence mobile", "conciergerie", "permanence", "activité"]

    def contact(household):
        return Interaction(
            organisation=org,
            household=household,
            occurred_at=now - dt.timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60)),
            channel=rng.choice(channels),
            source=rng.choice(sources),
            theme="aide aux démarches",
            outcome="demande traitée",
            note="Demande ABC234 : aide aux démarches",
        )

    contacts = [contact(heavy) for _ in range(HEAVY_CONTACTS)]
    contacts += [contact(ordinary), contact(ordinary)]
    contacts += [contact(rng.choice(households)) for _ in range(INTERACTIONS - len(contacts))]
    Interaction.objects.bulk_create(contacts, batch_size=BATCH)

    staff = [
        User.objects.create_user(
            f"staff{i}@bench.example", "x", organisation=org, role="staff", last_name=f"Agent {i}"
        )
        for i in range(STAFF)
    ]
    kinds = list(RequestKind.values)
    requests = []
    for i in range(REQUESTS):
        received = now - dt.timedelta(minutes=rng.randint(10, 2 * 365 * 24 * 60))
        kind = rng.choice(kinds)
        due_on = rules.default_due_on(kind, timezone.localdate(received))
        closed = rng.random() < 0.85
        if closed:
            status = RequestStatus.DONE if rng.random() < 0.94 else RequestStatus.CANCELLED
        else:
            status = rng.choice([RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.ON_HOLD])
            # Open requests are recent: most still to come, a third overdue.
            due_on = today + dt.timedelta(days=rng.randint(-20, -1) if rng.random() < 1 / 3 else rng.randint(0, 14))
            received = min(received, now - dt.timedelta(days=1))
        tenant = rng.random() < 1 / 3
        requests.append(
            ConciergeRequest(
                organisation=org,
                code=code(i),
                kind=kind,
                received_via=rng.choice(ReceivedVia.values),
                received_at=received,
                household=rng.choice(households) if tenant else None,
                name=f"Habitant {i}",
                phone="" if tenant else "0600000000",
                description="Demande de benchmark",
                status=status,
                assigned_to=rng.choice(staff) if status != RequestStatus.NEW or rng.random() < 0.5 else None,
                due_on=due_on,
                outcome="Fait" if status == RequestStatus.DONE else "",
                closed_at=received + dt.timedelta(days=rng.randint(0, 10)) if closed else None,
            )
        )
    requests = ConciergeRequest.objects.bulk_create(requests, batch_size=BATCH)
    logs = []
    for request in requests:
        logs.append(
            RequestLog(request=request, action="create", from_status="", to_status="new", at=request.received_at)
        )
        if request.status != RequestStatus.NEW:
            logs.append(
                RequestLog(
                    request=request, action="start", from_status="new", to_status="in_progress", at=request.received_at
                )
            )
        if request.closed_at:
            action = "complete" if request.status == RequestStatus.DONE else "cancel"
            logs.append(
                RequestLog(
                    request=request,
                    action=action,
                    from_status="in_progress",
                    to_status=request.status,
                    at=request.closed_at,
                )
            )
    RequestLog.objects.bulk_create(logs, batch_size=BATCH)
    return org, staff[0], heavy, ordinary


def timed(fn, runs=RUNS):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def measure(engine: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proxima.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from proxima.concierge.models import ConciergeRequest
    from proxima.households.models import Interaction
    from proxima.territory.reference import load_reference_data

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    load_reference_data()
    start = time.perf_counter()
    org, staff, heavy, ordinary = seed()
    log(f"seeded in {time.perf_counter() - start:.0f} s")
    if engine == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(staff)
    file_url = reverse("concierge:request_list")
    pages = {
        "file_open_requests": (file_url, {}),
        "file_filtered_kind_assignee_overdue": (
            file_url,
            {"kind": "paperwork", "assignee": str(staff.pk), "due": "overdue"},
        ),
        "file_every_request": (file_url, {"status": "all"}),
        "file_done_one_kind": (file_url, {"status": "done", "kind": "bread"}),
        "file_search_name": (file_url, {"status": "all", "q": "Habitant 1999"}),
        "history_followed_for_years": (reverse("concierge:household_history", args=[heavy.pk]), {}),
        "history_ordinary_household": (reverse("concierge:household_history", args=[ordinary.pk]), {}),
    }
    results = {
        "engine": engine,
        "households": HOUSEHOLDS,
        "interactions": Interaction.objects.filter(organisation=org).count(),
        "requests": ConciergeRequest.objects.for_organisation(org).count(),
        "open_requests": ConciergeRequest.objects.for_organisation(org).open().count(),
        "heavy_household_contacts": HEAVY_CONTACTS,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
        "pages_ms": {},
        "queries": {},
    }
    for name, (url, query) in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        assert response.status_code == 200, (name, response.status_code)
        results["queries"][name] = len(queries)
        results["pages_ms"][name] = timed(lambda u=url, q=query: client.get(u, q))

    def export():
        response = client.get(file_url, {"format": "csv"})
        return sum(1 for _ in response.streaming_content)

    results["csv_export_open_requests_ms"] = timed(export, runs=1)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    results["missed_target"] = sorted(name for name, ms in results["pages_ms"].items() if ms >= TARGET_MS)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    if args.engine == "postgres":
        subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {PG_NAME}"], check=True)
        subprocess.run([*PSQL, f"CREATE DATABASE {PG_NAME}"], check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
        results = measure("postgres")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            results = measure("sqlite")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"concierge-{args.engine}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    log(f"{'page (median of ' + str(RUNS) + ')':44} {'ms':>8} {'queries':>8}")
    for name, ms in results["pages_ms"].items():
        mark = "✗" if ms >= TARGET_MS else "✓"
        log(f"{name:44} {ms:8.1f} {results['queries'][name]:8d} {mark}")
    log(f"{'csv_export_open_requests':44} {results['csv_export_open_requests_ms']:8.1f}")
    log(f"target < {TARGET_MS} ms per page; load average {results['load_average_1min']}")
    if results["missed_target"]:
        log(f"missed: {', '.join(results['missed_target'])}")


if __name__ == "__main__":
    main()
