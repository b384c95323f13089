"""The native engine on its own: SQLAlchemy URL forms, big tables, errors."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from pytest_mrt import DatabaseError, UsageError, _core


def test_driver_suffixes_and_query_options_are_understood(make_db: Callable[[str], str]) -> None:
    pg = make_db("postgresql")
    my = make_db("mariadb")
    for url in (
        pg.replace("postgresql://", "postgresql+psycopg2://") + "?sslmode=disable",
        pg.replace("postgresql://", "postgresql+psycopg://") + "?connect_timeout=5",
        my,  # mysql+pymysql://
        my.replace("mysql+pymysql://", "mysql+mysqldb://") + "?charset=utf8mb4",
        my.replace("mysql+pymysql://", "mariadb+pymysql://"),
    ):
        engine = _core.Engine(url)
        assert engine.snapshot().tables == []
        engine.close()


def test_errors_are_one_line_and_masked() -> None:
    with pytest.raises(UsageError, match=r"unsupported dialect 'oracle'"):
        _core.Engine("oracle://u:pw@h/db")
    with pytest.raises(DatabaseError) as err:
        _core.Engine("postgresql://someone:hunter2@127.0.0.1:1/nowhere")
    text = str(err.value)
    assert "hunter2" not in text and "someone:***@" in text and "\n" not in text
    assert _core.redact_url("x mysql://root:pw@h/db y") == "x mysql://root:***@h/db y"


def test_big_tables_are_read_in_parallel_and_counted(make_db: Callable[[str], str]) -> None:
    url = make_db("postgresql")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name in ("wide_a", "wide_b"):
            conn.exec_driver_sql(f"CREATE TABLE {name} (id INT PRIMARY KEY, pad TEXT)")
            # Over the 16 MB a table needs before it gets its own connection.
            conn.exec_driver_sql(
                f"INSERT INTO {name} SELECT g, repeat(md5(g::text), 4) "
                "FROM generate_series(1, 120000) g"
            )
        conn.exec_driver_sql("CREATE TABLE small (id INT PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO small VALUES (1), (2)")
        size = conn.exec_driver_sql("SELECT pg_relation_size('wide_a')").scalar_one()
        assert size > 16 * 1024 * 1024, "the table must be big enough to take the parallel path"
    engine.dispose()
    native = _core.Engine(url)
    schema = native.snapshot()
    before = native.fingerprint(schema)
    assert [before.row_count(t) for t in ("wide_a", "wide_b", "small")] == [120000, 120000, 2]
    assert before.compare(native.fingerprint(schema)) == []
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE wide_b SET pad = upper(pad) WHERE id <= 10")
    engine.dispose()
    [changed] = before.compare(native.fingerprint(schema))
    assert str(changed) == "Column 'wide_b.pad': values changed after rollback (10 rows)"
    assert (changed.kind, changed.table, changed.loses_data) == ("values_changed", "wide_b", True)
    native.close()


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_interrupt_cancels_a_blocked_read(make_db: Callable[[str], str], dialect: str) -> None:
    url = make_db(dialect)
    holder = sa.create_engine(url)
    with holder.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE locked (id INT PRIMARY KEY)")
    native = _core.Engine(url)
    schema = native.snapshot()
    conn = holder.connect()
    # Another session holds the table, so the engine's read waits until it is cancelled.
    if dialect == "postgresql":
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
    else:
        conn.exec_driver_sql("LOCK TABLES locked WRITE")
    done = threading.Event()

    def keep_interrupting() -> None:
        while not done.wait(0.2):
            native.interrupt()

    canceller = threading.Thread(target=keep_interrupting)
    canceller.start()
    try:
        with pytest.raises(DatabaseError, match=r"cancel|interrupt"):
            native.fingerprint(schema)
    finally:
        done.set()
        canceller.join()
        if dialect == "postgresql":
            conn.exec_driver_sql("ROLLBACK")
        else:
            conn.exec_driver_sql("UNLOCK TABLES")
        conn.close()
        holder.dispose()
        native.close()


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_cancel_backend_cancels_a_python_drivers_statement(
    make_db: Callable[[str], str], dialect: str
) -> None:
    # The one cancel the runner's watchdog uses for the Python drivers' connections.
    url = make_db(dialect)
    engine = sa.create_engine(url)
    conn = engine.connect()
    raw = conn.connection.driver_connection
    backend = raw.info.backend_pid if dialect == "postgresql" else raw.thread_id()
    sleep = "SELECT pg_sleep(60)" if dialect == "postgresql" else "SELECT SLEEP(60)"
    answers: list[bool] = []
    cancel = threading.Timer(
        0.5, lambda: answers.append(_core.cancel_backend(url, backend, timeout=5))
    )
    cancel.start()
    try:
        with pytest.raises(sa.exc.OperationalError, match=r"cancel|interrupted"):
            conn.exec_driver_sql(sleep)
    finally:
        cancel.join()
        conn.close()
        engine.dispose()
    assert answers == [True]
    # A connection that does not exist: the server answers, there is nothing to cancel.
    assert _core.cancel_backend(url, 2_000_000_000, timeout=5) is True


def test_cancel_backend_reports_a_server_that_does_not_answer() -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused
        port = listener.getsockname()[1]
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        assert _core.cancel_backend(url, 1, timeout=2) is False
        assert _core.cancel_backend(url.replace("postgresql", "mysql+pymysql"), 1, 2) is False


def test_no_answer_carries_its_timeout_and_reason_as_attributes() -> None:
    # Read as data by the checker (dynamic.RollbackChecker._stopped_answering), never parsed.
    error = _core.no_answer("upgrade head", 2.5)
    assert isinstance(error, _core.NoAnswerError) and isinstance(error, DatabaseError)
    assert error.seconds == 2.5
    assert error.reason == "timed out after 2.5 s: the database server did not answer"
    assert str(error) == f"upgrade head: {error.reason}"
