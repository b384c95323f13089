"""Each revision judged on its own: statuses, the walk after a failure, and integration
options (setup_database, wrap_alembic, alembic_db_url, async env.py), on SQLite, PostgreSQL
and MariaDB. One example project per status (examples/<name>/)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# Imported up front, see test_dynamic.py (pytester's in-process runs and dialect warnings).
import sqlalchemy.dialects.mysql
import sqlalchemy.dialects.postgresql
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.models import RevisionResult
from pytest_mrt.runner import MigrationError
from pytest_mrt.summary import render_summary

EXAMPLES = Path(__file__).parent.parent / "examples"


def _by_rev(results: list[RevisionResult]) -> dict[str, RevisionResult]:
    return {r.revision: r for r in results}


def _no_unreachable_parent(results: list[RevisionResult]) -> None:
    for r in results:
        assert not any("cannot reach the parent" in f for f in r.failures), r


# -- upgrade_fails_on_data, and the walk after it -------------------------------------------


def test_upgrade_failing_on_data_has_its_status_and_later_revisions_their_verdicts(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    results = check(EXAMPLES / "upgrade_on_data", db_url).check_all()
    by = _by_rev(results)
    assert [r.status for r in results] == ["passed", "upgrade_fails_on_data", "passed", "failed"]
    on_data = by["d002"]
    assert not on_data.passed
    assert len(on_data.failures) == 1
    line = on_data.failures[0]
    assert line.startswith("upgrade fails on data on table 'accounts': "), line
    assert 'custom_seeds={"accounts": lambda: [' in line
    assert "tier" in line.lower()
    # The revisions after it were really checked: the safe one passes with rows in its
    # tables, the unsafe one is caught.
    assert by["d003"].coverage == {"tags": 3}
    # accounts holds d003's and d004's seeded rows (the walk goes on from d002's state).
    assert by["d004"].failures == [
        "Column 'accounts.phone': values changed after rollback (4 rows, data lost: now NULL)"
    ]
    assert by["d004"].coverage == {"accounts": 6}
    _no_unreachable_parent(results)
    summary = render_summary(results)
    assert "✗  d002  upgrade fails on data" in summary
    assert "1 upgrade fails when the tables hold rows." in summary


def test_check_revision_alone_after_the_data_failure(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    checker = check(EXAMPLES / "upgrade_on_data", db_url)
    checker.runner.upgrade("d001")
    assert checker.check_revision("d002").status == "upgrade_fails_on_data"
    # The database is left at d002, ready for its child.
    assert checker.runner.current() == ("d002",)
    assert checker.check_revision("d003").status == "passed"


_PYTHON_RAISES = {
    "p001": """
def upgrade() -> None:
    op.create_table("spans", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("content", sa.String(200), nullable=False))
    op.create_table("traces", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(80), nullable=False))
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("body", sa.String(80), nullable=False))


def downgrade() -> None:
    for table in ("notes", "traces", "spans"):
        op.drop_table(table)
""",
    # Like mlflow 75868b020152: validates rows in Python; the message names the table.
    "p002": """
def upgrade() -> None:
    op.add_column("traces", sa.Column("kind", sa.String(20), nullable=True))
    for span_id, content in op.get_bind().execute(sa.text("SELECT id, content FROM spans")):
        if not content.startswith("{"):
            raise ValueError(f"Cannot convert spans.content: unsupported span {span_id}")


def downgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("kind")
""",
    # The message names no table: the line names the tables the revision touches that
    # held rows (notes, changed; traces, read).
    "p003": """
def upgrade() -> None:
    op.add_column("notes", sa.Column("lang", sa.String(8), nullable=True))
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM traces")).scalar():
        raise RuntimeError("legacy rows found, migrate them first")


def downgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("lang")
""",
}


def _chain_project(tmp_path: Path, name: str, bodies: dict[str, str]) -> Path:
    """A linear Alembic chain of ``bodies`` (revision id → upgrade/downgrade source), on the
    upgrade_on_data example's env.py."""
    project = tmp_path / name
    shutil.copytree(EXAMPLES / "upgrade_on_data", project)
    versions = project / "migrations" / "versions"
    shutil.rmtree(versions)
    versions.mkdir()
    parent = None
    for rev, body in bodies.items():
        (versions / f"{rev}.py").write_text(
            f'"""{rev}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
            f"revision = {rev!r}\ndown_revision = {parent!r}\n"
            "branch_labels = None\ndepends_on = None\n" + body
        )
        parent = rev
    return project


def test_an_upgrade_raising_in_python_on_data_names_the_tables_whose_rows_did_it(
    check: Callable[..., RollbackChecker], db_url: str, tmp_path: Path
) -> None:
    results = check(_chain_project(tmp_path, "python_raises", _PYTHON_RAISES), db_url).check_all()
    by = _by_rev(results)
    assert [r.status for r in results] == [
        "passed",
        "upgrade_fails_on_data",
        "upgrade_fails_on_data",
    ]
    [named] = by["p002"].failures
    assert named.startswith(
        "upgrade fails on data on table 'spans': Cannot convert spans.content: unsupported span "
    ), named
    assert named.endswith('custom_seeds={"spans": lambda: [...]})'), named
    [touched] = by["p003"].failures
    assert touched.startswith(
        "upgrade fails on data on tables 'notes', 'traces' (the tables the revision touches "
        "that held rows): legacy rows found, migrate them first; "
    ), touched
    assert touched.endswith('custom_seeds={"notes": lambda: [...], "traces": lambda: [...]})'), (
        touched
    )
    _no_unreachable_parent(results)


# -- blocked ----------------------------------------------------------------------------------


