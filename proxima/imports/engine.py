"""Run an import: read, validate every row, write all or nothing.

The file is streamed in chunks. Each chunk is parsed, checked against the rows before
it and against the database, then written; everything happens inside one transaction
that is rolled back if any row was invalid (unless ``skip_invalid``) or on a dry run.
So a bad file changes nothing and importing the same file twice finds every row unchanged
the second time. Memory does not hold the file: only what the checks across rows need
(references seen, with their line), a few hundred bytes per household.
"""

import abc
import contextlib
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction
from proxima.core.memory import gc_paused
from proxima.imports.bulk import analyze
from proxima.imports.mapping import Mapping, load_mapping
from proxima.imports.reading import TableError, open_table
from proxima.imports.schema import Issue, Layout, bind_columns, parse_chunk

MAX_ISSUES_KEPT = 1000
CHUNK_SIZE = 5000


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class ImportReport:
    kind: str
    file: str
    dry_run: bool = False
    skip_invalid: bool = False
    rows_read: int = 0
    rows_invalid: int = 0
    issues: list[Issue] = field(default_factory=list)
    issues_total: int = 0
    counts: dict[str, Counts] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def rows_valid(self) -> int:
        return self.rows_read - self.rows_invalid

    @property
    def ok(self) -> bool:
        return self.issues_total == 0

    def add(self, issues: list[Issue]):
        self.issues_total += len(issues)
        room = MAX_ISSUES_KEPT - len(self.issues)
        if room > 0:
            self.issues.extend(issues[:room])

    def count(self, entity: str) -> Counts:
        return self.counts.setdefault(entity, Counts())

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "applied": self.applied,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_invalid": self.rows_invalid,
            "issues_total": self.issues_total,
            "issues": [i.as_dict() for i in self.issues],
            "counts": {k: vars(v) for k, v in self.counts.items()},
            "ignored_columns": self.ignored_columns,
        }


@dataclass
class Row:
    line: int
    data: dict


class Importer(abc.ABC):
    """One kind of import: its columns, its cross-row checks, and how it writes a chunk.

    Subclasses implement ``check`` (called row by row, in file order, may use state
    built from earlier rows), ``prepare`` (batched database lookups for a chunk, before
    ``check``) and ``write`` (compares the chunk with the database and, when ``apply``,
    writes it).
    """

    kind: str
    columns: list
    models: tuple = ()  # the models it writes, whose statistics are refreshed after the import

    def __init__(self, *, organisation, today: dt.date, file: str, layout: Layout):
        self.organisation = organisation
        self.today = today
        self.file = file
        self.where = {b.column.name: b.where for b in layout.bindings}

    def issue(self, row: Row, column: str, expected: str, problem: str = "", value=...) -> Issue:
        if value is ...:
            value = row.data.get(column)
            value = None if value is None else _shown(value)
        return Issue(self.file, row.line, self.where.get(column), value, expected, problem)

    def prepare(self, rows: list[Row]) -> None:  # noqa: B027 - optional hook
        """Batch the database lookups ``check`` needs for ``rows`` (optional)."""

    def check(self, row: Row) -> list[Issue]:
        return []

    @abc.abstractmethod
    def write(self, rows: list[Row], report: ImportReport, *, apply: bool) -> None: ...

    def finish(self, report: ImportReport, *, apply: bool) -> None:  # noqa: B027 - optional hook
        """Work that needs the whole file, after the last chunk (optional)."""


def _shown(value) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


class _Rollback(Exception):
    pass


def run_import(
    importer_class: type[Importer],
    path: str | Path,
    *,
    organisation,
    display_name: str | None = None,
    mapping_path: str | Path | None = None,
    mapping_name: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Import ``path`` for ``organisation``; return the report. Nothing is written unless it is valid."""
    display_name = display_name or Path(path).name
    report = ImportReport(kind=importer_class.kind, file=display_name, dry_run=dry_run, skip_invalid=skip_invalid)
    today = today or dt.date.today()

    mapping = Mapping()
    if mapping_path is not None:
        mapping, issues = load_mapping(mapping_path, importer_class.columns, display_name=mapping_name)
        if issues:
            report.add(issues)
            return report
    try:
        table = open_table(path, display_name=display_name)
    except TableError as error:
        report.add([Issue(error.file, error.line, None, None, error.expected, error.problem)])
        return report
    layout, issues = bind_columns(display_name, table.headers, importer_class.columns, mapping.renames)
    report.ignored_columns = layout.ignored
    if issues:
        report.add(issues)
        return report

    importer = importer_class(organisation=organisation, today=today, file=display_name, layout=layout)
    with gc_paused():
        _run(importer, table, layout, mapping, report, progress=progress, chunk_size=chunk_size)
    # When nothing was applied, the counts say what the import would have done.
    return report


def _run(importer: Importer, table, layout, mapping, report: ImportReport, *, progress, chunk_size: int):
    """Read, check and write every chunk in one transaction; roll it back unless the file is valid."""
    display_name, dry_run, total = report.file, report.dry_run, table.estimated_rows
    # A dry run writes nothing, so it takes no transaction: it must not hold SQLite's write lock
    # while a long file is checked.
    try:
        with contextlib.nullcontext() if dry_run else transaction.atomic():
            parsed = _parsed_chunks(table, layout, mapping, display_name, chunk_size)
            for chunk in parsed:
                _process_chunk(importer, chunk, report, dry_run=dry_run)
                if progress:
                    progress(report.rows_read, max(total, report.rows_read))
            if report.rows_read == 0 and report.ok:
                report.add([Issue(display_name, None, None, None, "au moins une ligne de données", "aucune ligne")])
            if dry_run or not (report.ok or report.skip_invalid):
                importer.finish(report, apply=False)
                raise _Rollback
            importer.finish(report, apply=True)
            if any(c.created or c.deleted for c in report.counts.values()):
                analyze(importer.models)  # the tables grew or shrank: refresh PostgreSQL's statistics
            report.applied = True
            audit.record(
                action=AuditAction.IMPORT,
                organisation_id=importer.organisation.pk,
                target_type=f"import.{importer.kind}",
                target_repr=display_name,
                details={
                    "rows_read": report.rows_read,
                    "rows_invalid": report.rows_invalid,
                    "counts": {k: vars(v) for k, v in report.counts.items()},
                },
            )
    except _Rollback:
        pass
    except TableError as error:  # a CSV broken half-way through
        report.applied = False
        report.add([Issue(error.file, error.line, None, None, error.expected, error.problem)])


def _parsed_chunks(table, layout, mapping, file: str, chunk_size: int):
    """Read and parse the file, ``chunk_size`` rows at a time: ``[(line, data, issues), ...]``."""
    rows = iter(table)
    while chunk := list(itertools.islice(rows, chunk_size)):
        yield parse_chunk(file, chunk, layout, mapping.value_maps)


def _process_chunk(importer: Importer, chunk, report: ImportReport, *, dry_run: bool):
    parsed = []
    for line, data, issues in chunk:
        report.rows_read += 1
        if issues:
            report.rows_invalid += 1
            report.add(issues)
        else:
            parsed.append(Row(line, data))
    importer.prepare(parsed)
    valid = []
    for row in parsed:
        issues = importer.check(row)
        if issues:
            report.rows_invalid += 1
            report.add(issues)
        else:
            valid.append(row)
    apply = not dry_run and (report.ok or report.skip_invalid)
    importer.write(valid, report, apply=apply)
