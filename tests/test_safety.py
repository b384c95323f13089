"""Safety on real databases: the guard sees every schema and every kind of object, cleanup
drops only what the run created, leftovers of a killed run are recognised; plus the one-line
errors of an invalid config, a fixture error and a server that went away mid-check."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

# Imported up front (see tests/test_dynamic.py): pytester's in-process runs must not import
# the dialects a second time.
import sqlalchemy.dialects.mysql
import sqlalchemy.dialects.postgresql
from pytest_mrt import MRTConfig, SafetyError
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.runner import AlembicRunner

EXAMPLES = Path(__file__).parent.parent / "examples"
PROJECT = EXAMPLES / "dropped_column"


@pytest.fixture
def check(check: Callable[..., RollbackChecker]) -> Callable[..., RollbackChecker]:
    """``check(url, **config)`` → a RollbackChecker on examples/dropped_column, closed after."""
    return functools.partial(check, PROJECT)


def _run_sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql).all()]
    finally:
        engine.dispose()


def _tables(url: str, schema: str | None = None) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


# -- R5, R8: one line, no traceback --------------------------------------------------------


def test_an_invalid_config_in_conftest_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_mrt import MRTConfig

        def pytest_configure(config):
            config._mrt_config = MRTConfig(seed_rows=-1)
        """
    )
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "ERROR: MRTConfig: seed_rows must be an integer >= 0, got -1" in output
    assert "INTERNALERROR" not in output and "Traceback" not in output