def test_parent_unreachable_even_empty_is_blocked_naming_the_ancestor(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    results = check(EXAMPLES / "blocked_chain", db_url).check_all()
    by = _by_rev(results)
    assert [r.status for r in results] == ["passed", "failed", "blocked"]
    assert len(by["k002"].failures) == 1
    assert by["k002"].failures[0].startswith("upgrade failed: ")
    assert "ghosts" in by["k002"].failures[0]
    (blocked,) = by["k003"].failures
    assert blocked.startswith("blocked: ancestor k002's upgrade fails even on an empty database")
    assert not by["k003"].passed
    _no_unreachable_parent(results)


def test_blocked_found_by_check_revision_alone(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    result = check(EXAMPLES / "blocked_chain", db_url).check_revision("k003")
    assert result.status == "blocked"
    assert "ancestor k002's upgrade fails" in result.failures[0]


# -- unverified -------------------------------------------------------------------------------


def test_touched_table_without_rows_is_unverified_never_passed(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    results = check(EXAMPLES / "unverified_table", db_url).check_all()
    by = _by_rev(results)
    assert by["u002"].status == "unverified"
    assert not by["u002"].passed
    assert by["u002"].coverage == {"vault": 0}
    assert any(f.startswith("Table 'vault' ") for f in by["u002"].failures)
    (line,) = by["u002"].failures
    # The table, the constraint that refused the rows, a ready custom_seeds entry.
    assert "Table 'vault' could not be seeded (refused by constraint 'ck_vault_sealed')" in line
    assert 'custom_seeds={"vault": lambda: [{"secret": ' in line
    # A revision that only rewrites rows touches the table its UPDATE names.
    assert (by["u003"].status, by["u003"].coverage) == ("unverified", {"vault": 0})
    summary = render_summary(results)
    assert "?  u002  unverified: data not exercised" in summary


def test_allow_unverified_counts_it_as_passed_and_keeps_the_line(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    results = check(EXAMPLES / "unverified_table", db_url, allow_unverified=True).check_all()
    u002 = _by_rev(results)["u002"]
    assert (u002.status, u002.passed, u002.failures) == ("unverified", True, [])
    assert any(w.startswith("Table 'vault' ") for w in u002.warnings)
    assert u002.to_dict()["status"] == "unverified"
    assert u002.to_dict()["coverage"] == {"vault": 0}


_WHERE_MISSES = {
    "w001": """
def upgrade() -> None:
    op.create_table("members", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("role", sa.String(20), nullable=False),
                    sa.Column("name", sa.String(40), nullable=False))
    op.create_table("bans", sa.Column("banned", sa.String(40), primary_key=True))


def downgrade() -> None:
    op.drop_table("bans")
    op.drop_table("members")
""",
    # Reversible, but only rows whose role is 'superuser' show it.
    "w002": """
def upgrade() -> None:
    op.execute("UPDATE members SET role = 'admin' WHERE role = 'superuser'")


def downgrade() -> None:
    op.execute("UPDATE members SET role = 'superuser' WHERE role = 'admin'")
""",
    # Loses the 'ghost' rows for good; only a 'ghost' row shows it.
    "w003": """
def upgrade() -> None:
    op.execute("DELETE FROM members WHERE name = 'ghost'")


def downgrade() -> None:
    pass
""",
    # SQLAlchemy Core: the WHERE's values reach the driver as bound parameters.
    "w004": """
members = sa.table("members", sa.column("role"), sa.column("name"))


def upgrade() -> None:
    op.execute(members.update().where(members.c.role.in_(["guest", "visitor"]))
               .where(members.c.name == "bob").values(role="reader"))


def downgrade() -> None:
    op.execute(members.update().where(members.c.role == "reader")
               .where(members.c.name == "bob").values(role="guest"))
""",
    # An OR: a row for each side.
    "w005": """
def upgrade() -> None:
    op.execute("DELETE FROM members WHERE role = 'x' OR name = 'y'")


def downgrade() -> None:
    pass
""",
    # A row made from this WHERE does not fit the column (String(20)).
    "w006": """
def upgrade() -> None:
    op.execute("DELETE FROM members WHERE role = 'a role far too long for it'")


def downgrade() -> None:
    pass
""",
    # No row is made for a subquery: the line names the table it reads, and both verbs.
    "w007": """
def upgrade() -> None:
    op.execute("UPDATE members SET role = 'y' WHERE name IN (SELECT banned FROM bans)")
    op.execute("DELETE FROM members WHERE role = 'y' AND EXISTS "
               "(SELECT 1 FROM bans b WHERE b.banned = members.name)")


def downgrade() -> None:
    pass
""",
}


def test_a_data_migration_whose_where_matched_no_seeded_row_is_checked_on_rows_it_matches(
    check: Callable[..., RollbackChecker], db_url: str, tmp_path: Path
) -> None:
    project = _chain_project(tmp_path, "where_misses", _WHERE_MISSES)
    by = _by_rev(check(project, db_url).check_all())
    statuses = [by[r].status for r in sorted(_WHERE_MISSES)]
    assert statuses == [
        "passed",
        "passed",
        "failed",
        "failed",
        "failed",
        "unverified",
        "unverified",
    ]
    assert by["w002"].failures == []
    assert by["w002"].warnings == [
        "Table 'members': the upgrade's UPDATE matched none of the generated rows, so the "
        "check ran again with a row seeded to match its WHERE (role = 'superuser')"
    ]
    # The generated rows stay: a DELETE ignoring its WHERE would lose them too.
    assert by["w003"].failures == ["Table 'members': 1/3 rows lost after rollback"]
    assert by["w003"].warnings == [
        "Table 'members': the upgrade's DELETE matched none of the generated rows, so the "
        "check ran again with a row seeded to match its WHERE (name = 'ghost')"
    ]
    # A row per listed value: the 'visitor' row comes back as a 'guest'.
    assert by["w004"].failures == ["Column 'members.role': values changed after rollback (1 row)"]
    assert by["w004"].warnings == [
        "Table 'members': the upgrade's UPDATE matched none of the generated rows, so the "
        "check ran again with 2 rows seeded to match its WHERE (role = 'guest', name = 'bob'; "
        "role = 'visitor', name = 'bob')"
    ]
    assert by["w005"].failures == ["Table 'members': 2/3 rows lost after rollback"]
    assert by["w005"].warnings == [
        "Table 'members': the upgrade's DELETE matched none of the generated rows, so the "
        "check ran again with 2 rows seeded to match its WHERE (role = 'x'; name = 'y')"
    ]
    [subquery] = by["w007"].failures
    assert subquery.startswith(
        "Table 'members': the upgrade's UPDATE and DELETE matched none of the "
    ), subquery
    assert subquery.endswith(
        "rows seeded in it, so what it does to the data was not exercised "
        "(`UPDATE members SET role = 'y' WHERE name IN (SELECT banned FROM bans)`); "
        "no row it matches could be made from the statement: it reads other rows (a subquery); "
        "give rows it matches, with the rows of 'bans' it reads: "
        'custom_seeds={"members": lambda: [...], "bans": lambda: [...]}'
    ), subquery
    # Given rows that pair across the two tables, it is checked (and loses the rows).
    pairs = {
        "members": lambda: [{"id": 1, "role": "guest", "name": "eve"}],
        "bans": lambda: [{"banned": "eve"}],
    }
    w007 = _by_rev(check(project, db_url, custom_seeds=pairs).check_all())["w007"]
    assert w007.failures == ["Table 'members': 1/1 rows lost after rollback"], w007.failures
    [too_long] = by["w006"].failures
    assert (
        "; a row it matches could not be seeded: column role: 'a role far too long for it' "
        "does not fit its width or CHECK; give rows" in too_long
    ), too_long

    # custom_seeds is the user's: no row is made for a table it fills.
    rows = [
        {"id": 1, "role": "superuser", "name": "ghost"},
        {"id": 2, "role": "reader", "name": "ada"},
    ]
    by = _by_rev(check(project, db_url, custom_seeds={"members": lambda: rows}).check_all())
    assert by["w002"].status == "passed", by["w002"].failures
    assert by["w002"].warnings == []
    assert by["w003"].status == "failed"
    assert by["w003"].failures == ["Table 'members': 1/2 rows lost after rollback"]
    [unmatched] = by["w004"].failures
    assert unmatched.startswith(
        "Table 'members': the upgrade's UPDATE matched none of the 2 rows seeded in it, so "
    ), unmatched
    assert "`); give rows it matches: custom_seeds=" in unmatched, unmatched


_DOWNGRADES_FAILING = {
    "f001": """
def upgrade() -> None:
    op.create_table("tasks", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("run_id", sa.Integer, nullable=False))


def downgrade() -> None:
    op.drop_table("tasks")
""",
    # Like prefect 05ea6f882b1d: rows written after the upgrade hold NULLs the downgrade
    # refuses; on empty tables it runs.
    "f002": """
def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("run_id", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("run_id", existing_type=sa.Integer, nullable=False)
""",
    # Like airflow 4bc4d934e2bc: drops an index nobody created, whatever the tables hold.
    "f003": """
def upgrade() -> None:
    op.add_column("tasks", sa.Column("note", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_tasks_never_created", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("note")
""",
    "f004": """
def upgrade() -> None:
    op.create_table("labels", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("labels")
""",
}


def test_a_failed_downgrade_says_whether_it_runs_on_empty_tables(
    check: Callable[..., RollbackChecker], db_url: str, tmp_path: Path
) -> None:
    project = _chain_project(tmp_path, "downgrades_failing", _DOWNGRADES_FAILING)
    results = check(project, db_url).check_all()
    by = _by_rev(results)
    assert [r.status for r in results] == ["passed", "failed", "failed", "passed"]
    [on_data] = by["f002"].failures
    assert on_data.startswith("downgrade failed: "), on_data
    assert on_data.endswith(
        " (it runs when the tables are empty: the rows in them make it fail)"
    ), on_data
    [broken] = by["f003"].failures
    assert "ix_tasks_never_created" in broken
    assert broken.endswith(" (it fails on an empty database too)"), broken
    # The walk goes on: the revision after them is checked with rows in its tables.
    assert by["f004"].coverage == {"labels": 3}
    _no_unreachable_parent(results)


def test_items_map_statuses_to_outcomes(pytester: pytest.Pytester, db_url: str) -> None:
    pytester.copy_example("unverified_table")
    result = pytester.runpytest("--mrt", "--mrt-db-url", db_url, "-k", "test_migration", "-rx")
    result.assert_outcomes(xfailed=3)
    result.stdout.fnmatch_lines(["*XFAIL*test_migration[[]u002[]]*Table 'vault'*"])
    strict = pytester.runpytest(
        "--mrt", "--mrt-db-url", db_url, "-k", "test_migration", "-o", "xfail_strict=true"
    )
    strict.assert_outcomes(failed=3)


def test_items_fail_on_data_and_blocked(
    pytester: pytest.Pytester, make_db: Callable[[str], str]
) -> None:
    pytester.copy_example("blocked_chain")
    result = pytester.runpytest(
        "--mrt", "--mrt-db-url", make_db("postgresql"), "-k", "test_migration"
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*blocked: ancestor k002's upgrade fails*"])


# -- skip matching ----------------------------------------------------------------------------


def test_skip_matches_exact_ids_and_unique_prefixes_only(
    check: Callable[..., RollbackChecker], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'skip.db'}"
    results = check(EXAMPLES / "upgrade_on_data", url, skip={"d00": "ambiguous", "d004": "why"})
    statuses = [r.status for r in results.check_all()]
    assert statuses == ["passed", "upgrade_fails_on_data", "passed", "skipped"]
    other = f"sqlite:///{tmp_path / 'skip2.db'}"
    unique = check(EXAMPLES / "blocked_chain", other, skip={"k00": "x", "k0": "y", "k003": "z"})
    assert [r.status for r in unique.check_all()] == ["passed", "failed", "skipped"]


# -- setup_database ---------------------------------------------------------------------------


def test_setup_database_runs_on_fresh_and_rebuilt_databases(
    pytester: pytest.Pytester, db_url: str
) -> None:
    pytester.copy_example("setup_database")
    result = pytester.runpytest("--mrt-db-url", db_url, "-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*✓  p001  reversible  [[]rows: legacy 3[]]*",
            "*✗  p002  *",
            "*Column 'legacy.name': values changed after rollback (6 rows, data lost: now NULL)*",
        ]
    )


def test_setup_database_after_a_rebuild(check: Callable[..., RollbackChecker], db_url: str) -> None:
    calls: list[list[str]] = []

    def setup(connection: sqlalchemy.engine.Connection) -> None:
        calls.append(sqlalchemy.inspect(connection).get_table_names())

    checker = check(EXAMPLES / "upgrade_on_data", db_url, setup_database=setup)
    assert calls == [[]]  # a fresh database
    results = checker.check_all()
    assert [r.status for r in results][1] == "upgrade_fails_on_data"
    # d002 was judged again on a rebuilt database: emptied, then set up again.
    assert calls == [[], []]


# -- async env.py, wrap_alembic, env.py errors ------------------------------------------------


def test_async_template_runs_through_alembic_db_url(pytester: pytest.Pytester, db_url: str) -> None:
    pytester.copy_example("async_template")
    result = pytester.runpytest("--mrt-db-url", db_url, "-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*✓  a001  reversible*",
            "*✗  a002  *",
            "*accounts.phone*values changed after rollback (2 rows, data lost: now NULL)*",
        ]
    )


def test_async_env_py_without_alembic_db_url_names_env_py_and_the_option(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    # A sync driver (psycopg can serve async engines too, so name psycopg2).
    sync_url = db_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    checker = check(EXAMPLES / "async_template", sync_url)
    with pytest.raises(MigrationError) as err:
        checker.check_all()
    message = str(err.value)
    assert "env.py (" in message and "env.py:" in message, message
    assert "alembic_db_url" in message
    assert "\n" not in message and "Traceback" not in message


def _anyio_project(tmp_path: Path) -> Path:
    project = tmp_path / "anyio_project"
    shutil.copytree(EXAMPLES / "dropped_column", project)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "def _run(connection) -> None:\n",
            "def _run(connection) -> None:\n"
            "    import anyio.from_thread\n\n"
            "    anyio.from_thread.run_sync(lambda: None)  # like prefect: needs a worker thread\n",
        )
    )
    assert "anyio.from_thread" in env.read_text()
    return project


def test_env_py_needing_an_anyio_worker_thread(
    check: Callable[..., RollbackChecker], tmp_path: Path
) -> None:
    project = _anyio_project(tmp_path)
    bare = check(project, f"sqlite:///{tmp_path / 'bare.db'}")
    with pytest.raises(MigrationError) as err:
        bare.check_all()
    assert "env.py (" in str(err.value) and "wrap_alembic=" in str(err.value)

    import anyio
    import anyio.to_thread

    wrapped = check(
        project,
        f"sqlite:///{tmp_path / 'wrapped.db'}",
        wrap_alembic=lambda call: anyio.run(anyio.to_thread.run_sync, call),
    )
    assert [r.status for r in wrapped.check_all()] == ["passed", "failed"]


# -- progress ---------------------------------------------------------------------------------


def test_progress_lines_when_not_a_tty(
    check: Callable[..., RollbackChecker],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_mrt import dynamic

    monkeypatch.setattr(dynamic._Progress, "QUIET_FOR_S", 0.0)
    monkeypatch.setattr(dynamic._Progress, "EVERY_S", 0.0)
    check(EXAMPLES / "upgrade_on_data", f"sqlite:///{tmp_path / 'p.db'}").check_all()
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" ")[1] for line in err[:4]] == ["1/4", "2/4", "3/4", "4/4"]
    assert err[0].startswith("mrt: 1/4 d001 ")
    assert err[-1].startswith("mrt: 4 revisions checked in ")
    assert "\r" not in "".join(err)


# -- report and saved results -----------------------------------------------------------------


def test_report_and_saved_results_carry_status_and_coverage(tmp_path: Path) -> None:
    import json

    from pytest_mrt.report import RevisionNode, load_results, render_report

    unverified = RevisionResult(
        "u2",
        False,
        failures=["Table 'vault' could not be seeded"],
        status="unverified",
        coverage={"vault": 0},
    )
    on_data = RevisionResult(
        "d2", False, failures=["upgrade fails on data"], status="upgrade_fails_on_data"
    )
    ok = RevisionResult("d1", True, coverage={"accounts": 3})
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps([r.to_dict() for r in (ok, on_data, unverified)]))
    loaded = load_results(saved)
    assert [(r.status, r.coverage) for r in loaded] == [
        ("passed", {"accounts": 3}),
        ("upgrade_fails_on_data", {}),
        ("unverified", {"vault": 0}),
    ]
    html = render_report(
        [
            RevisionNode("d1", (), "d1.py", verdict=loaded[0]),
            RevisionNode("d2", ("d1",), "d2.py", verdict=loaded[1]),
            RevisionNode("u2", ("d2",), "u2.py", verdict=loaded[2]),
        ],
        title="t",
    )
    assert 'data-verdict="unverified"' in html and 'data-verdict="upgrade_fails_on_data"' in html
    assert "Rollback: unverified (data not exercised)" in html
    assert "Rollback: upgrade fails on data" in html
    assert "rows: vault 0" in html and "rows: accounts 3" in html
