"""Comparison by meaning on real databases: row identity that follows the schema (renamed
tables, changed primary keys) and schema artefacts the database treats as equal (Alembic
batch-mode rebuilds on SQLite, quoted vs bare defaults). Every rule is paired with the real
drift it must still report.

Each test writes a two-revision Alembic project: ``r1`` creates the schema, ``r2`` is the
revision under test.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_mrt import MRTConfig
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.runner import AlembicRunner

TEMPLATE = Path(__file__).parent.parent / "examples" / "leaked_rows"

REVISION = """\
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
"""


def _body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip() or "pass", "    ")


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Callable[..., list[list[str]]]]:
    """``chain(url, (up1, down1), (up2, down2))`` → each revision's failure lines."""
    opened: list[tuple[RollbackChecker, AlembicRunner]] = []
    count = iter(range(1000))

    def run(url: str, *revisions: tuple[str, str], **fields: object) -> list[list[str]]:
        project = tmp_path / f"p{next(count)}"
        shutil.copytree(TEMPLATE / "migrations", project / "migrations")
        shutil.rmtree(project / "migrations" / "versions")
        (project / "migrations" / "versions").mkdir()
        shutil.copy(TEMPLATE / "alembic.ini", project / "alembic.ini")
        for i, (up, down) in enumerate(revisions, 1):
            text = REVISION.format(
                rev=f"r{i}",
                down=f"r{i - 1}" if i > 1 else None,
                upgrade=_body(up),
                downgrade=_body(down),
            )
            (project / "migrations" / "versions" / f"r{i}.py").write_text(text)
        config = MRTConfig(**fields)  # type: ignore[arg-type]
        runner = AlembicRunner(project / "alembic.ini", url)
        checker = RollbackChecker(runner, config)
        opened.append((checker, runner))
        results = checker.check_all()
        assert [r.revision for r in results] == [f"r{i}" for i in range(1, len(revisions) + 1)]
        checker.close()
        return [r.failures for r in results]

    yield run
    for checker, runner in opened:
        checker.close()
        runner.dispose()


USERS = (
    """
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
    )
    """,
    'op.drop_table("users")',
)

# -- row identity ----------------------------------------------------------------------------


