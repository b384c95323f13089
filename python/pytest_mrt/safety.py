"""What a run may touch (see SPEC "Safety").

A run starts when its runner first migrates or its checker first looks at the database,
whichever comes first. It takes the inventory of every object the user can see (every
schema, every kind: tables, views, materialized views, sequences, types, domains, functions,
triggers; the native ``Engine.inventory``) and records it in the marker table ``_mrt_run``.
Everything not in that inventory is the run's own: cleanup drops exactly that, never what was
there before.

The marker lets a later run recognise what an earlier pytest-mrt run made: a run of this
process that is still open (``pytest --mrt`` items, then the ``mrt`` fixture on the same
database) made objects that are not user data; a run whose process is gone (killed, server
restarted) left leftovers, which are removed with one line saying so.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterator

from . import _core

MARKER = "_mrt_run"

Obj = _core.DbObject
"""(kind, schema, name, table): table is a trigger's table, else empty."""

_LIVE: set[str] = set()
"""Ids of the runs of this process that have not finished."""

_SHOWN = 5


def _some(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def _alive(pid: int, host: str) -> bool | None:
    """Whether the process that recorded a run still runs; None when it ran elsewhere."""
    if host != socket.gethostname():
        return None
    if pid == os.getpid():
        return False  # this process, a run no longer open (the caller checked `_LIVE`)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


@contextlib.contextmanager
def _engine(
    url: str, engine: _core.Engine | None, timeout: float | None = None
) -> Iterator[_core.Engine]:
    """``engine``, or a connection of its own bounded by ``timeout`` (``migration_timeout``)."""
    if engine is not None:
        yield engine
        return
    own = _core.Engine(url, timeout=timeout)
    try:
        yield own
    finally:
        own.close()


@contextlib.contextmanager
def engine_for(run: Run) -> Iterator[_core.Engine | None]:
    """One connection to ``run``'s database for several of its calls; None when it cannot be
    opened (each call then tries on its own, and fails with its own line)."""
    try:
        own = _core.Engine(run.url, timeout=run.timeout)
    except _core.DatabaseError:
        yield None
        return
    try:
        yield own
    finally:
        own.close()


class Run:
    """One pytest-mrt run on one database: what was there before it, and its record."""

    def __init__(
        self,
        url: str,
        dialect: str,
        before: set[Obj],
        busy: list[Obj],
        others: list[Obj],
        timeout: float | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.url = url
        self.timeout = timeout
        """``migration_timeout``: bounds the connections the run opens itself."""
        self.dialect = dialect
        self.before = before
        """Every object there before the run (earlier pytest-mrt runs' objects aside)."""
        self.busy = busy
        """Tables of `before` that hold rows (Alembic's version table aside)."""
        self.others = others
        """Objects of `before` that are not tables: views, sequences, types, functions..."""
        self.finished = False

    @classmethod
    def begin(
        cls,
        url: str,
        version_table: str,
        engine: _core.Engine | None = None,
        timeout: float | None = None,
    ) -> Run:
        """Take the inventory; remove the leftovers of earlier runs whose process is gone."""
        with _engine(url, engine, timeout) as eng:
            before: set[Obj] = set(eng.inventory())
            leftovers: set[Obj] = set()
            dead: list[tuple[str, int]] = []
            for recorded in eng.recorded_runs():
                run_id, pid, host = recorded.run, recorded.pid, recorded.host
                theirs = set(recorded.before)
                # A run's copy of this database (allow_existing_data), not an inventory.
                copies = sorted(o.name for o in theirs if o.kind == "database")
                if run_id in _LIVE:
                    if not copies:
                        before &= theirs  # an open run of this session: its objects are ours
                    continue
                alive = _alive(pid, host)
                if alive is not False:
                    where = f"pid {pid}" if alive else f"pid {pid} on {host}"
                    raise _core.SafetyError(
                        f"refusing to use {eng.url}: another pytest-mrt run ({where}) is "
                        f"using it; wait for it to finish, or if it is gone, drop the table "
                        f"{MARKER}"
                    )
                if copies:
                    for name in copies:
                        drop_copy(moved_url(url, name))
                    eng.forget_run(run_id)
                    sys.stderr.write(
                        f"mrt: dropped {', '.join(copies)}, the copy of {eng.url} that an "
                        f"earlier pytest-mrt run (pid {pid}) made and did not drop when it was "
                        "stopped\n"
                    )
                    continue
                leftovers |= before - theirs
                before &= theirs
                dead.append((run_id, pid))
            if dead:
                failed = eng.drop_objects(sorted(leftovers))
                for run_id, _pid in dead:
                    eng.forget_run(run_id)
                if failed:
                    raise _core.SafetyError(
                        f"cannot remove what an earlier pytest-mrt run left in {eng.url}: "
                        f"{failed[0]}"
                    )
                pids = ", ".join(str(p) for _r, p in dead)
                names = _some([o.shown(eng.dialect) for o in sorted(leftovers)]) or "nothing"
                sys.stderr.write(
                    f"mrt: removed what an earlier pytest-mrt run (pid {pids}) left in "
                    f"{eng.url} when it was stopped: {names}\n"
                )
            tables = [o for o in sorted(before) if o.kind == "table" and o.name != version_table]
            busy = eng.tables_holding_rows(tables) if tables else []
            others = [o for o in sorted(before) if o.kind not in ("table", "schema")]
            dialect = eng.dialect
        return cls(url, dialect, before, busy, others, timeout)

    def on_copy(self, url: str) -> Run:
        """The run on a copy of this run's database, made after this run began: the copy
        holds exactly what this one found, so its inventory is not taken again."""
        return Run(url, self.dialect, set(self.before), self.busy, self.others, self.timeout)

    def refusal(self) -> str | None:
        """The guard's line when the database holds what this run did not create."""
        parts = []
        if self.busy:
            tables = _some([t.shown(self.dialect) for t in self.busy])
            parts.append(f"table(s) {tables} already hold rows")
        if self.others:
            names = _some([o.shown(self.dialect) for o in self.others])
            parts.append(f"{names} already exist{'s' if len(self.others) == 1 else ''}")
        if not parts:
            return None
        redacted = _core.redact_url(self.url)
        return (
            f"refusing to run rollback checks on {redacted}: {' and '.join(parts)}, which this "
            "run did not create; point db_url at a throwaway test database or set "
            "MRTConfig(allow_existing_data=True)"
        )

    def record(self, engine: _core.Engine | None = None) -> None:
        """Write the run into the marker table."""
        with _engine(self.url, engine, self.timeout) as eng:
            eng.record_run(self.id, os.getpid(), socket.gethostname(), sorted(self.before))
        _LIVE.add(self.id)

    def forget(self, engine: _core.Engine | None = None) -> None:
        """Take the run out of the marker table (dropped once empty)."""
        with _engine(self.url, engine, self.timeout) as eng:
            eng.forget_run(self.id)

    def drop_created(self, engine: _core.Engine | None = None) -> None:
        """Drop every object the run created (never one that was there before it)."""
        with _engine(self.url, engine, self.timeout) as eng:
            created = sorted(set(eng.inventory()) - self.before)
            failed = eng.drop_objects(created) if created else []
        if failed:
            raise _core.DatabaseError(
                f"cannot drop what this run created in {_core.redact_url(self.url)}: {failed[0]}"
            )

    def finish(self, engine: _core.Engine | None = None) -> None:
        """Drop what the run created and take it out of the marker table."""
        if self.finished:
            return
        # With the given connection first; it may be gone (server restarted, session killed),
        # so then once more on a new one.
        attempts = (engine, None) if engine is not None else (None,)
        for i, attempt in enumerate(attempts):
            try:
                with _engine(self.url, attempt, self.timeout) as eng:
                    self.drop_created(eng)
                    self.forget(eng)
                break
            except _core.DatabaseError as exc:
                if i == len(attempts) - 1:
                    raise self._unfinished(exc) from None
        self.finished = True
        _LIVE.discard(self.id)

    def release(self) -> None:
        """End a run whose objects stay (a runner disposed without a check's cleanup, as
        ``mrt.upgrade()`` leaves them): take it out of the marker table, drop nothing else."""
        if self.finished:
            return
        with contextlib.suppress(_core.DatabaseError):
            self.forget()
        self.finished = True
        _LIVE.discard(self.id)

    def note_copy(self, database: str) -> None:
        """Record, in this run's database, the copy made of it: a later run drops the copy
        if this one is killed before it could."""
        with _engine(self.url, None, self.timeout) as eng:
            eng.record_run(
                f"{self.id}-copy",
                os.getpid(),
                socket.gethostname(),
                [_core.DbObject("database", "", database)],
            )
        _LIVE.add(f"{self.id}-copy")

    def forget_copy(self, engine: _core.Engine | None = None) -> None:
        """The copy is dropped: take its record out of the marker table."""
        with _engine(self.url, engine, self.timeout) as eng:
            eng.forget_run(f"{self.id}-copy")
        _LIVE.discard(f"{self.id}-copy")

    def abandon(self) -> None:
        """End a run whose database is about to be dropped (a copy)."""
        self.finished = True
        _LIVE.discard(self.id)

    def _unfinished(self, exc: Exception) -> _core.DatabaseError:
        # Ended: the record stays in the marker table (a later `release` must not take it
        # out), so the next run treats what is left as leftovers.
        self.finished = True
        _LIVE.discard(self.id)
        return _core.DatabaseError(
            f"could not drop what this run created: {exc} (the next run on this database "
            "removes it)"
        )


def moved_url(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server (or another SQLite file)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def copy_database(url: str) -> str:
    """Copy the database of ``url`` for ``allow_existing_data``: PostgreSQL ``CREATE DATABASE
    <copy> TEMPLATE <db>`` (no other session may use the source meanwhile), SQLite ``VACUUM
    INTO`` a file beside it. Returns the copy's database (name or path); `SafetyError` with one
    line when it cannot be made."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    source = parsed.database or ""
    suffix = uuid.uuid4().hex[:8]
    redacted = _core.redact_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        if not source or source == ":memory:":
            raise _core.SafetyError(f"cannot copy {redacted} to check it safely: not a file")
        target = f"{source}.mrt-copy-{suffix}"
        try:
            with contextlib.closing(sqlite3.connect(source)) as conn:
                conn.execute("VACUUM INTO ?", (target,))
        except sqlite3.Error as exc:
            raise _core.SafetyError(
                f"cannot copy {redacted} to check it safely (allow_existing_data): {exc}"
            ) from None
        return target
    target = f"{source[:40]}_mrt_copy_{suffix}"
    try:
        _on_server(url, lambda q: f"CREATE DATABASE {q(target)} TEMPLATE {q(source)}")
    except Exception as exc:
        raise _core.SafetyError(
            f"cannot copy {redacted} to check it safely (allow_existing_data runs on a copy "
            f"on PostgreSQL): {_reason(exc)}; close the other sessions on it, or "
            "point db_url at a throwaway test database"
        ) from None
    return target


def _on_server(url: str, statement: Callable[[Callable[[str], str]], str]) -> None:
    """Run ``statement(quote)`` on the server's ``postgres`` database, outside a transaction."""
    from sqlalchemy import create_engine

    admin = create_engine(moved_url(url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(statement(conn.dialect.identifier_preparer.quote))
    finally:
        admin.dispose()


def _reason(exc: Exception) -> str:
    """The first line of what the server said, redacted."""
    return _core.redact_url(str(getattr(exc, "orig", exc)).strip().splitlines()[0])


def drop_copy(url: str) -> None:
    """Drop a copy made by `copy_database` (``url`` points at the copy)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite":
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)
        return
    try:
        _on_server(url, lambda q: f"DROP DATABASE IF EXISTS {q(name)} WITH (FORCE)")
    except Exception as exc:
        raise _core.DatabaseError(
            f"cannot drop the copy {_core.redact_url(url)}: {_reason(exc)}"
        ) from None
