"""Dynamic rollback checks on real SQLite, PostgreSQL and MariaDB databases.

Each failure class has its own example project (examples/<scenario>/) whose second revision
is unsafe in exactly one way; the safe chain must pass without a single false positive.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

# Imported up front so that pytester's in-process runs (which restore sys.modules afterwards)
# do not import them a second time: SQLAlchemy warns when a dialect registers its functions
# twice, and warnings are errors here.
import sqlalchemy.dialects.mysql
import sqlalchemy.dialects.postgresql
from pytest_mrt import SafetyError
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.models import RevisionResult
from pytest_mrt.summary import render_summary

EXAMPLES = Path(__file__).parent.parent / "examples"


def _is_mysql(url: str) -> bool:
    return url.split(":", 1)[0].split("+")[0] in ("mysql", "mariadb")


def _verdicts(results: list[RevisionResult]) -> dict[str, list[str]]:
    return {r.revision: r.failures for r in results}


# -- the safe chain: no false positives ---------------------------------------------------


def test_safe_chain_passes_without_false_positives(pytester: pytest.Pytester, db_url: str) -> None:
    pytester.copy_example("safe_chain")
    result = pytester.runpytest("--mrt-db-url", db_url, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*✓  s001  reversible*", "*All 6 checked migrations are reversible.*"]
    )
    # Every table was seeded (nothing weakened the check).
    assert "could not be seeded" not in result.stdout.str()
    assert " ! " not in result.stdout.str()


# -- one project per failure class ----------------------------------------------------------

FAILURES = {
    "dropped_column": [
        "*Column 'accounts.phone': values changed after rollback (2 rows, data lost: now NULL)*"
    ],
    "table_recreated": ["*Table 'accounts': 3/3 rows lost after rollback*"],
    "noop_downgrade": ["*Table 'tags' still exists after rollback*"],
    "data_transform": ["*Column 'accounts.name': values changed after rollback (3 rows)*"],
    "type_narrowing": ["*Column 'payments.amount': values changed after rollback (3 rows)*"],
    "index_not_removed": [
        "*Unique constraint on accounts(name) still exists after rollback*",
        "*Index 'ix_accounts_phone' still exists after rollback*",
    ],
    "column_other_type": ["*Column 'accounts.rating': type INT* became *(12,0)*"],
    "leaked_rows": ["*Table 'accounts': 1 row leaked after rollback*"],
}


@pytest.mark.parametrize("scenario", sorted(FAILURES))
def test_each_failure_class_is_caught(
    pytester: pytest.Pytester, db_url: str, scenario: str
) -> None:
    pytester.copy_example(scenario)
    result = pytester.runpytest("--mrt-db-url", db_url, "-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*✓  f001  reversible*",
            "*✗  f002  *",
            *FAILURES[scenario],
            "*1 migration is not safely reversible*",
        ]
    )


# -- the blog example -----------------------------------------------------------------------


def test_blog_history_verdicts(check: Callable[..., RollbackChecker], db_url: str) -> None:
    results = check(EXAMPLES / "blog", db_url).check_all()
    verdicts = _verdicts(results)
    assert list(verdicts) == ["001", "002", "003", "004", "005", "006", "007", "008"]
    for rev in ("001", "002", "003"):
        assert verdicts[rev] == [], rev
    assert any(f.startswith("Column 'users.phone': values changed") for f in verdicts["004"])
    assert "Table 'tags' still exists after rollback" in verdicts["005"]
    assert verdicts["006"] == ["Column 'users.name': values changed after rollback (3 rows)"]
    assert "Column 'posts.body' missing after rollback" in verdicts["007"]
    assert "Column 'posts.body_text' still exists after rollback" in verdicts["007"]
    if _is_mysql(db_url):
        # A real MySQL/MariaDB finding: alter_column without existing_nullable=False rewrites
        # the column as NULL-able, and the downgrade does not put NOT NULL back.
        assert verdicts["008"] == ["Column 'posts.title': NOT NULL became nullable"]
    else:
        assert verdicts["008"] == []
    assert all(r.duration_s > 0 for r in results)


def test_failures_are_data_with_their_sentence_rendered_from_them(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    by = {r.revision: r for r in check(EXAMPLES / "blog", db_url).check_all()}
    # Each line is one Failure: what it is about is read from fields, never from the words.
    [changed] = by["006"].problems
    assert (changed.what, changed.kind, changed.subject) == ("rows", "data_lost", "column")
    assert (changed.tables, changed.column) == (["users"], "name")
    tags = next(p for p in by["005"].problems if p.what == "schema")
    assert (tags.kind, tags.subject, tags.name, tags.tables) == (
        "schema_drift",
        "table",
        "tags",
        ["tags"],
    )
    body = {(p.subject, p.column) for p in by["007"].problems if p.what == "schema"}
    assert {("column", "body"), ("column", "body_text")} <= body
    for result in by.values():
        assert [str(p) for p in result.problems] == result.failures
    assert by["006"].to_dict()["failure_kind"] == "data_lost"


# -- the walk never stops early -------------------------------------------------------------


def test_broken_downgrade_mid_chain_as_items_with_junit(
    pytester: pytest.Pytester, db_url: str
) -> None:
    pytester.copy_example("broken_downgrade")
    result = pytester.runpytest(
        "--mrt", "--mrt-db-url", db_url, "-k", "test_migration", "--junitxml=report.xml"
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*FAILED alembic.ini::test_migration[[]b002[]]*"])
    result.stdout.fnmatch_lines(["*downgrade failed: *table_that_does_not_exist*"])
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"test_migration[b002]"}


def test_items_honour_k_and_x(pytester: pytest.Pytester, db_url: str) -> None:
    pytester.copy_example("broken_downgrade")
    only = pytester.runpytest("--mrt", "--mrt-db-url", db_url, "-k", "b003")
    only.assert_outcomes(passed=1)
    stop = pytester.runpytest("--mrt", "--mrt-db-url", db_url, "-x", "-k", "test_migration")
    stop.assert_outcomes(passed=1, failed=1)


def test_branches_and_merge_are_checked_from_their_own_parents(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    results = check(EXAMPLES / "branches", db_url).check_all()
    verdicts = _verdicts(results)
    assert set(verdicts) == {"m001", "m002a", "m002b", "m003"}
    assert verdicts["m001"] == verdicts["m002a"] == verdicts["m003"] == []
    assert "Table 'labels' still exists after rollback" in verdicts["m002b"]
    merge = next(r for r in results if r.revision == "m003")
    assert merge.down_revision == ("m002a", "m002b")


def test_timeout_interrupts_the_step(check: Callable[..., RollbackChecker], db_url: str) -> None:
    results = check(EXAMPLES / "slow_migration", db_url, migration_timeout=1).check_all()
    verdicts = _verdicts(results)
    assert verdicts["t001"] == []
    assert verdicts["t002"] == ["upgrade failed: timed out after 1 s"]
    # Its child cannot be reached, but still gets a verdict.
    assert len(verdicts["t003"]) == 1 and "timed out after 1 s" in verdicts["t003"][0]


def test_skip_is_reported_with_its_reason(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    reason = "one-way by design, reviewed in ADR-7"
    results = check(EXAMPLES / "dropped_column", db_url, skip={"f002": reason}).check_all()
    skipped = results[1]
    assert (skipped.revision, skipped.skipped, skipped.skip_reason) == ("f002", True, reason)
    assert results[0].passed
    summary = render_summary(results)
    assert f"-  f002  skipped: {reason}" in summary
    assert "The 1 checked migration is reversible." in summary


def _dialect(url: str) -> str:
    return "mariadb" if _is_mysql(url) else url.split(":", 1)[0].split("+")[0]


def test_custom_seeds_win_and_seed_rows_is_honoured(
    check: Callable[..., RollbackChecker], db_url: str, make_db: Callable[[str], str]
) -> None:
    alice = {"id": 7, "name": "alice", "email": "alice@example.com", "phone": None, "rating": 3}
    checker = check(EXAMPLES / "data_transform", db_url, custom_seeds={"accounts": lambda: [alice]})
    result = checker.check_revision("f002")
    assert result.failures == ["Column 'accounts.name': values changed after rollback (1 row)"]
    other = check(EXAMPLES / "data_transform", make_db(_dialect(db_url)), seed_rows=5)
    assert other.check_revision("f002").failures == [
        "Column 'accounts.name': values changed after rollback (5 rows)"
    ]


def test_unseedable_table_is_a_visible_warning(
    check: Callable[..., RollbackChecker], db_url: str, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    shutil.copytree(EXAMPLES / "noop_downgrade", project)
    first = project / "migrations" / "versions" / "f001.py"
    first.write_text(
        first.read_text().replace(
            'sa.Column("rating", sa.Integer, nullable=True),',
            # NOT NULL: a nullable column would be seeded with NULL, which the CHECK lets by.
            'sa.Column("rating", sa.Integer, nullable=False),\n'
            '        sa.CheckConstraint("rating > 10 AND rating < 5", name="ck_impossible"),',
        )
    )
    result = check(project, db_url).check_revision("f002")
    assert any(w.startswith("Table 'accounts' could not be seeded: ") for w in result.warnings)


# -- check_revision, seed/data_problems, close -------------------------------------------------


def test_check_revision_moves_the_database_and_close_cleans_up(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    checker = check(EXAMPLES / "table_recreated", db_url)
    checker.runner.upgrade("head")
    result = checker.check_revision("f002")
    assert result.failures == ["Table 'accounts': 3/3 rows lost after rollback"]
    assert checker.runner.current() == ("f002",)
    checker.close()
    engine = sa.create_engine(db_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_seed_and_data_problems(check: Callable[..., RollbackChecker], db_url: str) -> None:
    checker = check(EXAMPLES / "dropped_column", db_url)
    checker.runner.upgrade("f001")
    rows = [
        {"id": 1, "name": "ann", "email": "ann@example.com", "phone": "555-1", "rating": 4},
        {"id": 2, "name": "bob", "email": "bob@example.com", "phone": "555-2", "rating": None},
    ]
    checker.seed("accounts", rows, pk_col="id")
    assert checker.data_problems() == []
    checker.runner.upgrade("f002")
    checker.runner.downgrade("f001")
    assert checker.data_problems() == [
        "Column 'accounts.phone': values changed after rollback (2 rows, data lost: now NULL)"
    ]
    checker.reset()
    assert checker.data_problems() == []
    checker.seed("accounts", [{**rows[0], "id": 3, "email": "cy@example.com"}], pk_col="id")
    checker.runner.downgrade("base")  # the table goes, with its three rows
    assert checker.data_problems() == [
        "Table 'accounts': 3/3 rows lost after rollback (table missing)"
    ]


# -- safety ---------------------------------------------------------------------------------


def _put_customer(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(20))"
            )
            conn.exec_driver_sql("INSERT INTO customers VALUES (1, 'kept')")
    finally:
        engine.dispose()


def test_safety_guard_refuses_foreign_data(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    _put_customer(db_url)
    with pytest.raises(SafetyError, match=r"table\(s\) 'customers' already hold rows"):
        check(EXAMPLES / "dropped_column", db_url)
    allowed = check(EXAMPLES / "dropped_column", db_url, allow_existing_data=True)
    assert [r.passed for r in allowed.check_all()] == [True, False]
    allowed.close()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM customers").all() == [("kept",)]
            assert set(sa.inspect(conn).get_table_names()) == {"customers"}
    finally:
        engine.dispose()


def test_safety_guard_message_masks_the_password(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("postgresql")
    _put_customer(url)
    # The local server trusts every connection, so any password is accepted (and must hide).
    with_password = url.replace("postgres@", "postgres:s3cr3t@")
    with pytest.raises(SafetyError) as err:
        check(EXAMPLES / "dropped_column", with_password)
    assert "s3cr3t" not in str(err.value) and "postgres:***@" in str(err.value)


def test_fixture_turns_the_guard_into_a_failure(pytester: pytest.Pytester, db_url: str) -> None:
    _put_customer(db_url)
    pytester.copy_example("dropped_column")
    result = pytester.runpytest("--mrt-db-url", db_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mrt: refusing to run rollback checks on *allow_existing_data*"])


def test_fixture_seed_and_assert_data_intact(pytester: pytest.Pytester, db_url: str) -> None:
    pytester.copy_example("dropped_column")
    pytester.makepyfile(
        test_rollback="""
        def test_data(mrt):
            mrt.upgrade("f001")
            row = {"id": 1, "name": "ann", "email": "ann@example.com", "phone": "1", "rating": 2}
            mrt.seed("accounts", [row])
            mrt.assert_data_intact()
            mrt.upgrade("f002")
            mrt.downgrade("f001")
            mrt.assert_data_intact()
        """
    )
    result = pytester.runpytest("--mrt-db-url", db_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*seeded data changed:*",
            "*Column 'accounts.phone': values changed after rollback (1 row*",
        ]
    )


def test_custom_version_table_is_neither_seeded_nor_reported(
    check: Callable[..., RollbackChecker], db_url: str, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    shutil.copytree(EXAMPLES / "dropped_column", project)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "connection=connection, target_metadata=target_metadata,",
            'connection=connection, target_metadata=target_metadata, version_table="my_versions",',
        )
    )
    assert "my_versions" in env.read_text()
    checker = check(project, db_url)
    verdicts = _verdicts(checker.check_all())
    assert checker.runner.version_table == "my_versions"
    assert verdicts["f001"] == []
    assert verdicts["f002"] == [
        "Column 'accounts.phone': values changed after rollback (2 rows, data lost: now NULL)"
    ]
    assert checker.runner.current() == ("f002",)