def test_an_invalid_config_at_conftest_import_shows_the_users_line_only(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest("from pytest_mrt import MRTConfig\nCONFIG = MRTConfig(seed_rows=-1)\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "MRTConfig: seed_rows must be an integer >= 0, got -1" in output
    assert "CONFIG = MRTConfig(seed_rows=-1)" in output
    assert "pytest_mrt/config.py" not in output and "INTERNALERROR" not in output


def test_fixture_errors_print_once(pytester: pytest.Pytester) -> None:
    pytester.copy_example("dropped_column")
    pytester.makepyfile(
        test_errors="""
        import pytest

        @pytest.mark.mrt(alembic_ini="nope.ini")
        def test_no_ini(mrt):
            pass

        def test_bad_revision(mrt):
            mrt.upgrade("zzz")
        """
    )
    result = pytester.runpytest("test_errors.py")
    result.assert_outcomes(failed=1, errors=1)
    out = result.stdout.str()
    assert "During handling of the above exception" not in out
    # Each error once in the report; the short summary repeats it, cut to the terminal's width
    # or whole (CI=true), so it is left out of the count.
    report = out.split("short test summary info", 1)[0]
    assert report.count("alembic.ini not found") == 1
    assert report.count("Can't locate revision identified by 'zzz'") == 1


# -- R3: the server went away mid-check ----------------------------------------------------

KILL = """
import sqlalchemy as sa

ADMIN = {admin!r}

def _terminate(drop):
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        n = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ).scalar()
        if drop:
            conn.exec_driver_sql("DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()
    return n

def test_killed(mrt):
    mrt.check_revision("f001")
    # The engine's session (and any of Alembic's) killed, as by a server restart.
    assert _terminate({drop!r}) >= 1
"""


@pytest.mark.parametrize("drop", [False, True], ids=["restarted", "gone"])
def test_server_killed_mid_check_is_one_line_at_teardown(
    pytester: pytest.Pytester, make_db: Callable[[str], str], drop: bool
) -> None:
    from tests.conftest import POSTGRES_ADMIN

    url = make_db("postgresql")
    name = url.rsplit("/", 1)[1]
    pytester.copy_example("dropped_column")
    pytester.makepyfile(test_rollback=KILL.format(admin=POSTGRES_ADMIN, name=name, drop=drop))
    result = pytester.runpytest("--mrt-db-url", url)
    out = result.stdout.str()
    assert "Traceback" not in out and "dynamic.py" not in out and "DatabaseError" not in out
    if drop:
        # Nothing left to clean up with: one line says so.
        result.assert_outcomes(passed=1, errors=1)
        result.stdout.fnmatch_lines(["*mrt: could not drop what this run created: *"])
    else:
        # The cleanup reconnects and drops what the run created.
        result.assert_outcomes(passed=1)
        assert _tables(url) == set()


# -- S4: the guard sees every schema and every kind ----------------------------------------

POSTGRES_OBJECTS = {
    "view": ["CREATE VIEW v AS SELECT 1 AS one"],
    "materialized view": ["CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one"],
    "sequence": ["CREATE SEQUENCE invoice_numbers"],
    "enum": ["CREATE TYPE mood AS ENUM ('ok', 'sad')"],
    "domain": ["CREATE DOMAIN email AS TEXT CHECK (position('@' in VALUE) > 0)"],
    "function": ["CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'"],
    "trigger": [
        "CREATE TABLE audited (id int)",
        "CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
        "CREATE TRIGGER audit BEFORE INSERT ON audited FOR EACH ROW EXECUTE FUNCTION noop()",
    ],
    "other schema": [
        "CREATE SCHEMA vault",
        "CREATE TABLE vault.secrets (id int)",
        "INSERT INTO vault.secrets VALUES (1)",
    ],
}
MARIADB_OBJECTS = {
    "view": ["CREATE VIEW v AS SELECT 1 AS one"],
    "sequence": ["CREATE SEQUENCE invoice_numbers"],
    "function": ["CREATE FUNCTION answer() RETURNS int DETERMINISTIC RETURN 42"],
    "trigger": [
        "CREATE TABLE audited (id int)",
        "CREATE TRIGGER audit BEFORE INSERT ON audited FOR EACH ROW SET NEW.id = NEW.id",
    ],
}
SQLITE_OBJECTS = {
    "view": ["CREATE VIEW v AS SELECT 1 AS one"],
    "trigger": [
        "CREATE TABLE audited (id int)",
        "CREATE TRIGGER audit BEFORE INSERT ON audited BEGIN SELECT 1; END",
    ],
}
CASES = [
    *(("postgresql", kind) for kind in POSTGRES_OBJECTS),
    *(("mariadb", kind) for kind in MARIADB_OBJECTS),
    *(("sqlite", kind) for kind in SQLITE_OBJECTS),
]
STATEMENTS = {"postgresql": POSTGRES_OBJECTS, "mariadb": MARIADB_OBJECTS, "sqlite": SQLITE_OBJECTS}


@pytest.mark.parametrize(("dialect", "kind"), CASES)
def test_the_guard_refuses_every_kind_of_object_it_did_not_create(
    check: Callable[..., RollbackChecker],
    make_db: Callable[[str], str],
    dialect: str,
    kind: str,
) -> None:
    url = make_db(dialect)
    _run_sql(url, *STATEMENTS[dialect][kind])
    with pytest.raises(SafetyError, match="refusing to run rollback checks") as refused:
        check(url)
    line = str(refused.value)
    assert "\n" not in line and "allow_existing_data=True" in line
    expected = {
        "view": "view v",
        "materialized view": "materialized view mv",
        "sequence": "sequence invoice_numbers",
        "enum": "type mood",
        "domain": "domain email",
        "function": "function answer",
        "trigger": "trigger audit on audited",
        "other schema": "table(s) 'vault.secrets' already hold rows",
    }[kind]
    assert expected in line


def test_empty_public_with_data_behind_a_view_is_refused_and_left_alone(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("postgresql")
    _run_sql(
        url,
        "CREATE SCHEMA vault",
        "CREATE TABLE vault.secrets (id int PRIMARY KEY, secret text)",
        "INSERT INTO vault.secrets VALUES (1, 'kept')",
        "CREATE TABLE public.accounts_archive (id int)",
        "CREATE VIEW public.secrets AS SELECT * FROM vault.secrets",
    )
    with pytest.raises(SafetyError) as refused:
        check(url)
    assert "'vault.secrets' already hold rows" in str(refused.value)
    assert "view secrets" in str(refused.value)
    assert _query(url, "SELECT secret FROM public.secrets") == [("kept",)]
    assert _tables(url) == {"accounts_archive"}


def test_allow_existing_data_keeps_every_object_of_the_user(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("postgresql")
    _run_sql(
        url,
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "INSERT INTO customers VALUES (1, 'kept')",
        "CREATE VIEW customer_names AS SELECT name FROM customers",
        "CREATE SEQUENCE invoice_numbers",
        "CREATE TYPE mood AS ENUM ('ok', 'sad')",
        "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'",
    )
    checker = check(url, allow_existing_data=True)
    assert [r.passed for r in checker.check_all()] == [True, False]
    checker.close()
    assert _query(url, "SELECT name FROM customer_names") == [("kept",)]
    assert _query(url, "SELECT nextval('invoice_numbers'), answer(), 'ok'::mood") == [(1, 42, "ok")]
    assert _tables(url) == {"customers"}


def test_allow_existing_data_keeps_the_users_view_on_mariadb(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("mariadb")
    _run_sql(
        url,
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "INSERT INTO customers VALUES (1, 'kept')",
        "CREATE VIEW customer_names AS SELECT name FROM customers",
    )
    checker = check(url, allow_existing_data=True)
    checker.check_all()
    checker.close()
    assert _query(url, "SELECT name FROM customer_names") == [("kept",)]


# -- the run's record: leftovers of a killed run, runs of the same session ------------------

KILLED_RUN = """
import os, sys
from pathlib import Path
from pytest_mrt import MRTConfig
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.runner import AlembicRunner

config = MRTConfig()
runner = AlembicRunner.for_config(Path(sys.argv[1]), sys.argv[2], config)
checker = RollbackChecker(runner, config)
checker.check_revision("f002")
os._exit(0)  # killed: no cleanup
"""


def test_leftovers_of_a_killed_run_are_recognised_and_removed(
    check: Callable[..., RollbackChecker],
    db_url: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(PROJECT / "alembic.ini"), db_url], check=True
    )
    assert {"accounts", "alembic_version", "_mrt_run"} <= _tables(db_url)
    assert _query(db_url, "SELECT COUNT(*) FROM accounts") != [(0,)]
    capfd.readouterr()
    checker = check(db_url)  # not refused: the rows are this tool's own
    err = capfd.readouterr().err
    assert "mrt: removed what an earlier pytest-mrt run (pid " in err
    assert "left in" in err and "when it was stopped: 'accounts', 'alembic_version'" in err
    assert [r.passed for r in checker.check_all()] == [True, False]
    checker.close()
    assert _tables(db_url) == set()


def test_a_killed_run_never_takes_the_users_objects_with_it(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("postgresql")
    _run_sql(
        url,
        "CREATE TABLE customers (id int PRIMARY KEY)",
        "INSERT INTO customers VALUES (1)",
        "CREATE TYPE mood AS ENUM ('ok')",
    )
    script = KILLED_RUN.replace("MRTConfig()", "MRTConfig(allow_existing_data=True)")
    subprocess.run([sys.executable, "-c", script, str(PROJECT / "alembic.ini"), url], check=True)
    with pytest.raises(SafetyError, match=r"'customers' already hold rows and type mood"):
        check(url)
    # The leftovers went, with the copy the killed run had made; the user's objects did not.
    name = url.rsplit("/", 1)[1]
    copies = f"SELECT COUNT(*) FROM pg_database WHERE starts_with(datname, '{name}_mrt_copy_')"
    assert _query(url, copies) == [(0,)]
    assert _tables(url) == {"customers"}
    assert _query(url, "SELECT 'ok'::mood, (SELECT COUNT(*) FROM customers)") == [("ok", 1)]


def test_items_then_the_fixture_in_one_session_share_the_database(
    pytester: pytest.Pytester, db_url: str
) -> None:
    pytester.copy_example("dropped_column")
    # The per-revision items first, then the fixture test, on one database.
    pytester.makeconftest(
        textwrap.dedent(
            """
            import pytest

            @pytest.hookimpl(trylast=True)
            def pytest_collection_modifyitems(items):
                items.sort(key=lambda item: not item.name.startswith("test_migration"))
            """
        )
    )
    result = pytester.runpytest("--mrt", "--mrt-db-url", db_url, "-p", "no:randomly")
    out = result.stdout.str()
    assert "refusing" not in out
    # f002 is unsafe: its item and the fixture's whole-history test fail on it, nothing else.
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*Column 'accounts.phone': values changed after rollback*"])
    assert _tables(db_url) == set()


def test_the_marker_table_is_never_seen_by_snapshots_or_the_seeder(
    check: Callable[..., RollbackChecker], db_url: str
) -> None:
    checker = check(db_url)
    checker.runner.upgrade("f001")
    assert "_mrt_run" in _tables(db_url)
    assert "_mrt_run" not in checker.engine.snapshot().tables
    assert checker.check_revision("f001").passed
    checker.close()
    assert _tables(db_url) == set()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_cleanup_drops_tables_whose_foreign_keys_form_a_cycle(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str], dialect: str
) -> None:
    # prefect's flow_run <-> flow_run_state: neither can be dropped first without CASCADE.
    url = make_db(dialect)
    checker = check(url)
    checker.check_all()
    _run_sql(
        url,
        "CREATE TABLE run_a (id INTEGER PRIMARY KEY, b_id INTEGER)",
        "CREATE TABLE run_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES run_a (id))",
        *(
            []
            if dialect == "sqlite"
            else [
                "ALTER TABLE run_a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES run_b (id)"
            ]
        ),
    )
    checker.close()
    assert not {"run_a", "run_b", "accounts", "_mrt_run"} & _tables(url)


# -- allow_existing_data never destroys real data --------------------------------------------


def _at_head_with_rows(url: str) -> None:
    runner = AlembicRunner.for_config(PROJECT / "alembic.ini", url, MRTConfig())
    try:
        runner.upgrade("head")
    finally:
        runner.dispose()
    # The runner's run ended with it (no marker left): the database is as Alembic alone made it.
    assert "_mrt_run" not in _tables(url)
    _run_sql(url, "INSERT INTO accounts (id, name, email) VALUES (1, 'ann', 'ann@example.com')")


def test_a_cleanup_that_failed_keeps_the_record_for_the_next_run(
    make_db: Callable[[str], str], capfd: pytest.CaptureFixture[str]
) -> None:
    from pytest_mrt import DatabaseError

    url = make_db("postgresql")
    # The timeout bounds the cleanup's wait for the lock below; it must leave the upgrade
    # room on a loaded machine (1 s did not, with other builds running).
    config = MRTConfig(migration_timeout=10)
    runner = AlembicRunner.for_config(PROJECT / "alembic.ini", url, config)
    checker = RollbackChecker(runner, config)
    assert checker.check_revision("f001").passed
    # Another session holds a lock on what the run created: the cleanup cannot drop it.
    locker = sa.create_engine(url)
    conn = locker.connect()
    conn.exec_driver_sql("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
    try:
        with pytest.raises(DatabaseError, match="could not drop what this run created"):
            checker.close()
    finally:
        conn.close()
        locker.dispose()
    runner.dispose()
    # The record stays, so the next run knows these tables are this tool's leftovers.
    assert "_mrt_run" in _tables(url)
    capfd.readouterr()
    again = RollbackChecker(AlembicRunner.for_config(PROJECT / "alembic.ini", url, config), config)
    assert "mrt: removed what an earlier pytest-mrt run" in capfd.readouterr().err
    again.close()
    again.runner.dispose()
    assert _tables(url) == set()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_setup_database_runs_on_the_copy_never_on_the_users_database(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str], dialect: str
) -> None:
    url = make_db(dialect)
    _run_sql(url, "CREATE VIEW v AS SELECT 1 AS one")  # no table: only a view of the user

    def setup(conn: sa.Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE from_setup (id int)")

    checker = check(url, allow_existing_data=True, setup_database=setup)
    assert checker.runner.db_url != url  # working on the copy
    assert "from_setup" in _tables(checker.runner.db_url)
    assert "from_setup" not in _tables(url)
    checker.check_all()
    checker.close()
    assert _tables(url) == set()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_allow_existing_data_checks_a_copy_and_leaves_the_database_as_it_was(
    check: Callable[..., RollbackChecker],
    make_db: Callable[[str], str],
    dialect: str,
) -> None:
    url = make_db(dialect)
    _at_head_with_rows(url)
    checker = check(url, allow_existing_data=True)
    assert checker.runner.db_url != url  # working on the copy
    copy_url = checker.runner.db_url
    results = checker.check_all()
    assert [r.revision for r in results] == ["f001", "f002"]
    assert not results[1].passed  # f002 drops a column: still found, on the copy
    checker.close()
    # The user's database: still at head, its row intact; the copy is gone.
    assert _query(url, "SELECT version_num FROM alembic_version") == [("f002",)]
    assert _query(url, "SELECT id, name FROM accounts") == [(1, "ann")]
    assert _tables(url) == {"accounts", "alembic_version"}
    if dialect == "sqlite":
        assert not Path(copy_url.split("///", 1)[1]).exists()
    else:
        copy_name = copy_url.rsplit("/", 1)[1]
        assert _query(url, f"SELECT COUNT(*) FROM pg_database WHERE datname = '{copy_name}'") == [
            (0,)
        ]


def test_allow_existing_data_on_postgres_needs_the_source_to_itself(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("postgresql")
    _at_head_with_rows(url)
    other = sa.create_engine(url)
    try:
        # Another session on the source: no copy can be made.
        with (
            other.connect(),
            pytest.raises(SafetyError, match=r"cannot copy .* to check it safely") as err,
        ):
            check(url, allow_existing_data=True)
    finally:
        other.dispose()
    assert "\n" not in str(err.value) and "close the other sessions" in str(err.value)
    assert _query(url, "SELECT id FROM accounts") == [(1,)]


def test_allow_existing_data_on_mariadb_refuses_to_downgrade_past_the_rows(
    check: Callable[..., RollbackChecker], make_db: Callable[[str], str]
) -> None:
    url = make_db("mariadb")
    _at_head_with_rows(url)
    checker = check(url, allow_existing_data=True)
    with pytest.raises(SafetyError) as err:
        checker.check_all()
    line = str(err.value)
    assert line.startswith("refusing to check f001 on ")
    assert "below revision f002" in line and "cannot copy a database" in line
    with pytest.raises(SafetyError, match="refusing to check f002 "):
        checker.check_revision("f002")
    checker.close()
    assert _query(url, "SELECT version_num FROM alembic_version") == [("f002",)]
    assert _query(url, "SELECT id, name FROM accounts") == [(1, "ann")]


# -- R4: migration_timeout is a bound -------------------------------------------------------

SLEEPY = '''"""sleeps in Python, then leaves a trace

Revision ID: t002
Revises: t001
"""

import os
import time
from pathlib import Path

revision = "t002"
down_revision = "t001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    try:
        time.sleep(20)
    except Exception:  # a migration's own handler must not swallow the timeout
        pass
    Path(os.environ["MRT_TEST_TRACE"]).write_text("the step ran to its end")


def downgrade() -> None:
    pass
'''


def test_a_python_step_is_stopped_at_the_timeout(
    check: Callable[..., RollbackChecker],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    project = tmp_path / "sleepy"
    shutil.copytree(EXAMPLES / "slow_migration", project)
    (project / "migrations" / "versions" / "t002.py").write_text(SLEEPY)
    trace = tmp_path / "trace"
    monkeypatch.setenv("MRT_TEST_TRACE", str(trace))
    config = MRTConfig(migration_timeout=1)
    runner = AlembicRunner.for_config(project / "alembic.ini", db_url, config)
    checker = RollbackChecker(runner, config)
    try:
        results = {r.revision: r for r in checker.check_all()}
    finally:
        checker.close()
        runner.dispose()
    assert results["t002"].failures == ["upgrade failed: timed out after 1 s"]
    assert results["t002"].status == "failed"
    # The sleep was cut short: the code after it never ran (it would have after 20 s).
    assert not trace.exists()


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_the_engines_own_statements_are_bounded_on_the_server(
    make_db: Callable[[str], str], dialect: str
) -> None:
    import threading

    from pytest_mrt import DatabaseError, _core

    url = make_db(dialect)
    _run_sql(url, "CREATE TABLE accounts (id int PRIMARY KEY)", "INSERT INTO accounts VALUES (1)")
    locker = sa.create_engine(url)
    conn = locker.connect()
    lock = {
        "postgresql": "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
        "mariadb": "LOCK TABLES accounts WRITE",
    }[dialect]
    conn.exec_driver_sql(lock)
    # Without a bound the read below would wait for the lock: released after 30 s so that a
    # missing bound fails this test instead of hanging it.
    release = threading.Timer(30, conn.close)
    release.start()
    engine = _core.Engine(url, timeout=1)
    try:
        schema = engine.snapshot()
        # The server's own bound, or the engine's deadline just before it (which cancels).
        with pytest.raises(DatabaseError, match=r"timeout|interrupted|exceeded|timed out"):
            engine.fingerprint(schema)
    finally:
        release.cancel()
        engine.close()
        conn.close()
        locker.dispose()


# -- R4: a server that stops answering -------------------------------------------------------


class BlackHole:
    """A TCP proxy to a real server that stops forwarding once ``flag`` exists: to whoever
    connects through it the server seems frozen (SIGSTOP, a network black hole), while the
    shared server itself is never touched. Connections stay open; nothing more is answered."""

    def __init__(self, port: int, flag: Path) -> None:
        import socket
        import threading

        self.upstream = port
        self.flag = flag
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: dict[socket.socket, socket.socket] = {}
        self.held: list[socket.socket] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import select
        import socket

        while not self.stopped:
            frozen = self.flag.exists()
            watched = [self.listener] if frozen else [self.listener, *self.pairs]
            ready, _, _ = select.select(watched, [], [], 0.1)
            for sock in ready:
                if sock is self.listener:
                    client, _ = self.listener.accept()
                    if frozen:
                        self.held.append(client)  # accepted, never answered
                        continue
                    server = socket.create_connection(("127.0.0.1", self.upstream))
                    self.pairs[client], self.pairs[server] = server, client
                    continue
                if self.flag.exists():
                    break
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                peer = self.pairs.get(sock)
                if not data or peer is None:
                    self._drop(sock)
                    continue
                peer.sendall(data)

    def _drop(self, sock: object) -> None:
        peer = self.pairs.pop(sock, None)  # type: ignore[call-overload]
        if peer is not None:
            self.pairs.pop(peer, None)
            peer.close()
        sock.close()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.stopped = True
        self.thread.join()
        for sock in [*self.pairs, *self.held, self.listener]:
            sock.close()


FREEZING = '''"""the server stops answering in the middle of this upgrade

Revision ID: t002
Revises: t001
"""

import os
from pathlib import Path

from alembic import op

revision = "t002"
down_revision = "t001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    Path(os.environ["MRT_TEST_FREEZE"]).touch()
    op.execute("SELECT 1")


def downgrade() -> None:
    pass
'''

WRAPPED = """
import anyio
from pytest_mrt import MRTConfig


def pytest_configure(config):
    config._mrt_config = MRTConfig(
        wrap_alembic=lambda call: anyio.run(anyio.to_thread.run_sync, call)
    )
"""


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("wrapped", [False, True], ids=["main-thread", "wrap_alembic"])
def test_a_server_that_stops_answering_ends_the_run_as_timed_out(
    pytester: pytest.Pytester,
    make_db: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
    wrapped: bool,
) -> None:
    from sqlalchemy.engine import make_url

    url = make_db(dialect)
    real = make_url(url)
    flag = tmp_path / "frozen"
    proxy = BlackHole(real.port or {"postgresql": 5432, "mariadb": 3306}[dialect], flag)
    through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    pytester.copy_example("slow_migration")
    (pytester.path / "migrations" / "versions" / "t002.py").write_text(FREEZING)
    if wrapped:
        pytester.makeconftest(WRAPPED)
    monkeypatch.setenv("MRT_TEST_FREEZE", str(flag))
    try:
        # The hang guard: without a bound the run never ends (killed here after 240 s).
        result = pytester.runpytest_subprocess(
            "--mrt", "--mrt-db-url", through, "-k", "test_migration", timeout=240
        )
    finally:
        proxy.close()
    out = result.stdout.str()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*migration t002*",
            "*- upgrade failed: timed out after 1 s: the database server did not answer",
            "*migration t003*",
            # Not judged on a server that does not answer.
            "*- blocked: not checked, the database server stopped answering during the check "
            "of t002 *",
        ]
    )
    assert "Traceback" not in out and "_OutOfTime" not in out
    # The cleanup could not reach the server either: one line, and the record stays...
    err = result.stderr.str()
    assert "mrt: could not drop what this run created: " in err
    assert "the database server did not answer (the next run on this database removes it)" in err
    assert {"accounts", "_mrt_run"} <= _tables(url)
    # ...so the next run, with the server answering, removes what this one left.
    again = pytester.runpytest_subprocess(
        "--mrt", "--mrt-db-url", url, "-k", "t001", "-s", timeout=240
    )
    again.assert_outcomes(passed=1)
    assert "mrt: removed what an earlier pytest-mrt run (pid " in again.stderr.str()
    assert _tables(url) == set()


def test_the_engine_waits_for_a_sqlite_lock_no_longer_than_the_timeout(tmp_path: Path) -> None:
    import sqlite3
    import threading

    from pytest_mrt import DatabaseError, _core

    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, check_same_thread=False)
    holder.execute("CREATE TABLE accounts (id int)")
    holder.commit()
    holder.execute("BEGIN EXCLUSIVE")
    # Released after 60 s, so that a missing bound fails this test instead of hanging it.
    release = threading.Timer(60, holder.rollback)
    release.start()
    engine = _core.Engine(f"sqlite:///{path}", timeout=1)
    try:
        with pytest.raises(DatabaseError, match=r"the engine's snapshot timed out after 1 s"):
            engine.snapshot()
    finally:
        release.cancel()
        engine.close()
        holder.close()
