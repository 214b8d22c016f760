"""Benchmark of the household import at scale, on SQLite and on PostgreSQL.

Method
------
1. Data: the demo generator (``proxima.demo.generate``) writes a stock file and a
   households file for about 100,000 households (one row per person, so ~170,000 rows),
   spread over 2,000 sites of the Indre and Cher low-demand communes. The number of
   dwellings is calibrated so that about ``TARGET_HOUSEHOLDS`` of them are occupied.
   The files live in ``$PROXIMA_VAR_DIR/bench/data`` (default ``var/bench/data``) and are
   reused while ``params.json`` matches the parameters below. Generation runs in its own
   subprocess so that its memory never counts against the import.
2. Measurement: each engine runs in a fresh worker process (``--worker --engine ...``),
   because the settings read ``DATABASE_URL`` at import time and because peak memory
   (``ru_maxrss``) is a per-process high-water mark. SQLite uses a new file in a temporary
   var dir; PostgreSQL uses the ``proxima_bench`` database, dropped and recreated each run.
   The worker migrates, loads the reference data and creates a landlord, then times:
   the stock import, the households import (wall time, rows/s, households/s, RSS before,
   peak RSS after), a second identical households import (everything unchanged), and the
   territory dashboard and the page of the largest site (one warm-up, then 5 GETs with
   Django's test client; median and max). On PostgreSQL the tables are ANALYZEd before
   the pages are timed, as autovacuum would do in production.
3. Report: a table compared with the targets (import >= 20,000 rows/s validation
   included, peak memory < 300 MB, dashboard < 300 ms), and one JSON file per engine in
   ``benchmarks/results/import-<engine>.json``. Missed targets are marked; the exit
   status stays 0 because this is a measurement, not a test.

``--profile`` runs cProfile on the SQLite households import instead and prints the top
functions by cumulative and by own time.

Usage: ``.venv/bin/python benchmarks/bench_import.py [--engine sqlite|postgres] [--profile]``
"""

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
PG_URL = "postgres://postgres@127.0.0.1:5432/proxima_bench"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c"]

TARGET_HOUSEHOLDS = 100_000
PARAMS = {
    "generator": 2,  # bump when proxima/demo/generate.py changes its output
    "target_households": TARGET_HOUSEHOLDS,
    "sites": 2000,
    "seed": 0,
    "reference_prefix": "BENCH",
    "today": "2026-11-01",
}
TARGET_ROWS_PER_S = 20_000
TARGET_PEAK_MB = 300
TARGET_PAGE_MS = 300
PAGE_RUNS = 5


def var_dir() -> Path:
    """The var dir the project's settings would use (without importing them)."""
    return Path(os.environ.get("PROXIMA_VAR_DIR") or ROOT / "var").resolve()


def data_dir() -> Path:
    # Workers run with a temporary PROXIMA_VAR_DIR: the orchestrator passes them the data dir.
    return Path(os.environ.get("PROXIMA_BENCH_DATA") or var_dir() / "bench" / "data")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Worker side: everything here runs after django.setup() ------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proxima.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from proxima.territory.reference import load_reference_data

    call_command("migrate", verbosity=0)
    load_reference_data()


def generate(directory: Path) -> None:
    """Write the data files, calibrating the number of dwellings on the occupied share."""
    from proxima.demo.generate import DemoParams, generate_stock, write_demo_files
    from proxima.demo.services import demo_communes

    communes = demo_communes()
    today = dt.date.fromisoformat(PARAMS["today"])

    def params(dwellings):
        return DemoParams(
            dwellings=dwellings, sites=PARAMS["sites"], today=today, reference_prefix=PARAMS["reference_prefix"]
        )

    guess = round(TARGET_HOUSEHOLDS / 0.89)
    occupied = sum(r["status"] == "occupied" for r in generate_stock(communes, params(guess), seed=PARAMS["seed"]))
    dwellings = round(guess * TARGET_HOUSEHOLDS / occupied)
    stock_path, households_path = write_demo_files(directory, communes, params(dwellings), seed=PARAMS["seed"])
    with open(households_path, encoding="utf-8", newline="") as f:
        leases = [row["lease_reference"] for row in csv.DictReader(f, delimiter=";")]
    with open(stock_path, encoding="utf-8") as f:
        stock_rows = sum(1 for _ in f) - 1
    counts = {
        "dwellings": stock_rows,
        "households": len(set(leases)),
        "person_rows": len(leases),
    }
    (directory / "params.json").write_text(json.dumps({"params": PARAMS, "counts": counts}, indent=2))


def rss_now_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed_import(importer_class, path: Path, organisation):
    from proxima.imports.engine import run_import

    start = time.perf_counter()
    report = run_import(importer_class, path, organisation=organisation, today=dt.date.fromisoformat(PARAMS["today"]))
    seconds = time.perf_counter() - start
    if not report.applied:
        sys.exit(f"{path.name}: import not applied, {report.issues_total} issue(s), first: {report.issues[:3]}")
    return report, seconds