def test_rows_seeded_into_a_renamed_table_are_ours_after_it_is_renamed_back(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    rename = ('op.rename_table("users", "people")', 'op.rename_table("people", "users")')
    assert chain(db_url, USERS, rename) == [[], []]


def test_a_row_the_downgrade_leaves_in_a_renamed_table_is_still_a_leak(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    rename = (
        'op.rename_table("users", "people")',
        """
        op.rename_table("people", "users")
        op.execute("INSERT INTO users (id, name) VALUES (987654, 'left behind')")
        """,
    )
    assert chain(db_url, USERS, rename)[1] == [
        "Table 'users': 1 row leaked after rollback (not there before the upgrade)"
    ]


MEMBERS = (
    """
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
    )
    """,
    'op.drop_table("members")',
)

# The primary key gains a column (mlflow 1b5f0d9ad7c1's workspaces), and loses it again.
WIDER_KEY = """
with op.batch_alter_table("members") as b:
    b.add_column(
        sa.Column("workspace", sa.String(30), nullable=False, server_default="default")
    )
with op.batch_alter_table("members") as b:
    b.drop_constraint("pk_members", type_="primary")
    b.create_primary_key("pk_members", ["workspace", "id"])
"""
NARROWER_KEY = """
with op.batch_alter_table("members") as b:
    b.drop_constraint("pk_members", type_="primary")
    b.create_primary_key("pk_members", ["id"])
with op.batch_alter_table("members") as b:
    b.drop_column("workspace")
"""


def test_rows_seeded_under_a_changed_primary_key_are_ours_after_the_downgrade(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    assert chain(db_url, MEMBERS, (WIDER_KEY, NARROWER_KEY)) == [[], []]


def test_a_primary_key_change_still_reports_changed_values(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    lossy = NARROWER_KEY + "\nop.execute(\"UPDATE members SET name = 'same'\")"
    failures = chain(db_url, MEMBERS, (WIDER_KEY, lossy))[1]
    assert failures == ["Column 'members.name': values changed after rollback (3 rows)"]


# -- defaults and types by meaning ------------------------------------------------------------

JOBS = (
    """
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("map_index", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("flag", sa.Boolean, nullable=False, server_default=sa.text("false")),
    )
    """,
    'op.drop_table("jobs")',
)

NEW_DEFAULTS = """
with op.batch_alter_table("jobs") as b:
    b.alter_column("map_index", existing_type=sa.Integer, server_default="0")
    b.alter_column("flag", existing_type=sa.Boolean, server_default=sa.true())
"""


def _restore_defaults(map_index: str, flag: str) -> str:
    return f"""
    with op.batch_alter_table("jobs") as b:
        b.alter_column("map_index", existing_type=sa.Integer, server_default={map_index})
        b.alter_column("flag", existing_type=sa.Boolean, server_default={flag})
    """


def test_a_default_restored_as_a_bare_literal_is_the_same_default(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    # '-1' came back as -1 and the keyword false as SQLAlchemy's false() (0 on SQLite).
    down = _restore_defaults('sa.text("-1")', "sa.false()")
    assert chain(db_url, JOBS, (NEW_DEFAULTS, down)) == [[], []]


def test_a_default_restored_to_another_value_is_reported(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    down = _restore_defaults('sa.text("-2")', "sa.true()")
    failures = chain(db_url, JOBS, (NEW_DEFAULTS, down))[1]
    assert len(failures) == 2, failures
    assert failures[0] == "Column 'jobs.map_index': default -1 became -2"
    assert failures[1].startswith("Column 'jobs.flag': default ")


EVENTS = (
    """
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created", sa.TIMESTAMP, nullable=True),
    )
    """,
    'op.drop_table("events")',
)
NOT_NULL = """
with op.batch_alter_table("events") as b:
    b.alter_column("created", existing_type=sa.TIMESTAMP, nullable=False)
"""


def _back_to(type_: str) -> str:
    # The downgrade names the type again, as autogenerate's batch mode does.
    return f"""
    with op.batch_alter_table("events") as b:
        b.alter_column("created", existing_type=sa.TIMESTAMP, type_={type_}, nullable=True)
    """


def test_sqlite_timestamp_redeclared_as_datetime_is_the_same_type(
    chain: Callable[..., list[list[str]]], make_db: Callable[[str], str]
) -> None:
    # SQLite gives both NUMERIC affinity and SQLAlchemy reads both as DATETIME. The rows carry
    # a time: a NULL one would (rightly) make the NOT NULL upgrade fail on data.
    rows = [{"id": i, "created": f"2024-01-0{i} 03:04:05"} for i in (1, 2, 3)]
    failures = chain(
        make_db("sqlite"),
        EVENTS,
        (NOT_NULL, _back_to("sa.DateTime")),
        custom_seeds={"events": lambda: rows},
    )
    assert failures == [[], []]


def test_sqlite_timestamp_restored_as_another_type_is_reported(
    chain: Callable[..., list[list[str]]], make_db: Callable[[str], str]
) -> None:
    failures = chain(make_db("sqlite"), EVENTS, (NOT_NULL, _back_to("sa.Date")))[1]
    assert "Column 'events.created': type DATETIME became DATE" in failures


def test_mariadb_timestamp_and_datetime_stay_different_types(
    chain: Callable[..., list[list[str]]], make_db: Callable[[str], str]
) -> None:
    # On MySQL/MariaDB TIMESTAMP converts time zones and ends in 2038: a real change.
    failures = chain(make_db("mariadb"), EVENTS, (NOT_NULL, _back_to("sa.DateTime")))[1]
    assert "Column 'events.created': type TIMESTAMP became DATETIME" in failures


# -- primary-key column order ------------------------------------------------------------------

LINKS = (
    """
    op.create_table(
        "links",
        sa.Column("a", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("b", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("label", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("a", "b", name="pk_links"),
    )
    """,
    'op.drop_table("links")',
)
ADD_NOTE = """
with op.batch_alter_table("links") as b:
    b.add_column(sa.Column("note", sa.String(40), nullable=True))
"""


def _recreate_key(*columns: str) -> str:
    return f"""
    with op.batch_alter_table("links") as b:
        b.drop_column("note")
    with op.batch_alter_table("links") as b:
        b.drop_constraint("pk_links", type_="primary")
        b.create_primary_key("pk_links", {list(columns)!r})
    """


def test_a_primary_key_recreated_in_another_column_order_is_the_same_key(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    assert chain(db_url, LINKS, (ADD_NOTE, _recreate_key("b", "a"))) == [[], []]


def test_a_primary_key_recreated_with_fewer_columns_is_reported(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    failures = chain(db_url, LINKS, (ADD_NOTE, _recreate_key("a")), seed_rows=0)[1]
    assert "Table 'links': primary key (a, b) became (a)" in failures


def test_the_index_mariadb_made_for_a_foreign_key_is_not_drift_when_it_drops_it_silently(
    chain: Callable[..., list[list[str]]], make_db: Callable[[str], str]
) -> None:
    # The primary key does not start with parent_id, so MariaDB backs the key with an index of
    # its own, named `parent_id`; once ix_child_parent exists it drops that one silently.
    tables = (
        """
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "child",
            sa.Column("key", sa.String(50), primary_key=True),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id"), primary_key=True),
        )
        """,
        'op.drop_table("child")\nop.drop_table("parent")',
    )
    index_left_behind = ('op.create_index("ix_child_parent", "child", ["parent_id"])', "pass")
    failures = chain(make_db("mariadb"), tables, index_left_behind)[1]
    assert [f for f in failures if f.startswith("Index")] == [
        "Index 'ix_child_parent' still exists after rollback"
    ]


# -- a CHECK-heavy table: every lossy statement is caught -------------------------------------

_CHECKED_TABLE = """
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL CHECK (email LIKE '%@%'),
    code VARCHAR(10) NOT NULL CHECK (upper(code) = code),
    price NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    title VARCHAR(80) NOT NULL CHECK ({length}(title) >= 3),
    active BOOLEAN NOT NULL,
    note TEXT,
    prefs JSON{extra}
)"""

# Each is one revision whose downgrade does nothing: every one loses something.
_LOSSY = {
    "price": "UPDATE people SET price = ROUND(price)",
    "title": "UPDATE people SET title = lower(title)",
    "email": "UPDATE people SET email = 'someone@example.com'",
    "active": "UPDATE people SET active = (1 = 0)",
    "note": "UPDATE people SET note = NULL",
    "prefs": "UPDATE people SET prefs = '{}'",
}
_LOSSY_ON_POSTGRES = {
    "tags": "UPDATE people SET tags = ARRAY['x']",
    "handle": "UPDATE people SET handle = 'a'",
}


def test_every_lossy_statement_on_a_check_heavy_table_is_caught(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    postgres = db_url.startswith("postgresql")
    length = "length" if db_url.startswith("sqlite") else "char_length"
    extra = (
        ",\n    tags TEXT[] NOT NULL CHECK (cardinality(tags) >= 1),\n    handle slug NOT NULL"
        if postgres
        else ""
    )
    create = _CHECKED_TABLE.format(length=length, extra=extra)
    domain = "CREATE DOMAIN slug AS TEXT CHECK (VALUE ~ '^[a-z]+(-[a-z]+)*$')"
    up = (f"op.execute({domain!r})\n" if postgres else "") + f"op.execute({create!r})"
    down = 'op.drop_table("people")' + ('\nop.execute("DROP DOMAIN slug")' if postgres else "")
    lossy = {**_LOSSY, **(_LOSSY_ON_POSTGRES if postgres else {})}
    revisions = [(up, down), *((f"op.execute({sql!r})", "") for sql in lossy.values())]
    failures = chain(db_url, *revisions)
    assert failures[0] == []
    for column, lines in zip(lossy, failures[1:], strict=True):
        assert any(
            line.startswith(f"Column 'people.{column}': values changed after rollback")
            for line in lines
        ), (column, lines)


def test_a_rollback_failure_comes_before_the_upgrades_hazard_on_filled_tables(
    chain: Callable[..., list[list[str]]], db_url: str
) -> None:
    # The upgrade fails on rows (NOT NULL without a default) and the downgrade does nothing:
    # the revision is `failed` because of the rollback, so that is its first line.
    tier = ('op.add_column("users", sa.Column("tier", sa.Integer, nullable=False))', "pass")
    lines = chain(db_url, USERS, tier)[1]
    assert lines[0] == "Column 'users.tier' still exists after rollback", lines
    if not db_url.startswith("mysql"):  # MariaDB fills the new column with 0 instead
        assert lines[-1].startswith("upgrade fails on data on table 'users'"), lines
