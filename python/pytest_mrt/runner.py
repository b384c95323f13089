"""Alembic, run in-process against the test database.

The database URL reaches the user's env.py twice, so both common env.py shapes work: as
``sqlalchemy.url`` (env.py calling ``engine_from_config``) and as an open connection in
``config.attributes["connection"]`` (the pytest-alembic / Alembic cookbook pattern).
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ._core import redact_url as redact
from ._core import remember_url

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import Connection, Engine


class MigrationError(Exception):
    """An Alembic step or the database behind it failed. The message is one redacted line."""


class MigrationTimeout(MigrationError):
    """A step ran longer than ``migration_timeout`` and was interrupted."""


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception, with passwords masked."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    if not text or isinstance(inner, (KeyError, AttributeError, IndexError, TypeError)):
        # Alone, "'body'" (a KeyError from inside Alembic) tells the reader nothing.
        text = f"{type(inner).__name__}: {text}" if text else type(inner).__name__
    first = text.splitlines()[0].strip()
    return redact(first)


class AlembicRunner:
    """One alembic.ini, one `ScriptDirectory`, one engine on the test database."""

    def __init__(
        self,
        alembic_ini: Path,
        db_url: str,
        *,
        versions_dir: Path | None = None,
        timeout: float | None = None,
    ) -> None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError
        from sqlalchemy import create_engine
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        from sqlalchemy.pool import NullPool

        if not alembic_ini.is_file():
            raise MigrationError(
                f"alembic.ini not found: {alembic_ini} (set MRTConfig.alembic_ini)"
            )
        # From now on every message masks this URL's secrets, also outside any URL.
        remember_url(db_url)
        self.db_url = db_url
        self.timeout = timeout
        self._output = io.StringIO()
        cfg = Config(str(alembic_ini), stdout=self._output)
        # ConfigParser interpolation treats '%' specially; URL-encoded passwords contain it.
        cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
        if versions_dir is not None:
            cfg.set_main_option("version_locations", str(versions_dir))
        self.config: Config = cfg
        self.version_table = "alembic_version"
        # Tables that held rows before this runner first migrated anything (the safety guard
        # of dynamic checks reads it); None until the first step.
        self.rows_before_first_step: list[str] | None = None
        try:
            self.script: ScriptDirectory = ScriptDirectory.from_config(cfg)
        except CommandError as exc:
            raise MigrationError(f"{alembic_ini}: {one_line(exc)}") from None
        try:
            self.engine: Engine = create_engine(db_url, poolclass=NullPool)
        except ImportError as exc:
            extra = "mysql" if "mysql" in db_url.split(":", 1)[0] else "postgres"
            raise MigrationError(
                f"no database driver for {redact(db_url)}: {one_line(exc)} "
                f"(pip install 'pytest-mrt[{extra}]')"
            ) from None
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise MigrationError(
                f"invalid database URL {redact(db_url)}: {one_line(exc)}"
            ) from None

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
            with self.engine.connect() as conn:
                return tuple(
                    MigrationContext.configure(
                        conn, opts={"version_table": self.version_table}
                    ).get_current_heads()
                )
        except Exception as exc:
            raise MigrationError(f"cannot read the current revision: {one_line(exc)}") from None

    def tables_with_rows(self) -> list[str]:
        """Tables (Alembic's version table aside) that hold at least one row."""
        from sqlalchemy import inspect, text

        try:
            with self.engine.connect() as conn:
                quote = conn.dialect.identifier_preparer.quote
                found = []
                for name in inspect(conn).get_table_names():
                    if name == self.version_table:
                        continue
                    if conn.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first():
                        found.append(name)
                return found
        except Exception as exc:
            raise MigrationError(f"cannot read {self.url}: {one_line(exc)}") from None

    # -- running --------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """``alembic upgrade <revision>``, in-process."""
        self._run("upgrade", revision)

    def downgrade(self, revision: str = "-1") -> None:
        """``alembic downgrade <revision>``, in-process."""
        self._run("downgrade", revision)

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
        def step(config: Config, target: str) -> None:
            self._step(command_name, target)

        if self.rows_before_first_step is None:
            self.rows_before_first_step = self.tables_with_rows()
        try:
            with self._connection() as conn, self._deadline(conn, f"{command_name} {revision}"):
                self.config.attributes["connection"] = conn
                step(self.config, revision)
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(f"alembic {command_name} {revision}: {one_line(exc)}") from None
        finally:
            self.config.attributes.pop("connection", None)

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
    def _deadline(self, conn: Connection, what: str) -> Iterator[None]:
        """Interrupt the step when it runs past ``timeout`` seconds."""
        if not self.timeout:
            yield
            return
        timed_out = threading.Event()
        timer = threading.Timer(self.timeout, self._interrupt, args=(conn, timed_out))
        timer.daemon = True
        timer.start()
        try:
            yield
        except Exception:
            if timed_out.is_set():
                raise MigrationTimeout(f"{what}: timed out after {self.timeout:g} s") from None
            raise
        finally:
            timer.cancel()
        if timed_out.is_set():
            raise MigrationTimeout(f"{what}: timed out after {self.timeout:g} s")

    def _interrupt(self, conn: Connection, timed_out: threading.Event) -> None:
        """Cancel the statement running on ``conn`` from the timer thread."""
        timed_out.set()
        raw = conn.connection.dbapi_connection
        with contextlib.suppress(Exception):
            if self.dialect == "sqlite":
                raw.interrupt()  # type: ignore[union-attr]
            elif self.dialect == "postgresql":
                raw.cancel()  # type: ignore[union-attr]
            else:
                # MySQL/MariaDB: KILL QUERY from a second connection.
                thread_id = raw.thread_id()  # type: ignore[union-attr]
                with self.engine.connect() as killer:
                    killer.exec_driver_sql(f"KILL QUERY {int(thread_id)}")

    def dispose(self) -> None:
        self.engine.dispose()
