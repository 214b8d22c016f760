"""Fast bulk writes for imports: COPY on PostgreSQL, executemany on SQLite.

Django's ``bulk_create`` builds one SQL string per ~90 rows on SQLite (999 parameters
per statement) and spends most of an import's time doing so; these helpers send the
rows as they are. They fire no model signals (the import records one audit event).
"""

from django.db import connection


def _columns(model, fields):
    return [model._meta.get_field(f).column for f in fields]


def _reserve_ids(model, count: int) -> list[int]:
    """Ids for ``count`` new rows, taken as the database would (never reused, never shared)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the import's transaction holds the write lock, so no one else takes ids meanwhile;
        # sqlite_sequence is the largest id ever given (AUTOINCREMENT), and moves on by itself.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = (row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert_rows(model, fields: list[str], rows: list[tuple], *, return_ids: bool = False) -> list[int]:
    """INSERT ``rows`` (tuples in the order of ``fields``) into ``model``'s table.

    With ``return_ids``, the new rows' ids are reserved first and returned in the order of ``rows``.
    """
    if not rows:
        return []
    ids = []
    if return_ids:
        ids = _reserve_ids(model, len(rows))
        fields = [model._meta.pk.attname, *fields]
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(c) for c in _columns(model, fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Binary COPY: psycopg dumps each value by its column's type, without formatting text.
            types = [model._meta.get_field(f).db_type(connection).split("(")[0] for f in fields]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            # Django registers sqlite3 adapters for Decimal and date: the rows go as they are.
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
    return ids


def analyze(models) -> None:
    """Refresh PostgreSQL's statistics after a bulk load, so that lookups by reference use their index."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE ``model`` rows: each row is ``(id, *values in the order of fields)``."""
    if not rows:
        return
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c)} = %s" for c in _columns(model, fields))
    sql = f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {qn(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row[1:], row[0]) for row in rows])


def upsert_by_reference(model, organisation, wanted: dict[str, dict], counts, *, apply: bool):
    """Create or update ``model`` rows of ``organisation`` by their ``reference``.

    ``wanted`` maps a reference to the field values it should have. Rows that already have
    them are not written. Returns ``(ids, existing)``: the id of every wanted reference (None
    for one that would be created when ``apply`` is false) and the set of those that existed.
    """
    if not wanted:
        return {}, set()
    fields = list(next(iter(wanted.values())))
    current = {
        r["reference"]: r
        for r in model.objects.filter(organisation=organisation, reference__any_of=list(wanted))
        .order_by()
        .values("id", "reference", *fields)
    }
    ids, to_create, to_update = {}, [], []
    for reference, values in wanted.items():
        row = current.get(reference)
        if row is None:
            to_create.append(reference)
            continue
        ids[reference] = row["id"]
        if any(row[f] != v for f, v in values.items()):
            to_update.append((row["id"], *values.values()))
        else:
            counts.unchanged += 1
    counts.created += len(to_create)
    counts.updated += len(to_update)
    if not apply:
        ids.update((reference, None) for reference in to_create)
        return ids, set(current)
    new_ids = insert_rows(
        model,
        ["organisation_id", "reference", *fields],
        [(organisation.pk, reference, *wanted[reference].values()) for reference in to_create],
        return_ids=True,
    )
    ids.update(zip(to_create, new_ids, strict=True))
    update_rows(model, fields, to_update)
    return ids, set(current)
