"""Alembic, run in-process against the test database.

The database URL reaches the user's env.py twice, so both common env.py shapes work: as
``sqlalchemy.url`` (env.py calling ``engine_from_config``) and as an open connection in
``config.attributes["connection"]`` (the pytest-alembic / Alembic cookbook pattern). With
``alembic_db_url`` (async templates) env.py gets only that URL, and no connection.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._core import driver_extra, remember_url, table_of_error
from ._core import redact_url as redact
from .safety import MARKER

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

    from . import _core
    from .config import MRTConfig
    from .safety import Run


class MigrationError(Exception):
    """An Alembic step or the database behind it failed. The message is one redacted line.

    What failed is carried as data too: ``statement`` (the SQL the database refused, one
    line), ``table`` (the table it names) and ``in_env_py`` (the error came from env.py
    itself, not from a revision).
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        statement: str | None = None,
        table: str | None = None,
        in_env_py: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason if reason is not None else message
        """The error alone, without the command in front (one line)."""
        self.statement = statement
        self.table = table
        self.in_env_py = in_env_py


class MigrationTimeout(MigrationError):
    """A step ran longer than ``migration_timeout`` and was interrupted."""


class _OutOfTime(BaseException):
    """Raised into a step by the ``migration_timeout`` watchdog. A BaseException, so that a
    migration's own ``except Exception`` cannot swallow it."""


ANSWER_GRACE_S = 5.0
"""How long the server may take to answer the cancel of a step that ran out of time before
it counts as not answering (the Rust engine uses the same grace)."""


def _raise_in(thread_id: int) -> None:
    """Raise `_OutOfTime` in another thread at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(_OutOfTime)
    )


def _socket_of(dbapi: Any) -> int | None:
    """The socket of a DBAPI connection (psycopg2/psycopg ``fileno()``, PyMySQL ``_sock``);
    None for SQLite or a driver that does not show it."""
    dbapi = getattr(dbapi, "driver_connection", dbapi)
    with contextlib.suppress(Exception):
        return int(dbapi.fileno())
    with contextlib.suppress(Exception):
        return int(dbapi._sock.fileno())
    return None


def _shut_down(fd: int) -> None:
    """Shut down a socket under its driver: a call blocked on it returns with an error."""
    with contextlib.suppress(OSError):
        dup = socket.socket(fileno=os.dup(fd))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()


class _Watchdog:
    """Bounds one step (or one read of the database) to ``seconds``, in any thread.

    At the deadline the statements of every connection the step checked out are cancelled
    (SQLite interrupt, PostgreSQL cancel request, MySQL ``KILL QUERY``), and the step's Python
    code is interrupted: SIGALRM in the main thread, an asynchronous exception in another one
    (``wrap_alembic`` running it in a worker thread). When the step has not ended
    `ANSWER_GRACE_S` later, or the cancel got no answer, the server did not answer: the
    connections' sockets are shut down, which makes a driver call blocked on them return.
    """

    def __init__(self, seconds: float, cancel: Callable[[Any], bool]) -> None:
        self.seconds = seconds
        self._cancel = cancel
        self.connections: list[Any] = []
        self.step_thread: int | None = None
        self.expired = False
        self._alarm = False
        self.unanswered = False
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def checked_out(self, dbapi: Any, *_args: Any) -> None:
        """SQLAlchemy's pool ``checkout`` event: one more connection of the step."""
        self.connections.append(dbapi)

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        event.listen(Pool, "checkout", self.checked_out)
        # SIGALRM sent to the main thread itself (not by a process-wide timer, which any other
        # thread may receive), unless someone else's alarm is in use.
        self._alarm = (
            threading.current_thread() is threading.main_thread()
            and hasattr(signal, "pthread_kill")
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        )
        previous: Any = None
        if self._alarm:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
        thread = threading.Thread(target=self._watch, daemon=True, name="mrt-watchdog")
        thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._done.set()
            if self._alarm:
                signal.signal(signal.SIGALRM, previous)
            event.remove(Pool, "checkout", self.checked_out)
            if self.expired and not self._cancelled.wait(ANSWER_GRACE_S):
                self.unanswered = True

    def _on_alarm(self, signum: int, frame: object) -> None:
        """SIGALRM: stop the step's Python code when it runs in the main thread."""
        if self.step_thread in (None, threading.main_thread().ident):
            raise _OutOfTime

    def _expire(self) -> None:
        with self._lock:
            if self.expired:
                return
            self.expired = True
            worker = self.step_thread
            if worker is not None and worker != threading.main_thread().ident:
                _raise_in(worker)
        threading.Thread(target=self._cancel_all, daemon=True, name="mrt-cancel").start()

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """Around the step's own code, in whichever thread runs it."""
        with self._lock:
            self.step_thread = threading.get_ident()
        try:
            yield
        finally:
            with self._lock:
                self.step_thread = None

    def _cancel_all(self) -> None:
        """Cancel every statement; `_cancelled` only when the server answered each cancel."""
        answered = True
        for dbapi in list(self.connections):
            try:
                answered = self._cancel(dbapi) and answered
            except Exception:  # refused (no statement running, a closed connection): it answered
                continue
        if answered:
            self._cancelled.set()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self._expire()
        with self._lock:
            main = threading.main_thread().ident
            if self._alarm and not self._done.is_set() and main is not None:
                signal.pthread_kill(main, signal.SIGALRM)
        if self._done.wait(ANSWER_GRACE_S):
            return
        self.unanswered = True
        for dbapi in list(self.connections):
            fd = _socket_of(dbapi)
            if fd is not None:
                _shut_down(fd)


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception, with passwords masked."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    if not text or isinstance(inner, (KeyError, AttributeError, IndexError, TypeError)):
        # Alone, "'body'" (a KeyError from inside Alembic) tells the reader nothing.
        text = f"{type(inner).__name__}: {text}" if text else type(inner).__name__
    first = text.splitlines()[0].strip()
    return redact(first)


