"""The seeder through `Engine.seed` on all three databases: what it can fill, and what it
reports when a table refuses every row."""

from __future__ import annotations

import sqlalchemy as sa
from pytest_mrt import _core


def _create(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    engine.dispose()


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()
    engine.dispose()
    return int(n)


def test_a_table_that_refuses_every_row_is_unseeded_with_its_constraint(db_url: str) -> None:
    _create(
        db_url,
        "CREATE TABLE never (id INTEGER PRIMARY KEY, x INTEGER NOT NULL, "
        "CONSTRAINT ck_never CHECK (x <> x))",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, never_id INTEGER NOT NULL, "
        "FOREIGN KEY (never_id) REFERENCES never (id))",
        "CREATE TABLE fine (id INTEGER PRIMARY KEY, name VARCHAR(40))",
    )
    engine = _core.Engine(db_url)
    schema = engine.snapshot()
    outcome = engine.seed(schema, schema.tables, 3, 1)
    engine.close()
    unseeded = {u.table: u for u in outcome.unseeded}
    assert sorted(unseeded) == ["child", "never"]
    never = unseeded["never"]
    # SQLite names an unnamed constraint by its expression; all three name this one.
    assert never.constraint == "ck_never"
    assert never.reason.startswith("0/3 rows inserted: ") and "\n" not in never.reason
    assert never.snippet.startswith('custom_seeds={"never": lambda: [{')
    assert '"x": ' in never.snippet
    assert unseeded["child"].reason == (
        "0/3 rows inserted: it needs rows in 'never', which could not be seeded"
    )
    assert '"never_id": ' in unseeded["child"].snippet
    assert any(w.startswith("Table 'never' could not be seeded: ") for w in outcome.warnings)
    assert _count(db_url, "fine") == 3 and _count(db_url, "never") == 0
