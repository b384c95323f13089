"""The seeder through `Engine.seed` on all three databases: what it can fill, and what it
reports when a table refuses every row."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from pytest_mrt import _core


def _create(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    # The server drivers format parameters with %: a literal % is written %%.
    percent = "%" if url.startswith("sqlite") else "%%"
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql.replace("%", percent))
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


_COMMON = """
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email VARCHAR(80) NOT NULL,
  status VARCHAR(10) NOT NULL,
  age INTEGER NOT NULL,
  code VARCHAR(6) NOT NULL,
  nickname VARCHAR(30),
  start_at {ts} NOT NULL,
  end_at {ts} NOT NULL,
  {extra}
  CONSTRAINT ck_users_email CHECK (email LIKE '%@%'),
  CONSTRAINT ck_users_status CHECK (status IN ('active', 'banned')),
  CONSTRAINT ck_users_age CHECK (age BETWEEN 18 AND 130),
  CONSTRAINT ck_users_code CHECK (upper(code) = code AND {len}(code) >= 4),
  CONSTRAINT ck_users_nick CHECK ({len}(nickname) > 12),
  CONSTRAINT ck_users_period CHECK (start_at < end_at)
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  parent_id INTEGER REFERENCES posts (id),
  title VARCHAR(50) NOT NULL,
  score NUMERIC(6, 2),
  published BOOLEAN,
  CONSTRAINT ck_posts_score CHECK (score >= 0)
)
"""

_EXTRA = {
    "sqlite": (
        [],
        "flag BOOLEAN NOT NULL CHECK (flag IN (0, 1)), "
        "tag TEXT NOT NULL CHECK (tag GLOB '[A-Z][a-z]*'), "
        "doc TEXT NOT NULL CHECK (json_valid(doc) AND json_type(doc) = 'object'),",
    ),
    "postgresql": (
        [
            "CREATE DOMAIN slug AS text CHECK (VALUE ~ '^[a-z0-9-]+$')",
            "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        ],
        "handle slug NOT NULL, mood mood NOT NULL, "
        "tags text[] NOT NULL CHECK (array_length(tags, 1) > 0), "
        "ids integer[] NOT NULL CHECK (cardinality(ids) >= 2), "
        "prefs jsonb NOT NULL CHECK (jsonb_typeof(prefs) = 'object'), "
        "ref VARCHAR(12) NOT NULL CHECK (ref ~* '^ref-[0-9]{3}$'), "
        "kind TEXT NOT NULL CHECK (kind SIMILAR TO '(alpha|beta)%'), "
        "name TEXT NOT NULL CHECK (name ILIKE 'n%'), "
        "addr inet NOT NULL, during tstzrange NOT NULL, wait interval NOT NULL, "
        "blob bytea NOT NULL, at timestamptz NOT NULL,",
    ),
    "mariadb": (
        [],
        "plan ENUM('free', 'pro') NOT NULL, perms SET('read', 'write') NOT NULL, "
        "doc JSON NOT NULL CHECK (json_type(doc) = 'OBJECT'), "
        "zip VARCHAR(5) NOT NULL CHECK (zip REGEXP '^[0-9]{5}$'), "
        "sku VARCHAR(10) NOT NULL CHECK (sku RLIKE '^S-[0-9]+$'),",
    ),
}


def _dialect(url: str) -> str:
    return "mariadb" if url.startswith("mysql") else url.split(":", 1)[0].split("+")[0]


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def test_a_check_heavy_schema_is_filled_with_values_that_expose_loss(db_url: str) -> None:
    dialect = _dialect(db_url)
    before, extra = _EXTRA[dialect]
    length = "length" if dialect == "sqlite" else "char_length"
    _create(
        db_url,
        *before,
        *_COMMON.format(
            len=length, extra=extra, ts="DATETIME(6)" if dialect == "mariadb" else "TIMESTAMP"
        ).split(";"),
    )
    engine = _core.Engine(db_url)
    schema = engine.snapshot()
    outcome = engine.seed(schema, schema.tables, 3, 1)
    engine.close()
    assert outcome.unseeded == [] and outcome.warnings == []
    assert _count(db_url, "users") == 3 and _count(db_url, "posts") == 3
    titles = [t for (t,) in _rows(db_url, "SELECT title FROM posts")]
    # Mixed case, non-ASCII, longer than 10 characters: an UPDATE that lower-cases, strips
    # accents or cuts the text changes every row.
    assert all(
        isinstance(t, str) and t.lower() != t and not t.isascii() and len(t) > 10 for t in titles
    ), titles
    # Nullable columns: filled in some rows, NULL in another; booleans take both values.
    for column in ("nickname", "score", "published", "parent_id"):
        table = "users" if column == "nickname" else "posts"
        values = [v for (v,) in _rows(db_url, f"SELECT {column} FROM {table}")]
        assert None in values and any(v is not None for v in values), (column, values)
    published = {v for (v,) in _rows(db_url, "SELECT published FROM posts") if v is not None}
    assert published == {True, False}
    scores = [str(v) for (v,) in _rows(db_url, "SELECT score FROM posts") if v is not None]
    assert all(s.split(".")[1][-1] != "0" for s in scores), scores
    # A self-reference points at another row.
    linked = _rows(db_url, "SELECT COUNT(*) FROM posts WHERE parent_id IS NOT NULL")
    assert linked == [(2,)]


def _seed(url: str, rows: int) -> _core.SeedOutcome:
    engine = _core.Engine(url)
    schema = engine.snapshot()
    outcome = engine.seed(schema, schema.tables, rows, 1)
    engine.close()
    return outcome


def test_a_check_that_two_references_differ_gets_distinct_parent_rows(db_url: str) -> None:
    # Both references point at `block`, and each CHECK forbids the same row for both: the
    # seeder must pick two different parent rows (prefect's block_document_reference). Text
    # keys, as prefect's UUIDs: no arithmetic turns one key into another that exists.
    _create(
        db_url,
        "CREATE TABLE block (id VARCHAR(40) PRIMARY KEY, name VARCHAR(40))",
        *(
            f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, "
            "parent_id VARCHAR(40) NOT NULL REFERENCES block (id), "
            "ref_id VARCHAR(40) NOT NULL REFERENCES block (id), "
            f"CONSTRAINT ck_{name} CHECK ({check}))"
            for name, check in [
                ("ref_ne", "parent_id <> ref_id"),
                ("ref_bang", "parent_id != ref_id"),
                ("ref_not", "NOT (parent_id = ref_id)"),
            ]
        ),
    )
    outcome = _seed(db_url, 3)
    assert outcome.unseeded == [] and outcome.warnings == []
    for name in ("ref_ne", "ref_bang", "ref_not"):
        assert _count(db_url, name) == 3
        rows = _rows(db_url, f"SELECT COUNT(*) FROM {name} WHERE parent_id <> ref_id")
        assert rows == [(3,)], name


def test_distinct_parent_rows_with_one_seed_row_seed_two_parents(db_url: str) -> None:
    _create(
        db_url,
        "CREATE TABLE block (id VARCHAR(40) PRIMARY KEY, name VARCHAR(40))",
        "CREATE TABLE ref (id INTEGER PRIMARY KEY, "
        "parent_id VARCHAR(40) NOT NULL REFERENCES block (id), "
        "ref_id VARCHAR(40) NOT NULL REFERENCES block (id), "
        "CONSTRAINT ck_ref CHECK (parent_id <> ref_id))",
    )
    outcome = _seed(db_url, 1)
    assert outcome.unseeded == [] and outcome.warnings == []
    assert _count(db_url, "block") == 2 and _count(db_url, "ref") == 1


def test_a_foreign_key_cycle_is_broken_at_the_nullable_reference(db_url: str) -> None:
    # run.state_id (nullable) -> run_state, run_state.run_id (NOT NULL) -> run, as prefect's
    # flow_run / flow_run_state. By name `run` comes first, yet `run_state` cannot go in
    # before it: `run` goes in with state_id NULL and is pointed at a state afterwards.
    # SQLite resolves a reference when a row is written, so it may name a later table; the
    # servers add the closing reference once both tables exist.
    sqlite = db_url.startswith("sqlite")
    ref = " REFERENCES run_state (id)" if sqlite else ""
    close = "ALTER TABLE run ADD CONSTRAINT fk_run_state FOREIGN KEY (state_id) REFERENCES "
    _create(
        db_url,
        "CREATE TABLE run (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, "
        f"state_id INTEGER{ref})",
        "CREATE TABLE run_state (id INTEGER PRIMARY KEY, "
        "run_id INTEGER NOT NULL REFERENCES run (id), name VARCHAR(40) NOT NULL)",
        *([] if sqlite else [close + "run_state (id)"]),
    )
    outcome = _seed(db_url, 3)
    assert outcome.unseeded == [] and outcome.warnings == []
    assert _count(db_url, "run") == 3 and _count(db_url, "run_state") == 3
    # Every state belongs to a run; the runs but the NULL row point at a state.
    joined = "SELECT COUNT(*) FROM run r JOIN run_state s ON r.state_id = s.id"
    assert _rows(db_url, joined) == [(2,)]
    assert _rows(db_url, "SELECT COUNT(*) FROM run WHERE state_id IS NULL") == [(1,)]


def test_a_later_round_finds_parent_rows_its_unique_references_have_not_used(
    db_url: str,
) -> None:
    # check_all() seeds again before each revision, on top of the rows already there. A
    # reference that must be unique (a UNIQUE foreign key, a primary key made of foreign keys)
    # needs parent rows the earlier rounds have not used yet (airflow's dag_code,
    # task_map; mlflow's guardrail_configs).
    _create(
        db_url,
        "CREATE TABLE version (id VARCHAR(40) PRIMARY KEY, name VARCHAR(40))",
        "CREATE TABLE endpoint (id VARCHAR(40) PRIMARY KEY, name VARCHAR(40))",
        "CREATE TABLE code (id INTEGER PRIMARY KEY, "
        "version_id VARCHAR(40) NOT NULL UNIQUE REFERENCES version (id))",
        "CREATE TABLE config (version_id VARCHAR(40) NOT NULL REFERENCES version (id), "
        "endpoint_id VARCHAR(40) NOT NULL REFERENCES endpoint (id), note VARCHAR(40), "
        "PRIMARY KEY (version_id, endpoint_id))",
    )
    engine = _core.Engine(db_url)
    schema = engine.snapshot()
    for salt in (1, 2, 3):
        outcome = engine.seed(schema, schema.tables, 3, salt)
        assert outcome.unseeded == [] and outcome.warnings == [], salt
    engine.close()
    assert _count(db_url, "code") == 9 and _count(db_url, "config") == 9


def test_generated_uuids_differ_between_tables(db_url: str) -> None:
    # Real UUIDs never repeat across tables: a data migration that copies rows from one
    # table into another keyed by UUID (prefect 9e83011d1f2a, concurrency_limit into
    # concurrency_limit_v2) must not fail on a collision only the seeder made.
    _create(
        db_url,
        "CREATE TABLE limit_v1 (id UUID PRIMARY KEY, other UUID, name VARCHAR(20))",
        "CREATE TABLE limit_v2 (id UUID PRIMARY KEY, other UUID, name VARCHAR(20))",
    )
    outcome = _seed(db_url, 3)
    assert outcome.unseeded == [] and outcome.warnings == []
    ids = _rows(
        db_url,
        "SELECT id FROM limit_v1 UNION ALL SELECT id FROM limit_v2 "
        "UNION ALL SELECT other FROM limit_v1 UNION ALL SELECT other FROM limit_v2",
    )
    values = [str(v) for (v,) in ids if v is not None]
    assert len(values) == 10 and len(set(values)) == 10, values


def test_char_36_and_char_32_keys_hold_uuids_that_differ_between_tables(db_url: str) -> None:
    # Where there is no UUID type, CHAR(36) holds UUIDs (prefect on SQLite): a data migration
    # copying ids from concurrency_limit into concurrency_limit_v2 (9e83011d1f2a) must not
    # fail on a collision only the seeder made.
    _create(
        db_url,
        "CREATE TABLE limit_v1 (id CHAR(36) PRIMARY KEY, name VARCHAR(20))",
        "CREATE TABLE limit_v2 (id CHAR(36) PRIMARY KEY, name VARCHAR(20))",
        # SQLAlchemy's Uuid where there is no UUID type: 32 hex digits (airflow's deadline.id,
        # read back through sa.Uuid by e812941398f4).
        "CREATE TABLE deadline (id CHAR(32) PRIMARY KEY, name VARCHAR(20))",
    )
    outcome = _seed(db_url, 3)
    assert outcome.unseeded == [] and outcome.warnings == []
    ids = [
        str(v)
        for (v,) in _rows(db_url, "SELECT id FROM limit_v1 UNION ALL SELECT id FROM limit_v2")
    ]
    assert len(ids) == 6 and len(set(ids)) == 6, ids
    assert all(str(uuid.UUID(i)) == i for i in ids), ids
    hex_ids = [str(v) for (v,) in _rows(db_url, "SELECT id FROM deadline")]
    assert len(set(hex_ids)) == 3 and all(uuid.UUID(h).hex == h for h in hex_ids), hex_ids


def test_a_uuid_column_named_after_a_table_names_its_rows(db_url: str) -> None:
    # flow_run_input.flow_run_id has no foreign key yet; prefect 7c453555d3a5 adds it. The
    # seeded values must name flow_run rows, as the application writes them, or the upgrade
    # fails on orphans only the seeder made.
    _create(
        db_url,
        "CREATE TABLE flow_run (id UUID PRIMARY KEY, name VARCHAR(20))",
        "CREATE TABLE flow_run_input (id UUID PRIMARY KEY, flow_run_id UUID NOT NULL)",
    )
    outcome = _seed(db_url, 3)
    assert outcome.unseeded == [] and outcome.warnings == []
    joined = "SELECT COUNT(*) FROM flow_run_input i JOIN flow_run r ON i.flow_run_id = r.id"
    assert _rows(db_url, joined) == [(3,)]
    ids = _rows(db_url, "SELECT id FROM flow_run UNION SELECT id FROM flow_run_input")
    assert len(ids) == 6