# Errors from inside env.py that a config option answers → the hint.
_ENV_HINTS = (
    (
        "Not running inside an AnyIO worker thread",
        "env.py needs an AnyIO worker thread: set MRTConfig(wrap_alembic=lambda call: "
        "anyio.run(anyio.to_thread.run_sync, call))",
    ),
    (
        "requires an async driver",
        "env.py builds an async engine: set MRTConfig(alembic_db_url=...) to the same "
        "database with an async driver (postgresql+asyncpg://, sqlite+aiosqlite://, "
        "mysql+aiomysql://)",
    ),
    (
        "greenlet_spawn has not been called",
        "env.py runs async code on a sync URL: set MRTConfig(alembic_db_url=...) to the same "
        "database with an async driver",
    ),
    (
        "is not async",
        "env.py builds an async engine: set MRTConfig(alembic_db_url=...) to the same "
        "database with an async driver (postgresql+asyncpg://, sqlite+aiosqlite://, "
        "mysql+aiomysql://)",
    ),
)


# Drivers that take `connect_timeout` (seconds).
_CONNECT_TIMEOUT = ("psycopg2", "psycopg", "pymysql")


def _one_statement(statement: str) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _table_of(exc: BaseException, statement: str | None) -> str | None:
    """The table a database error names: the driver's diagnostics, else the message or the
    statement it refused, read in Rust (`table_of_error`)."""
    inner = getattr(exc, "orig", None) or exc
    diag = getattr(inner, "diag", None)
    named = getattr(diag, "table_name", None) or getattr(inner, "table_name", None)
    return table_of_error(named if isinstance(named, str) else None, str(inner), statement)


def alembic_config(alembic_ini: Path, versions_dir: Path | None = None, **kwargs: Any) -> Config:
    """alembic.ini as Alembic reads it; ``versions_dir`` (``MRTConfig.versions_dir``, already
    located) replaces the folders it names."""
    from alembic.config import Config

    cfg = Config(str(alembic_ini), **kwargs)
    if versions_dir is not None:
        cfg.set_main_option("version_locations", str(versions_dir))
    return cfg


def versions_folders(script: ScriptDirectory) -> list[Path]:
    """The folders holding the revision files, the one way pytest-mrt finds them (as Alembic
    does): each of ``version_locations`` (which `alembic_config` sets from ``versions_dir``),
    else ``script_location``/versions."""
    from alembic.util import coerce_resource_to_filename

    if script.version_locations:
        return [
            Path(coerce_resource_to_filename(str(location))).absolute()
            for location in script.version_locations
        ]
    return [Path(script.dir, "versions").absolute()]


