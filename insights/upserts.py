"""One INSERT … ON CONFLICT for many rows, into the daily aggregates (PostgreSQL and SQLite both speak it)."""

from django.db import connection, transaction

UPSERT_BATCH = 500  # rows per INSERT … VALUES statement (within SQLite's parameter limit)
COPY_ROWS = 200  # from this many rows on, PostgreSQL gets them by COPY


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name.removesuffix("_id")).column for name in names]


def _upsert(model, keys: tuple[str, ...], *, add: tuple[str, ...] = (), biggest: tuple[str, ...] = (), rows) -> None:
    """Insert rows (key values, then `add` values, then `biggest` values); on a clash add the
    `add` columns to the stored ones and keep the larger of the `biggest`."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    key_cols, add_cols, max_cols = _columns(model, keys), _columns(model, add), _columns(model, biggest)
    all_cols = key_cols + add_cols + max_cols
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    updates = [f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in add_cols]
    updates += [f"{qn(c)} = {greatest}({table}.{qn(c)}, EXCLUDED.{qn(c)})" for c in max_cols]
    rows = list(rows)
    conflict = f" ON CONFLICT ({', '.join(qn(c) for c in key_cols)}) DO UPDATE SET {', '.join(updates)}"
    columns = ", ".join(qn(c) for c in all_cols)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_ROWS:
            _upsert_by_copy(cursor, table, columns, rows, conflict)
            return
        # Table and column names come from our models; values are parameters.
        row_sql = f"({', '.join(['%s'] * len(all_cols))})"
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = rows[start : start + UPSERT_BATCH]
            sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_sql] * len(batch)) + conflict  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])


def _upsert_by_copy(cursor, table: str, columns: str, rows: list[tuple], conflict: str) -> None:
    """Many rows on PostgreSQL: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT."""
    with transaction.atomic():
        cursor.execute(f"CREATE TEMPORARY TABLE insights_incoming AS SELECT {columns} FROM {table} WITH NO DATA")  # noqa: S608
        with cursor.cursor.copy(f"COPY insights_incoming ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM insights_incoming WHERE true" + conflict)  # noqa: S608
        cursor.execute("DROP TABLE insights_incoming")


def _insert_new(model, names: tuple[str, ...], values: tuple) -> bool:
    """Insert one row unless it exists; whether it was new."""
    qn = connection.ops.quote_name
    cols = _columns(model, names)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(cols))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1
