"""Benchmark of the needs analysis page of a large landlord: 100,000 households and 30,000 responses.

Method
------
1. Data, written with ``bulk_create`` into a fresh database (a temporary SQLite file by default):
   one landlord, ``SITES`` sites spread over the low-demand communes of Indre and Cher (real
   reference data), one building and ``HOUSEHOLDS / SITES`` occupied dwellings per site, one
   household per dwelling with 1 to 5 persons (lease holder born 1930-2004, a tenth in arrears),
   and one open survey targeting every site, with two questions measuring isolation and
   paperwork help. ``RESPONSES`` households, drawn at random (seed 0), have a response through
   a random channel, signalling each need with a probability that depends on the lease holder's
   age (older households answer more and are more often isolated: the raking has work to do).
2. Measurement: a staff user logged in with Django's test client GETs the analysis page
   (default breakdown: by commune), the same by site, the results export (CSV, every breakdown)
   and the whole-survey printable summary. One warm-up request (which also counts the SQL
   queries), then ``PAGE_RUNS`` timed requests; median and max. The loader, the response rates
   and the raking with its estimates are also timed on their own (median of the same number of
   runs), to show where the time goes.
3. Report: a table compared with the target (page < 500 ms, median), and
   ``benchmarks/results/needs-page-<engine>.json`` with every figure and the machine. The exit
   status is 0 even when the target is missed: this is a measurement, not a test.

Usage: ``.venv/bin/python benchmarks/bench_needs_page.py [--engine sqlite|postgres]``
PostgreSQL uses ``postgres://postgres@127.0.0.1:5432/proxima_bench_needs``, dropped and recreated
at each run (do not point it at a database you care about).
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
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
PG_NAME = "proxima_bench_needs"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c"]

HOUSEHOLDS = 100_000
RESPONSES = 30_000
SITES = 2_000
SEED = 0
TODAY = dt.date(2026, 11, 2)
TARGET_PAGE_MS = 500
PAGE_RUNS = 5
BATCH = 5_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proxima.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from proxima.territory.reference import load_reference_data

    call_command("migrate", verbosity=0)
    load_reference_data()


def seed() -> dict:
    """Write the landlord, its stock and households, the survey and its responses; return the counts."""
    from proxima.accounts.models import Organisation
    from proxima.households.enums import PersonRole
    from proxima.households.models import Household, Person
    from proxima.households.services import refresh_summaries
    from proxima.needs.enums import Channel, Need, QuestionKind, SurveyStatus
    from proxima.needs.models import Choice, Question, Response, Section, Survey, SurveyVersion

    rng = random.Random(SEED)
    organisation = Organisation.objects.create(slug="bench-besoins", name="Bailleur benchmark", kind="landlord")
    sites, households = seed_register(organisation, rng, sites=SITES, households=HOUSEHOLDS, batch=BATCH)
    per_site = HOUSEHOLDS // SITES
    birth_years = {h.pk: rng.randint(1930, 2004) for h in households}
    persons = []
    for h in households:
        persons.append(
            Person(household=h, first_name="A", last_name="B", birth_year=birth_years[h.pk], role=PersonRole.REFERENCE)
        )
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3, 4])):
            persons.append(Person(household=h, first_name="C", last_name="B", birth_year=2010, role=PersonRole.CHILD))
    Person.objects.bulk_create(persons, batch_size=BATCH)
    refresh_summaries(Household.objects.filter(organisation=organisation))  # as the households import does

    survey = Survey.objects.create(organisation=organisation, title="Enquête besoins 2026", status=SurveyStatus.OPEN)
    survey.sites.set(sites)
    version = SurveyVersion.objects.create(survey=survey, number=1, form_id="besoins_2026", source="banque")
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    section = Section.objects.create(version=version, position=1, name="besoins", title="Vos besoins")
    for position, (name, need) in enumerate([("seul", Need.ISOLATION), ("papiers", Need.PAPERWORK_HELP)], start=1):
        question = Question.objects.create(
            version=version,
            section=section,
            position=position,
            name=name,
            kind=QuestionKind.YES_NO,
            label=name,
            need=need,
        )
        Choice.objects.bulk_create(
            [
                Choice(question=question, position=1, value="oui", label="Oui", signals_need=True),
                Choice(question=question, position=2, value="non", label="Non"),
            ]
        )
    # Older lease holders answer more often and are more often isolated: unweighted shares are biased.
    weights = [1.0 + (TODAY.year - birth_years[h.pk] >= 60) for h in households]
    chosen = set()
    while len(chosen) < RESPONSES:
        chosen.update(rng.choices(range(len(households)), weights=weights, k=RESPONSES - len(chosen)))
    channels = [c.value for c in Channel]
    responses = []
    for index in sorted(chosen):
        h = households[index]
        age = TODAY.year - birth_years[h.pk]
        needs = []
        if rng.random() < (0.45 if age >= 75 else 0.15):
            needs.append(Need.ISOLATION.value)
        if rng.random() < 0.2:
            needs.append(Need.PAPERWORK_HELP.value)
        responses.append(
            Response(
                survey=survey,
                version=version,
                household=h,
                site_id=sites[index // per_site].pk,
                channel=rng.choice(channels),
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                collected_on=TODAY,
                needs=needs,
            )
        )
    Response.objects.bulk_create(responses, batch_size=BATCH)
    return {
        "organisation": organisation,
        "survey": survey,
        "counts": {
            "sites": len(sites),
            "communes": len({s.commune_id for s in sites}),
            "households": len(households),
            "persons": len(persons),
            "responses": len(responses),
        },
    }


def time_get(client, url: str) -> dict:
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    times, cpu = [], []
    for _ in range(PAGE_RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        again = client.get(url)
        if again.streaming:
            b"".join(again.streaming_content)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {
        "url": url,
        "status": response.status_code,
        "bytes": len(body),
        "queries": len(queries),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        # CPU time of this process (all its threads): less sensitive than wall time to a busy machine.
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def time_call(function) -> float:
    times = []
    for _ in range(PAGE_RUNS):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def worker(engine: str) -> None:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from proxima.accounts.services import create_user
    from proxima.needs import analysis

    log(f"[{engine}] seeding {HOUSEHOLDS:,} households and {RESPONSES:,} responses…")
    start = time.perf_counter()
    world = seed()
    seed_s = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    survey = world["survey"]
    user = create_user(organisation=world["organisation"], email="bench@bench.proxima.invalid", role="staff")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = reverse("needs:analysis", kwargs={"pk": survey.pk})
    summary_url = reverse("needs:analysis_summary", kwargs={"pk": survey.pk})

    log(f"[{engine}] timing…")
    data = analysis.load_survey_data(survey, on=TODAY)
    needs = analysis.analyse_needs(data, dimensions=["commune"])
    result = {
        "engine": engine,
        "database": f"{connection.display_name} {connection.get_database_version()}",
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "data": world["counts"],
        "seed_s": round(seed_s, 1),
        "weighting": {
            "territory": needs.weighting.territory,
            "iterations": needs.weighting.iterations,
            "converged": needs.weighting.converged,
        },
        "steps_ms": {
            "load_survey_data": time_call(lambda: analysis.load_survey_data(survey, on=TODAY)),
            "response_rates": time_call(lambda: analysis.response_rates(data)),
            "analyse_needs_by_commune": time_call(lambda: analysis.analyse_needs(data, dimensions=["commune"])),
            "analyse_needs_by_site": time_call(lambda: analysis.analyse_needs(data, dimensions=["site", "commune"])),
        },
        "pages": {
            "analysis": time_get(client, page),
            "analysis_by_site": time_get(client, page + "?decoupage=site&besoin=isolation"),
            "results_export_csv": time_get(client, page + "?format=csv"),
            "summary": time_get(client, summary_url),
        },
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"needs-page-{engine}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


# Orchestrator side: no Django here -------------------------------------------------------


def reset_postgres() -> str | None:
    if not shutil.which("pg_isready") or subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode:
        return "pg_isready -h 127.0.0.1 failed: no PostgreSQL server"
    for sql in (f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)", f"CREATE DATABASE {PG_NAME}"):
        done = subprocess.run([*PSQL, sql], capture_output=True, text=True)
        if done.returncode:
            return f"psql failed: {done.stderr.strip()}"
    return None


def measure(engine: str) -> bool | None:
    if engine == "postgres" and (why := reset_postgres()):
        log(f"PostgreSQL skipped: {why}.")
        return None
    var = Path(os.environ.get("PROXIMA_VAR_DIR") or ROOT / "var").resolve() / "bench"
    var.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"needs-{engine}-", dir=var) as tmp:
        (Path(tmp) / "static").mkdir()  # STATIC_ROOT, or WhiteNoise warns
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            PROXIMA_VAR_DIR=tmp,
            PROXIMA_ALLOWED_HOSTS="testserver",
            PROXIMA_DEBUG="0",  # DEBUG would keep every query in memory
            DJANGO_SETTINGS_MODULE="proxima.settings",
        )
        if engine == "postgres":
            env["DATABASE_URL"] = PG_URL
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--engine", engine]
        code = subprocess.run(command, env=env, cwd=ROOT).returncode
    if code:
        log(f"{engine}: the worker failed (exit status {code}).")
    return code == 0


def summary(engines: list[str]) -> None:
    header = [
        "engine",
        "page ms",
        "by site ms",
        "results CSV ms",
        "summary ms",
        "page CPU ms",
        "queries",
        "load",
        "rates",
        "raking",
    ]
    lines, misses = [], []
    for engine in engines:
        r = json.loads((RESULTS_DIR / f"needs-page-{engine}.json").read_text())
        pages, steps = r["pages"], r["steps_ms"]
        cells = []
        for name in ("analysis", "analysis_by_site", "results_export_csv", "summary"):
            p = pages[name]
            ok = p["status"] == 200 and (
                name not in ("analysis", "analysis_by_site") or p["median_ms"] < TARGET_PAGE_MS
            )
            if not ok:
                misses.append(f"{engine}: {name} = {p['median_ms']} ms (HTTP {p['status']})")
            cells.append(f"{p['median_ms']:.0f} (max {p['max_ms']:.0f}){'' if ok else ' ✗'}")
        lines.append(
            [
                engine,
                *cells,
                f"{pages['analysis']['cpu_median_ms']:.0f}",
                str(pages["analysis"]["queries"]),
                f"{steps['load_survey_data']:.0f}",
                f"{steps['response_rates']:.0f}",
                f"{steps['analyse_needs_by_commune']:.0f}",
            ]
        )
    data = json.loads((RESULTS_DIR / f"needs-page-{engines[0]}.json").read_text())
    counts, weighting = data["data"], data["weighting"]
    print(
        f"\nData: {counts['households']:,} households ({counts['persons']:,} persons) on {counts['sites']:,} sites "
        f"in {counts['communes']:,} communes, {counts['responses']:,} responses. Raked on "
        f"{weighting['territory']}s, {weighting['iterations']} iterations."
    )
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *lines]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"\nTarget: needs page < {TARGET_PAGE_MS} ms (median). Steps (load, rates, raking) in ms, median.")
    print(f"Load average during the run: {data['machine']['load_average']} on {data['machine']['cpus']} CPUs.")
    print("\n".join(["All targets met."] if not misses else ["Missed (✗):", *(f"  - {m}" for m in misses)]))
    print(f"Details: {RESULTS_DIR}/needs-page-<engine>.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], help="only this engine (default: both)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.engine)
        return
    outcomes = {e: measure(e) for e in ([args.engine] if args.engine else ["sqlite", "postgres"])}
    if measured := [e for e, ok in outcomes.items() if ok]:
        summary(measured)
    sys.exit(1 if False in outcomes.values() else 0)


if __name__ == "__main__":
    main()
