"""Benchmark of the outreach list of a large landlord: 100,000 households.

Method
------
1. Data, written with ``bulk_create`` into a fresh database (a temporary SQLite file by default):
   one landlord, ``SITES`` sites on the low-demand communes of Indre and Cher (real reference
   data, so the distances to France services are real), ``HOUSEHOLDS / SITES`` households per
   site with 1 to 4 persons (lease holder born 1930-2004, a tenth in arrears, a car for 70 %,
   unknown for 10 %), one recorded contact for 60 % of them within the last two years, and a
   reference survey to which half the households are invited and 15 % answered (random needs).
   A field agent covers ``AGENT_SITES`` sites.
2. Measurement: the facts loader and the rules alone, then with Django's test client the list
   page of a staff member (whole organisation; one site), of the field agent, the round sheet of
   one site and the CSV export of the whole list. One warm-up, then ``RUNS`` timed runs; median.
   The machine's load average is recorded too: on a shared machine the figures can double.
3. Report: a table on stderr and ``benchmarks/results/outreach-<engine>.json``. A measurement, not a test.

Usage: ``.venv/bin/python benchmarks/bench_outreach.py [--engine sqlite|postgres]``
PostgreSQL uses ``postgres://postgres@127.0.0.1:5432/px_outreach_bench``, dropped and recreated at
each run (do not point it at a database you care about).
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
PG_NAME = "px_outreach_bench"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]

HOUSEHOLDS = 100_000
SITES = 2_000
AGENT_SITES = 20
SEED = 0
RUNS = 3
BATCH = 5_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed():
    from django.utils import timezone

    from proxima.accounts.models import Organisation, User
    from proxima.households.enums import PersonRole
    from proxima.households.models import Household, Interaction, Person
    from proxima.households.services import refresh_summaries
    from proxima.needs.enums import Channel, Need, SurveyStatus
    from proxima.needs.models import Invitation, OutreachSettings, Response, Survey, SurveyVersion

    rng = random.Random(SEED)
    org = Organisation.objects.create(slug="bench-aller-vers", name="Bailleur benchmark", kind="landlord")
    sites, households = seed_register(
        org,
        rng,
        sites=SITES,
        households=HOUSEHOLDS,
        batch=BATCH,
        household_fields=lambda rng: {
            "has_car": rng.choices([True, False, None], weights=[7, 2, 1])[0],
            "contact_channel": "phone",
        },
    )
    persons = []
    for h in households:
        persons.append(
            Person(
                household=h,
                first_name="A",
                last_name="B",
                birth_year=rng.randint(1930, 2004),
                role=PersonRole.REFERENCE,
                phone="0254000000",
            )
        )
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            persons.append(Person(household=h, first_name="C", last_name="B", birth_year=2010, role=PersonRole.CHILD))
    Person.objects.bulk_create(persons, batch_size=BATCH)
    refresh_summaries(Household.objects.filter(organisation=org))  # as the households import does
    now = timezone.now()
    Interaction.objects.bulk_create(
        (
            Interaction(
                organisation=org,
                household=h,
                occurred_at=now - dt.timedelta(days=rng.randint(1, 730)),
                channel="phone",
                source="accueil",
            )
            for h in households
            if rng.random() < 0.6
        ),
        batch_size=BATCH,
    )
    survey = Survey.objects.create(organisation=org, title="Enquête besoins", status=SurveyStatus.OPEN)
    version = SurveyVersion.objects.create(survey=survey, number=1, form_id="besoins", source="banque")
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    invited = [h for h in households if rng.random() < 0.5]
    Invitation.objects.bulk_create(
        (Invitation(survey=survey, household=h, code=f"{i:08d}") for i, h in enumerate(invited)), batch_size=BATCH
    )
    needs = [n.value for n in Need]
    Response.objects.bulk_create(
        (
            Response(
                survey=survey,
                version=version,
                household=h,
                channel=Channel.PAPER,
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                collected_on=dt.date(2026, 10, 1),
                needs=rng.sample(needs, rng.randint(0, 3)),
            )
            for h in invited[: int(HOUSEHOLDS * 0.15)]
        ),
        batch_size=BATCH,
    )
    OutreachSettings.objects.create(organisation=org, survey=survey)
    staff = User.objects.create_user("staff@bench.example", "x", organisation=org, role="staff")
    agent = User.objects.create_user("agent@bench.example", "x", organisation=org, role="field_agent")
    for site in sites[:AGENT_SITES]:
        site.agents.add(agent)
    return org, staff, agent, sites[0]


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
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from proxima.needs import outreach
    from proxima.needs import outreach_services as services
    from proxima.territory.reference import load_reference_data

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    load_reference_data()
    start = time.perf_counter()
    org, staff, agent, site = seed()
    log(f"seeded in {time.perf_counter() - start:.0f} s")
    today = timezone.localdate()
    facts = services.load_outreach_facts(organisation=org, user=staff, today=today)
    params = services.outreach_params(services.get_outreach_settings(org), today=today)
    flags = outreach.flag_households(facts, params)
    results = {
        "engine": engine,
        "households": len(facts),
        "flagged": len(flags),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
        "load_facts_ms": timed(lambda: services.load_outreach_facts(organisation=org, user=staff, today=today)),
        "flag_households_ms": timed(lambda: outreach.flag_households(facts, params)),
    }
    staff_client, agent_client = Client(), Client()
    staff_client.force_login(staff)
    agent_client.force_login(agent)
    url = reverse("needs:outreach_list")
    pages = {
        "list_staff_all_ms": (staff_client, url, {}),
        "list_staff_one_site_ms": (staff_client, url, {"site": site.pk}),
        "list_field_agent_ms": (agent_client, url, {}),
        "print_one_site_ms": (staff_client, reverse("needs:outreach_print"), {"site": site.pk}),
    }
    # The query counts are pinned by tests/needs/test_outreach_views.py; here only the time.
    for name, (client, target, query) in pages.items():
        assert client.get(target, query).status_code == 200
        results[name] = timed(lambda c=client, t=target, q=query: c.get(t, q))

    def export():
        response = staff_client.get(url, {"format": "csv"})
        return sum(1 for _ in response.streaming_content)

    results["csv_export_all_ms"] = timed(export, runs=1)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
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
    (RESULTS_DIR / f"outreach-{args.engine}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for key, value in results.items():
        log(f"{key:28} {value}")


if __name__ == "__main__":
    main()