def import_figures(report, seconds: float) -> dict:
    return {
        "rows": report.rows_read,
        "seconds": round(seconds, 3),
        "rows_per_s": round(report.rows_read / seconds),
        "counts": {k: vars(v) for k, v in report.counts.items()},
    }


def time_page(client, name: str, kwargs: dict | None = None) -> dict:
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return {"url": None, "available": False}
    queries = []  # not CaptureQueriesContext: each request resets the query log it reads

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(count):
            response = client.get(url)  # warm-up, and the number of queries of one request
    except Exception as error:  # a page under construction must not lose the import figures
        log(f"{name}: the page failed: {type(error).__name__}: {error}")
        return {"url": url, "available": False, "error": f"{type(error).__name__}: {error}"}
    times = []
    for _ in range(PAGE_RUNS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "url": url,
        "available": True,
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": len(queries),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
    }


def worker(engine: str, profile: bool) -> None:
    setup_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from proxima.accounts.models import Organisation
    from proxima.accounts.services import create_user
    from proxima.imports.households import HouseholdImporter
    from proxima.imports.stock import StockImporter
    from proxima.territory.models import Site

    stock_path, households_path = data_dir() / "stock.csv", data_dir() / "households.csv"
    organisation = Organisation.objects.create(slug="bench", name="Bailleur benchmark", kind="landlord")

    log(f"[{engine}] stock import…")
    stock, stock_s = timed_import(StockImporter, stock_path, organisation)

    if profile:
        import cProfile
        import pstats

        log(f"[{engine}] households import under cProfile…")
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.runcall(timed_import, HouseholdImporter, households_path, organisation)
        log(f"households import under the profiler: {time.perf_counter() - start:.1f} s")
        stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
        print("\n=== Top 25 by cumulative time ===")
        stats.sort_stats("cumulative").print_stats(25)
        print("=== Top 15 by own time ===")
        stats.sort_stats("tottime").print_stats(15)
        return

    rss_before, peak_before = rss_now_mb(), peak_rss_mb()
    log(f"[{engine}] households import…")
    households, households_s = timed_import(HouseholdImporter, households_path, organisation)
    peak_after = peak_rss_mb()
    log(f"[{engine}] households re-import…")
    again, again_s = timed_import(HouseholdImporter, households_path, organisation)
    changed = sum(c.created + c.updated + c.deleted for c in again.counts.values())

    log(f"[{engine}] pages…")
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute of such an import in production (it may be off here):
        # without statistics the planner picks much worse plans for the dashboard's aggregates.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = create_user(organisation=organisation, email="bench@bench.proxima.invalid", role="staff")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    site = Site.objects.filter(organisation=organisation).annotate(n=Count("buildings__dwellings"))
    site = site.order_by("-n", "pk").first()

    created = households.counts["households"].created
    result = {
        "engine": engine,
        "database": f"{connection.display_name} {connection.get_database_version()}",
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "data": json.loads((data_dir() / "params.json").read_text()),
        "stock": import_figures(stock, stock_s),
        "households": {
            **import_figures(households, households_s),
            "households": created,
            "households_per_s": round(created / households_s),
            "rss_before_mb": rss_before and round(rss_before, 1),
            "peak_before_mb": round(peak_before, 1),
            "peak_after_mb": round(peak_after, 1),
        },
        "reimport": {**import_figures(again, again_s), "all_unchanged": changed == 0},
        "pages": {
            "dashboard": time_page(client, "territory:dashboard"),
            "site_detail": time_page(client, "territory:site_detail", {"pk": site.pk}) | {"dwellings": site.n},
        },
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"import-{engine}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


# Orchestrator side: no Django here -------------------------------------------------------


def run_worker(engine: str, args: list[str], env: dict) -> int:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--engine", engine, *args]
    return subprocess.run(command, env=env, cwd=ROOT).returncode


def worker_env(engine: str, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PROXIMA_VAR_DIR=str(tmp),
        PROXIMA_BENCH_DATA=str(data_dir()),
        PROXIMA_ALLOWED_HOSTS="testserver",
        PROXIMA_DEBUG="0",  # DEBUG would keep every query in memory
        DJANGO_SETTINGS_MODULE="proxima.settings",
    )
    if engine == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


def ensure_data() -> None:
    directory = data_dir()
    meta = directory / "params.json"
    if meta.exists() and json.loads(meta.read_text())["params"] == PARAMS:
        log(f"Reusing the data files in {directory}.")
        return
    log(f"Generating the data files in {directory} (once)…")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=directory.parent) as tmp:
        command = [sys.executable, str(Path(__file__).resolve()), "--generate"]
        if subprocess.run(command, env=worker_env("sqlite", Path(tmp)), cwd=ROOT).returncode:
            sys.exit("Generation failed.")


