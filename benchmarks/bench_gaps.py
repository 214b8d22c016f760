"""Benchmark of needs versus offer for a large landlord: 100,000 households, 200,000 interactions.

Method
------
1. Data, written with ``bulk_create`` into a fresh database (a temporary SQLite file by default): one landlord,
   ``SITES`` sites on the low-demand communes of Indre and Cher (real reference data: communes, EPCIs, France
   services), ``HOUSEHOLDS / SITES`` households per site (lease holder born 1930-2004, one to five persons, a
   tenth in arrears, a car for 70 %, unknown for 10 %), ``INTERACTIONS`` contacts over two years, a survey with
   ``RESPONSES`` responses of the last year (zero to three random needs each), ``SERVICES`` running services of
   ``PARTNERS`` partners (one to three sites, a commune, two thirds with a capacity and opening hours, one in ten
   remote) and the partners' themes and communes.
2. Measurement: the households concerned (``load_signals``), all the inputs (``load_gap_inputs``), the pure rules
   by commune, site and EPCI, and "the gap computation" a page makes (inputs, then the rules by commune); then
   with Django's test client the page by commune and by site, its CSV export, and the households of the largest
   gap. One warm-up, then ``RUNS`` timed runs; median. Target: the gap computation < 500 ms. The machine's load
   average is recorded: on a shared machine the figures can double.
3. Report: a table on stderr and ``benchmarks/results/gaps-<engine>.json``. A measurement, not a test.

Usage: ``.venv/bin/python benchmarks/bench_gaps.py [--engine sqlite|postgres] [--runs 5]``
PostgreSQL uses ``postgres://postgres@127.0.0.1:5432/px_gaps_bench``, dropped and recreated at each run (do not
point it at a database you care about); its tables are ``ANALYZE``d after seeding, as autovacuum would.
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
import uuid
from pathlib import Path

from register import seed_register  # benchmarks/register.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
PG_NAME = "px_gaps_bench"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]

HOUSEHOLDS = 100_000
SITES = 2_000
INTERACTIONS = 200_000
RESPONSES = 30_000
PARTNERS = 30
SERVICES = 80
SEED = 0
RUNS = 5
BATCH = 5_000
TARGET_MS = 500


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed():
    from django.utils import timezone

    from proxima.accounts.models import Organisation, User
    from proxima.households.models import Interaction
    from proxima.needs.enums import Channel, Need, SurveyStatus
    from proxima.needs.models import Response, Survey, SurveyVersion
    from proxima.offer import gaps
    from proxima.offer.enums import OperatingMode, PartnerKind, ServiceStatus
    from proxima.offer.models import Partner, PartnerTheme, Service, ServiceHours, ServiceTheme

    rng = random.Random(SEED)
    org = Organisation.objects.create(slug="bench-besoins-offre", name="Bailleur benchmark", kind="landlord")

    def household_fields(rng):
        size = rng.choice([1, 1, 2, 2, 3, 4, 5])
        return {
            "has_car": rng.choices([True, False, None], weights=[7, 2, 1])[0],
            "size": size,
            "holder_birth_year": rng.randint(1930, 2004),
        }

    sites, households = seed_register(
        org, rng, sites=SITES, households=HOUSEHOLDS, batch=BATCH, household_fields=household_fields
    )
    now = timezone.now()
    Interaction.objects.bulk_create(
        (
            Interaction(
                organisation=org,
                household=households[rng.randrange(HOUSEHOLDS)],
                occurred_at=now - dt.timedelta(days=rng.randint(1, 730)),
                channel="phone",
                source="accueil",
            )
            for _ in range(INTERACTIONS)
        ),
        batch_size=BATCH,
    )
    survey = Survey.objects.create(organisation=org, title="Enquête besoins", status=SurveyStatus.OPEN)
    version = SurveyVersion.objects.create(survey=survey, number=1, form_id="besoins", source="banque")
    needs = [n.value for n in Need]
    today = timezone.localdate()
    Response.objects.bulk_create(
        (
            Response(
                survey=survey,
                version=version,
                household=h,
                channel=Channel.PAPER,
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                collected_on=today - dt.timedelta(days=rng.randint(1, 365)),
                needs=rng.sample(needs, rng.randint(0, 3)),
            )
            for h in rng.sample(households, RESPONSES)
        ),
        batch_size=BATCH,
    )
    themes = sorted(set().union(*gaps.NEED_THEMES.values()))
    communes = sorted({site.commune_id for site in sites})
    partners = Partner.objects.bulk_create(
        Partner(organisation=org, name=f"Partenaire {i:03d}", kind=PartnerKind.ASSOCIATION) for i in range(PARTNERS)
    )
    PartnerTheme.objects.bulk_create(
        PartnerTheme(partner=p, code=code) for p in partners for code in rng.sample(themes, rng.randint(1, 4))
    )
    Partner.communes.through.objects.bulk_create(
        Partner.communes.through(partner=p, commune_id=code)
        for p in partners
        for code in rng.sample(communes, rng.randint(1, 20))
    )
    services = Service.objects.bulk_create(
        Service(
            organisation=org,
            name=f"Service {i:03d}",
            description="Un service de démonstration pour le benchmark.",
            partner=rng.choice(partners),
            operating_mode=OperatingMode.FACILITATOR,
            status=ServiceStatus.ACTIVE,
            remote=rng.random() < 0.1,
            capacity=rng.randint(10, 200) if rng.random() < 0.67 else None,
        )
        for i in range(SERVICES)
    )
    ServiceTheme.objects.bulk_create(
        ServiceTheme(service=s, code=code) for s in services for code in rng.sample(themes, rng.randint(1, 3))
    )
    Service.sites.through.objects.bulk_create(
        Service.sites.through(service=s, site=site) for s in services for site in rng.sample(sites, rng.randint(1, 3))
    )
    Service.communes.through.objects.bulk_create(
        Service.communes.through(service=s, commune_id=rng.choice(communes)) for s in services
    )
    ServiceHours.objects.bulk_create(
        ServiceHours(service=s, weekday=day, opens=dt.time(9), closes=dt.time(12))
        for s in services
        if rng.random() < 0.67
        for day in rng.sample(range(5), rng.randint(1, 4))
    )
    staff = User.objects.create_user("staff@bench.example", "x", organisation=org, role="staff")
    return org, staff


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def measure(engine: str, runs: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proxima.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from proxima.offer import gap_services, gaps
    from proxima.territory.reference import load_reference_data

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    load_reference_data()
    start = time.perf_counter()
    org, staff = seed()
    log(f"seeded in {time.perf_counter() - start:.0f} s")
    if engine == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    today = timezone.localdate()
    params = gaps.GapParams()
    inputs = gap_services.load_gap_inputs(organisation=org, today=today, params=params)
    report, territories = gap_services.compute_organisation_gaps(inputs, level=gaps.COMMUNE, params=params)

    def computation():
        loaded = gap_services.load_gap_inputs(organisation=org, today=today, params=params)
        return gap_services.compute_organisation_gaps(loaded, level=gaps.COMMUNE, params=params)

    results = {
        "engine": engine,
        "households": HOUSEHOLDS,
        "interactions": INTERACTIONS,
        "responses": RESPONSES,
        "sites": len(inputs.sites),
        "services": len(inputs.services),
        "partners": len(inputs.partners),
        "households_concerned": len(gap_services.load_signals(organisation=org, today=today, params=params)),
        "communes": len(territories),
        "gaps_by_commune": len(report.gaps),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
        "load_signals_ms": timed(
            lambda: gap_services.load_signals(organisation=org, today=today, params=params), runs
        ),
        "load_inputs_ms": timed(
            lambda: gap_services.load_gap_inputs(organisation=org, today=today, params=params), runs
        ),
    }
    for level in gaps.LEVELS:
        results[f"rules_{level}_ms"] = timed(
            lambda level=level: gap_services.compute_organisation_gaps(inputs, level=level, params=params), runs
        )
    results["gap_computation_ms"] = timed(computation, runs)
    client = Client()
    client.force_login(staff)
    url = reverse("gaps:list")
    for name, query in (("page_commune_ms", {}), ("page_site_ms", {"level": "site"})):
        assert client.get(url, query).status_code == 200
        results[name] = timed(lambda query=query: client.get(url, query), runs)

    def export():
        response = client.get(url, {"format": "csv", "level": "site"})
        return sum(1 for _ in response.streaming_content)

    results["csv_export_site_ms"] = timed(export, max(1, runs // 2))
    largest = report.gaps[0]
    households_url = reverse("gaps:households", args=[gaps.COMMUNE, largest.territory.key, largest.need])
    assert client.get(households_url).status_code == 200
    results["largest_gap_households"] = largest.households
    results["households_list_ms"] = timed(lambda: client.get(households_url), runs)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    if args.engine == "postgres":
        subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {PG_NAME}"], check=True)
        subprocess.run([*PSQL, f"CREATE DATABASE {PG_NAME}"], check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
        results = measure("postgres", args.runs)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            results = measure("sqlite", args.runs)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"gaps-{args.engine}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for key, value in results.items():
        log(f"{key:28} {value}")
    ok = results["gap_computation_ms"] < TARGET_MS
    log(f"gap computation median {results['gap_computation_ms']} ms: {'✓' if ok else '✗'} target < {TARGET_MS} ms")


if __name__ == "__main__":
    main()