class AlembicRunner:
    """One alembic.ini, one `ScriptDirectory`, one engine on the test database."""

    def __init__(
        self,
        alembic_ini: Path,
        db_url: str,
        *,
        versions_dir: Path | None = None,
        timeout: float | None = None,
        setup_database: Callable[[Connection], None] | None = None,
        wrap_alembic: Callable[[Callable[[], Any]], Any] | None = None,
        alembic_db_url: str | None = None,
    ) -> None:
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        if not alembic_ini.is_file():
            raise MigrationError(
                f"alembic.ini not found: {alembic_ini} (set MRTConfig.alembic_ini)"
            )
        # From now on every message masks this URL's secrets, also outside any URL.
        remember_url(db_url)
        self.db_url = db_url
        self.timeout = timeout
        self.setup_database = setup_database
        self.wrap_alembic = wrap_alembic
        self.alembic_db_url = alembic_db_url or None
        if self.alembic_db_url:
            remember_url(self.alembic_db_url)
        # setup_database has not run on this database yet (see `set_up`).
        self.needs_setup = setup_database is not None
        self._output = io.StringIO()
        cfg = alembic_config(alembic_ini, versions_dir, stdout=self._output)
        # ConfigParser interpolation treats '%' specially; URL-encoded passwords contain it.
        env_url = self.alembic_db_url or db_url
        cfg.set_main_option("sqlalchemy.url", env_url.replace("%", "%%"))
        self.config: Config = cfg
        self.version_table = "alembic_version"
        # What was in the database before this runner first migrated anything (the safety
        # guard and cleanup read it); None until the first step.
        self.run: Run | None = None
        try:
            self.script: ScriptDirectory = ScriptDirectory.from_config(cfg)
        except CommandError as exc:
            raise MigrationError(f"{alembic_ini}: {one_line(exc)}") from None
        try:
            self.engine: Engine = self._make_engine(db_url)
        except ImportError as exc:
            extra = driver_extra(db_url)
            hint = f" (pip install 'pytest-mrt[{extra}]')" if extra else ""
            raise MigrationError(
                f"no database driver for {redact(db_url)}: {one_line(exc)}{hint}"
            ) from None
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise MigrationError(
                f"invalid database URL {redact(db_url)}: {one_line(exc)}"
            ) from None

    @classmethod
    def for_config(
        cls, alembic_ini: Path, db_url: str, config: MRTConfig, versions_dir: Path | None = None
    ) -> AlembicRunner:
        """A runner with the Alembic-related options of ``config``."""
        return cls(
            alembic_ini,
            db_url,
            versions_dir=versions_dir,
            timeout=config.migration_timeout,
            setup_database=config.setup_database,
            wrap_alembic=config.wrap_alembic,
            alembic_db_url=config.alembic_db_url,
        )

    def repoint(self, database: str) -> None:
        """Run on another database of the same server (or another SQLite file) from now on:
        ``allow_existing_data`` works on a copy of the user's database."""
        from .safety import moved_url

        self.engine.dispose()
        self.db_url = moved_url(self.db_url, database)
        remember_url(self.db_url)
        if self.alembic_db_url:
            self.alembic_db_url = moved_url(self.alembic_db_url, database)
            remember_url(self.alembic_db_url)
        env_url = self.alembic_db_url or self.db_url
        self.config.set_main_option("sqlalchemy.url", env_url.replace("%", "%%"))
        self.engine = self._make_engine(self.db_url)

    def _make_engine(self, url: str) -> Engine:
        """The runner's SQLAlchemy engine. With ``timeout``, connecting is bounded too (a
        server that accepts the connection but never answers would hang it)."""
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        args: dict[str, Any] = {}
        parsed = make_url(url)
        driver = parsed.get_driver_name()
        if self.timeout and driver in _CONNECT_TIMEOUT and "connect_timeout" not in parsed.query:
            # libpq counts whole seconds and at least 2.
            args["connect_timeout"] = max(2, int(-(-self.timeout // 1)))
        return create_engine(url, poolclass=NullPool, connect_args=args)

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return redact(self.db_url)

    @property
    def dialect(self) -> str:
        """SQLAlchemy's dialect name: ``sqlite``, ``postgresql``, ``mysql`` or ``mariadb``."""
        return self.engine.dialect.name

    def ping(self) -> None:
        """Connect once, so a wrong URL fails here with a clear message."""
        try:
            with self.engine.connect():
                pass
        except Exception as exc:
            raise MigrationError(f"cannot connect to {self.url}: {one_line(exc)}") from None

    # -- the revision graph -------------------------------------------------------------

    def walk_revisions(self) -> list[Script]:
        """Every revision from base to the heads, parents before children."""
        return list(reversed(list(self.script.walk_revisions("base", "heads"))))

    def heads(self) -> tuple[str, ...]:
        return tuple(self.script.get_heads())

    def resolve(self, revision: str) -> Script:
        """The `Script` for an id, a unique prefix, ``head`` or a branch label."""
        from alembic.util.exc import CommandError

        try:
            script = self.script.get_revision(revision)
        except CommandError as exc:
            raise MigrationError(f"unknown revision {revision!r}: {one_line(exc)}") from None
        if script is None:
            raise MigrationError(f"unknown revision {revision!r}")
        return script

    def current(self) -> tuple[str, ...]:
        """The revisions the database is at (empty at base)."""
        from alembic.runtime.migration import MigrationContext

        try:
            with self._deadline("reading the current revision"), self.engine.connect() as conn:
                return tuple(
                    MigrationContext.configure(
                        conn, opts={"version_table": self.version_table}
                    ).get_current_heads()
                )
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(f"cannot read the current revision: {one_line(exc)}") from None

    def begin_run(
        self,
        engine: _core.Engine | None = None,
        guard: Callable[[Run], bool] | None = None,
        run: Run | None = None,
    ) -> Run:
        """Start the run: take the inventory (see `pytest_mrt.safety`; ``run`` when it is
        known already), let ``guard`` refuse it, run ``setup_database`` on an empty database,
        then record the run in the marker table. ``guard`` returns False when the run will not
        work on this database (it checks a copy): ``setup_database`` then runs on the copy,
        never here."""
        from .safety import Run

        if self.run is None:
            if run is None:
                run = Run.begin(self.db_url, self.version_table, engine, self.timeout)
            here = guard(run) if guard is not None else True
            self.run = run
            if here and self.needs_setup and not self.table_names():
                self.set_up()
            run.record(engine)
        elif guard is not None:
            guard(self.run)
        return self.run

    def set_up(self) -> None:
        """Run ``setup_database`` on the (empty) test database, committed afterwards."""
        self.needs_setup = False
        if self.setup_database is None:
            return
        try:
            with self.engine.begin() as conn:
                self.setup_database(conn)
        except Exception as exc:
            raise MigrationError(f"setup_database failed: {one_line(exc)}") from None

    def table_names(self) -> list[str]:
        """Every table of the test database."""
        from sqlalchemy import inspect

        try:
            with self._deadline(f"reading {self.url}"), self.engine.connect() as conn:
                return [t for t in inspect(conn).get_table_names() if t != MARKER]
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(f"cannot read {self.url}: {one_line(exc)}") from None

    # -- running --------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """``alembic upgrade <revision>``, in-process."""
        self._run("upgrade", revision)

    def downgrade(self, revision: str = "-1") -> None:
        """``alembic downgrade <revision>``, in-process."""
        self._run("downgrade", revision)

    @contextlib.contextmanager
    def writes_counted(self) -> Iterator[list[tuple[str, Any, int]]]:
        """Record each statement sent through SQLAlchemy meanwhile, with the parameters the
        driver received (None after ``executemany``) and the row count it reported (-1:
        unknown), whichever engine env.py builds."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        sent: list[tuple[str, Any, int]] = []

        def record(
            conn: object,
            cursor: Any,
            statement: str,
            parameters: Any,
            context: object,
            executemany: bool,
        ) -> None:  # after_cursor_execute
            count = getattr(cursor, "rowcount", -1)
            params = None if executemany else parameters
            sent.append((statement, params, count if isinstance(count, int) else -1))

        event.listen(Engine, "after_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(Engine, "after_cursor_execute", record)

    def _step(self, command_name: str, revision: str) -> None:
        """What ``alembic.command.upgrade/downgrade`` do, on the scripts loaded once.

        Alembic's command functions reload every revision file on each call; checking a whole
        history makes three calls per revision, so that reload would dominate the run.
        """
        from alembic.runtime.environment import EnvironmentContext
        from alembic.util.exc import CommandError

        if ":" in revision:
            raise CommandError("Range revision not allowed")
        script = self.script

        def upgrade(rev: object, context: object) -> object:
            return script._upgrade_revs(revision, rev)  # type: ignore[arg-type]

        def downgrade(rev: object, context: object) -> object:
            return script._downgrade_revs(revision, rev)  # type: ignore[arg-type]

        fn = upgrade if command_name == "upgrade" else downgrade
        with EnvironmentContext(self.config, script, fn=fn, destination_rev=revision) as env:
            script.run_env()
            # env.py may name its own version table (context.configure(version_table=...)).
            options = getattr(env, "context_opts", None) or {}
            self.version_table = str(options.get("version_table") or "alembic_version")

    def _run(self, command_name: str, revision: str) -> None:
        if self.run is None:
            self.begin_run()
        what = f"{command_name} {revision}"
        with self._deadline(what) as watch:

            def call() -> None:
                with watch.step() if watch is not None else contextlib.nullcontext():
                    self._step(command_name, revision)

            try:
                with self._connection() as conn:
                    if self.alembic_db_url is None:
                        self.config.attributes["connection"] = conn
                    if self.wrap_alembic is not None:
                        self.wrap_alembic(call)
                    else:
                        call()
            except MigrationError:
                raise
            except Exception as exc:
                if watch is not None and watch.expired:
                    raise
                raise self._error(exc, f"alembic {what}") from None
            finally:
                self.config.attributes.pop("connection", None)

    def _error(self, exc: BaseException, what: str) -> MigrationError:
        """One line for a failed step; env.py's own errors name env.py and the option."""
        reason = one_line(exc)
        env_line = self._env_py_frame(exc)
        if env_line is not None:
            hint = next((h for text, h in _ENV_HINTS if text in str(exc)), None)
            reason = f"{env_line} raised: {reason}"
            if hint:
                reason += f" ({hint})"
            return MigrationError(f"{what}: {reason}", reason=reason, in_env_py=True)
        raw = getattr(exc, "statement", None)
        statement = _one_statement(raw) if isinstance(raw, str) and raw.strip() else None
        return MigrationError(
            f"{what}: {reason}",
            reason=reason,
            statement=redact(statement) if statement else None,
            table=_table_of(exc, raw if isinstance(raw, str) else None),
        )

    def _env_py_frame(self, exc: BaseException) -> str | None:
        """``env.py:<line>`` when the exception was raised by env.py (or code it called),
        not by a revision's upgrade()/downgrade(); None otherwise."""
        env_py = str(Path(self.script.env_py_location).resolve())
        frames = traceback.extract_tb(exc.__traceback__)
        env_at = [i for i, f in enumerate(frames) if _same_file(f.filename, env_py)]
        if not env_at:
            return None
        revision_files = {
            str(Path(s.path).resolve()) for s in self.script.walk_revisions("base", "heads")
        }
        after = frames[env_at[-1] + 1 :]
        if any(str(Path(f.filename).resolve()) in revision_files for f in after):
            return None
        return f"env.py ({self.script.env_py_location}:{frames[env_at[-1]].lineno})"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        # No transaction of ours around the step: env.py's `context.begin_transaction()`
        # must own it, or `op.get_context().autocommit_block()` (CREATE INDEX CONCURRENTLY)
        # cannot commit it. Whatever SQLAlchemy auto-began (an env.py without
        # begin_transaction) is committed afterwards so the Rust engine, on its own
        # connection, sees the result.
        with self.engine.connect() as conn:
            yield conn
            if conn.in_transaction():
                conn.commit()

    @contextlib.contextmanager
    def _deadline(self, what: str) -> Iterator[_Watchdog | None]:
        """Bound what runs inside to ``timeout`` seconds (see `_Watchdog`): past it,
        `MigrationTimeout`; `NoAnswerError` when the server did not answer."""
        from ._core import no_answer

        if not self.timeout:
            yield None
            return
        watch = _Watchdog(self.timeout, self._cancel)
        late = f"timed out after {self.timeout:g} s"
        try:
            with watch.watching():
                yield watch
        except BaseException as exc:
            if not watch.expired or isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        if watch.unanswered:
            raise no_answer(what, self.timeout)
        if watch.expired:
            raise MigrationTimeout(f"{what}: {late}", reason=late)

    def _cancel(self, dbapi: Any) -> bool:
        """Cancel the statement a DBAPI connection runs (from the watchdog's thread); False
        when the server did not answer the cancel.

        On a server connection: from a second connection, in SQL, by the engine
        (`_core.cancel_backend`). Not the drivers' own cancel request: psycopg's holds the GIL
        while it waits for the server's answer, so a server that does not answer would freeze
        the whole process."""
        from ._core import cancel_backend

        dbapi = getattr(dbapi, "driver_connection", dbapi)
        if hasattr(dbapi, "interrupt"):
            dbapi.interrupt()  # sqlite3
            return True
        info = getattr(dbapi, "info", None)
        backend = getattr(info, "backend_pid", None)  # psycopg
        if backend is None and hasattr(dbapi, "get_backend_pid"):
            backend = dbapi.get_backend_pid()  # psycopg2
        if backend is None and hasattr(dbapi, "thread_id"):
            backend = dbapi.thread_id()  # PyMySQL
        if backend is None:
            return True
        return cancel_backend(self.db_url, int(backend), self.timeout)

    def dispose(self) -> None:
        if self.run is not None:
            self.run.release()  # the marker goes; what the migrations made stays
        self.engine.dispose()


def _same_file(a: str, b: str) -> bool:
    try:
        return str(Path(a).resolve()) == b
    except OSError:
        return False