def reset_postgres() -> str | None:
    """Drop and recreate the benchmark database; return why PostgreSQL is skipped, if it is."""
    if not shutil.which("pg_isready") or subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode:
        return "pg_isready -h 127.0.0.1 failed: no PostgreSQL server"
    for sql in ("DROP DATABASE IF EXISTS proxima_bench WITH (FORCE)", "CREATE DATABASE proxima_bench"):
        done = subprocess.run([*PSQL, sql], capture_output=True, text=True)
        if done.returncode:
            return f"psql failed: {done.stderr.strip()}"
    return None


def measure(engine: str, extra: list[str]) -> bool | None:
    """Run one engine's worker: True if it succeeded, False if it failed, None if skipped."""
    if engine == "postgres" and (why := reset_postgres()):
        log(f"PostgreSQL skipped: {why}.")
        return None
    (var_dir() / "bench").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"run-{engine}-", dir=var_dir() / "bench") as tmp:
        (Path(tmp) / "static").mkdir()  # STATIC_ROOT, or WhiteNoise warns
        code = run_worker(engine, extra, worker_env(engine, Path(tmp)))
    if code:
        log(f"{engine}: the worker failed (exit status {code}).")
    return code == 0


def mark(value, ok: bool) -> str:
    return f"{value}{'' if ok else ' ✗'}"


def summary(engines: list[str]) -> None:
    header = [
        "engine",
        "stock rows/s",
        "hh rows/s",
        "households/s",
        "re-import rows/s",
        "peak MB (RSS before)",
        "dashboard ms",
        "site ms",
    ]
    lines, misses = [], []
    for engine in engines:
        r = json.loads((RESULTS_DIR / f"import-{engine}.json").read_text())
        h, pages = r["households"], r["pages"]
        checks = {
            "stock import": (r["stock"]["rows_per_s"], r["stock"]["rows_per_s"] >= TARGET_ROWS_PER_S),
            "households import": (h["rows_per_s"], h["rows_per_s"] >= TARGET_ROWS_PER_S),
            "households re-import": (r["reimport"]["rows_per_s"], r["reimport"]["rows_per_s"] >= TARGET_ROWS_PER_S),
            "peak memory": (h["peak_after_mb"], h["peak_after_mb"] < TARGET_PEAK_MB),
        }
        page_cells = []
        for name in ("dashboard", "site_detail"):
            page = pages[name]
            if not page["available"]:
                page_cells.append("not available yet")
                continue
            ok = page["status"] == 200 and (name != "dashboard" or page["median_ms"] < TARGET_PAGE_MS)
            checks[name] = (f"{page['median_ms']} (HTTP {page['status']})", ok)
            page_cells.append(mark(f"{page['median_ms']:.0f} (max {page['max_ms']:.0f})", ok))
        misses += [f"{engine}: {what} = {value}" for what, (value, ok) in checks.items() if not ok]
        if not r["reimport"]["all_unchanged"]:
            misses.append(f"{engine}: the re-import changed rows: {r['reimport']['counts']}")
        lines.append(
            [
                engine,
                *(mark(f"{checks[k][0]:,}", checks[k][1]) for k in ("stock import", "households import")),
                f"{h['households_per_s']:,}",
                mark(f"{checks['households re-import'][0]:,}", checks["households re-import"][1]),
                mark(f"{h['peak_after_mb']:.0f} ({h['rss_before_mb']:.0f})", checks["peak memory"][1]),
                *page_cells,
            ]
        )
    data = json.loads((RESULTS_DIR / f"import-{engines[0]}.json").read_text())["data"]["counts"]
    print(
        f"\nData: {data['dwellings']:,} dwellings, {data['households']:,} households, "
        f"{data['person_rows']:,} household rows (persons)."
    )
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *lines]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(
        f"\nTargets: import >= {TARGET_ROWS_PER_S:,} rows/s, peak memory < {TARGET_PEAK_MB} MB, "
        f"dashboard < {TARGET_PAGE_MS} ms (median)."
    )
    print("\n".join(["All targets met."] if not misses else ["Missed (✗):", *(f"  - {m}" for m in misses)]))
    print(f"Details: {RESULTS_DIR}/import-<engine>.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], help="only this engine (default: both)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the households import (SQLite unless --engine)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate:
        setup_django()
        generate(data_dir())
        return
    if args.worker:
        worker(args.engine, args.profile)
        return

    ensure_data()
    if args.profile:
        sys.exit(0 if measure(args.engine or "sqlite", ["--profile"]) else 1)
    outcomes = {e: measure(e, []) for e in ([args.engine] if args.engine else ["sqlite", "postgres"])}
    if measured := [e for e, ok in outcomes.items() if ok]:
        summary(measured)
    # Missed targets are results, not errors; a worker that crashed is an error.
    sys.exit(1 if False in outcomes.values() else 0)


if __name__ == "__main__":
    main()
