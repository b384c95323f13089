"""Dynamic rollback verification: Python drives Alembic, the native engine does the rest.

For one revision (see SPEC "What one revision's check does"): at the parent, snapshot the
schema, seed every table and fingerprint every row; upgrade; seed the tables the revision
created or changed; downgrade; compare schema and rows with the parent state; upgrade again and
compare with the first upgrade's schema. ``check_all`` walks the whole history and never stops
early: a revision that leaves the database unusable is followed by a rebuild (an emptied
database upgraded to the next revision's parent).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _core
from .models import RevisionResult
from .runner import AlembicRunner, MigrationError

if TYPE_CHECKING:
    from alembic.script import Script

    from .config import MRTConfig
    from .safety import Run


def _plain(value: Any) -> Any:
    """A user value as one the engine stores: str, int, float, bool, bytes or None."""
    if value is None or isinstance(value, (str, int, float, bytes)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    if hasattr(value, "value"):  # enum.Enum members
        return _plain(value.value)
    return str(value)


def _plain_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]


def _plain_sent(sent: Iterable[tuple[str, Any, int]]) -> list[_core.SentStatement]:
    """Statements as `writes_counted` recorded them, their parameters as plain values: a list
    (positional markers), a dict (named ones), None when not known."""
    out: list[_core.SentStatement] = []
    for statement, params, rows in sent:
        plain: list[Any] | dict[str, Any] | None = None
        if isinstance(params, dict):
            plain = {str(k): _plain(v) for k, v in params.items()}
        elif isinstance(params, (list, tuple)):
            plain = [_plain(v) for v in params]
        out.append(_core.SentStatement(statement, plain, rows))
    return out


@dataclasses.dataclass
class _UserSeed:
    table: str
    pk_col: str
    keys: list[Any]
    before: _core.Fingerprint


class _Blocked(Exception):
    """The parent cannot be reached even on an empty database; ``failure`` names the
    ancestor at fault."""

    def __init__(self, failure: _core.Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


class _Final(Exception):
    """A step of a check settled the result: the later steps do not run."""


@dataclasses.dataclass
class _Parent:
    """The database at the revision's parent, before the upgrade."""

    schema: _core.Schema
    rows: _core.Fingerprint
    seed_warnings: list[str]
    unseeded: dict[str, _core.Unseeded]
    held: set[str] = dataclasses.field(default_factory=set)
    """Tables that held rows when the upgrade failed on them."""
    unmatched: list[_core.Failure] = dataclasses.field(default_factory=list)
    """Tables whose every UPDATE/DELETE in the upgrade matched none of their rows."""

    def reseed(self, rebuilt: _Parent) -> None:
        """Become the parent ``rebuilt`` and seeded again; what the upgrade showed stays."""
        self.schema, self.rows = rebuilt.schema, rebuilt.rows
        self.seed_warnings, self.unseeded = rebuilt.seed_warnings, rebuilt.unseeded


@dataclasses.dataclass
class _Upgraded:
    schema: _core.Schema
    ours: _core.Fingerprint | None
    """The rows seeded after the upgrade (not the user's)."""


class RollbackChecker:
    """Checks revisions on the runner's database. Refuses a database holding data it did not
    create (unless ``allow_existing_data``)."""

    def __init__(self, runner: AlembicRunner, config: MRTConfig) -> None:
        self.runner = runner
        self.config = config
        self.engine = _core.Engine(
            runner.db_url, [runner.version_table], timeout=config.migration_timeout
        )
        self._salt = 0
        self._user_seeds: list[_UserSeed] = []
        # A schema snapshot known to match the database (valid inside check_all only).
        self._known: tuple[tuple[str, ...], _core.Schema] | None = None
        self._dirty = False
        # Revisions whose upgrade fails even from an empty parent → the reason: their
        # descendants are blocked, and trying again would only repeat it (or its timeout).
        self._unreachable: dict[str, str] = {}
        self._walking = False
        self._progress: _Progress | None = None
        self._skipped: dict[str, str] | None = None  # revision -> skip key
        self._doing = "reach the parent"
        # Once the server stopped answering: the line every later revision gets (not checked).
        self._gone: _core.Failure | None = None
        self._data_tables: dict[str, set[str]] | None = None
        self.run = runner.begin_run(self.engine, self._guard)
        # allow_existing_data: the user's database when working on a copy of it (PostgreSQL,
        # SQLite); on MySQL/MariaDB the revisions whose check would downgrade past its rows.
        self._original: tuple[str, Run] | None = None
        self._floor: set[str] = set()
        self._floor_heads: tuple[str, ...] = ()
        if self.run.busy or self.run.others:
            self._protect_existing_data()
        # Tables that were there before the run are the user's: compared, never written to
        # (on a copy, which is dropped afterwards, every table is seeded).
        users = {o.name for o in self.run.before if o.kind == "table"}
        self._foreign_tables = (
            set() if self._original else set(self.engine.snapshot().tables) & users
        )
        self._closed = False

    def _guard(self, run: Run) -> bool:
        """Refuse a database holding what this run did not create (see `pytest_mrt.safety`).
        False when the run checks a copy of it instead (`_protect_existing_data`)."""
        refusal = run.refusal()
        if refusal is not None and not self.config.allow_existing_data:
            raise _core.SafetyError(refusal)
        return refusal is None or self.engine.dialect == "mysql"

    def _protect_existing_data(self) -> None:
        """``allow_existing_data`` on a database holding data: never destroy it. PostgreSQL
        and SQLite: work on a copy, dropped at `close`. MySQL/MariaDB cannot copy a database:
        the revisions applied before the run are refused (their check downgrades past rows
        that could not be restored)."""
        from sqlalchemy.engine import make_url

        from . import safety

        if self.engine.dialect == "mysql":
            current = self.runner.current()
            self._floor = self._ancestors(current) if current else set()
            self._floor_heads = current
            return
        original_url = self.runner.db_url
        self.engine.close()
        copy = safety.copy_database(original_url)
        self._original = (make_url(original_url).database or "", self.run)
        if self.engine.dialect == "postgresql":
            self.run.note_copy(copy)  # a killed run's copy is dropped by the next run
        self.runner.repoint(copy)
        self.engine = _core.Engine(
            self.runner.db_url, [self.runner.version_table], timeout=self.config.migration_timeout
        )
        self.runner.run = None
        self.run = self.runner.begin_run(self.engine, run=self.run.on_copy(self.runner.db_url))

    def _refuse_below_floor(self, revisions: Iterable[str]) -> None:
        below = [r for r in revisions if r in self._floor]
        if below:
            at = ", ".join(self._floor_heads)
            raise _core.SafetyError(
                f"refusing to check {below[0]} on {self.runner.url}: its check downgrades "
                f"below revision {at}, where rows this run did not create live, and MySQL/"
                "MariaDB cannot copy a database to restore them (allow_existing_data checks a "
                "copy on PostgreSQL and SQLite); point db_url at a throwaway test database"
            )

    # -- one revision ---------------------------------------------------------------------

    def check_revision(self, revision: str) -> RevisionResult:
        """Check one revision, moving the database to its parent first when needed."""
        script = self.runner.resolve(revision)
        rev = script.revision
        result = RevisionResult(rev, passed=False, down_revision=script.down_revision)
        reason = self._skip_reason(rev)
        if reason is None and self._floor:
            self._refuse_below_floor([rev])
        if reason is not None:
            # passed=True as in earlier pytest-mrt: a documented skip is not a failure.
            return RevisionResult(
                rev, True, True, reason, down_revision=script.down_revision, status="skipped"
            )
        if self._gone is not None:
            result.add(self._gone)
            result.status = "blocked"
            return result
        start = time.perf_counter()
        try:
            self._check(script, result)
        except _Blocked as exc:
            result.add(exc.failure)
            result.status = "blocked"
            self._dirty = True
        except _Final:
            pass
        except _core.NoAnswerError as exc:
            self._stopped_answering(rev, result, exc)
        finally:
            result.duration_s = time.perf_counter() - start
        result.settle(self.config.allow_unverified)
        return result

    def _stopped_answering(
        self, rev: str, result: RevisionResult, exc: _core.NoAnswerError
    ) -> None:
        """The server did not answer within ``migration_timeout`` (and the grace for its
        cancel): this revision fails as timed out; the later ones are not checked, since each
        would wait the same way, and none of them gets a verdict it did not earn."""
        result.failures = [_core.Failure.step_failed(self._doing, exc.reason)]
        result.found("rollback_failed")
        result.warnings = []
        result.coverage = {}
        result.status = "failed"
        self._gone = _core.Failure.not_checked(rev, self._doing, exc.reason)

    def _skip_reason(self, rev: str) -> str | None:
        """The reason of the ``skip`` entry naming ``rev``: its exact id or a unique prefix,
        the scanner's rule (`_core.skipped_revisions`)."""
        skip = self.config.skip
        if not skip:
            return None
        if self._skipped is None:
            revisions = [s.revision for s in self.runner.walk_revisions()]
            self._skipped = _core.skipped_revisions(list(skip), revisions)
        key = self._skipped.get(rev)
        return None if key is None else skip[key]

    def _check(self, script: Script, result: RevisionResult) -> None:
        """The steps of one check (SPEC "What one revision's check does"); `_Final` or
        `_Blocked` when a step settles the verdict early."""
        parents = _core.parents_of(script.down_revision)
        at = self._at_parent(parents)
        on_data_error = self._upgrade(script.revision, parents, at, result)
        up = self._after_upgrade(script, at, on_data_error, result)
        self._roll_back(script.revision, parents, at, up, result)
        self._upgrade_again(script.revision, up, result)
        ignored = self._foreign_tables | {self.runner.version_table}
        empty = [t for t, n in result.coverage.items() if n == 0 and t not in ignored]
        unverified = [_core.Failure.unverified(t, at.unseeded.get(t)) for t in empty]
        result.conclude(unverified + at.unmatched)

    def _at_parent(self, parents: tuple[str, ...]) -> _Parent:
        """Move to the parent, seed every table, fingerprint every row."""
        self._show("reach the parent")
        self._move_to(parents)
        self.engine.ignore_table(self.runner.version_table)
        before = self._schema(parents)
        self._salt += 2
        self._show("seed")
        return self._seeded(before)[0]

    def _seeded(
        self, schema: _core.Schema, matching: list[_core.UnmatchedWrite] | None = None
    ) -> tuple[_Parent, _core.SeedOutcome]:
        """Seed every table of ``schema`` (with rows ``matching`` writes match, when given)
        and fingerprint every row: the parent as seeded, and how the seeding went."""
        seeded = self._seed(schema, schema.tables, self._salt, matching)
        rows = self.engine.fingerprint(schema)
        unseeded = {u.table: u for u in seeded.unseeded}
        return _Parent(schema, rows, seeded.warnings, unseeded), seeded

    def _upgrade(
        self, rev: str, parents: tuple[str, ...], at: _Parent, result: RevisionResult
    ) -> MigrationError | None:
        """Upgrade from the seeded parent. When that fails, the revision is judged on its
        own: the same upgrade from the parent rebuilt with empty tables (``at`` is updated);
        the first error is returned when that one works, the revision fails when it does not."""
        self._show("upgrade")

        def upgrade_and_exercise() -> None:
            with self.runner.writes_counted() as sent:
                self.runner.upgrade(rev)
            self._exercise(rev, parents, at, self._unmatched(sent, at), result)

        on_data = _error_of(upgrade_and_exercise)
        if on_data is None:
            return None
        at.held = {t for t in at.schema.tables if at.rows.row_count(t) > 0}
        empty = self._upgrade_on_empty(rev, parents, at)
        if empty is not None:
            self._unreachable[rev] = empty.reason
            result.add(_core.Failure.step_failed("upgrade", empty.reason))
            result.status = "failed"
            raise _Final
        return on_data

    def _upgrade_on_empty(
        self, rev: str, parents: tuple[str, ...], at: _Parent | None = None
    ) -> MigrationError | None:
        """Rebuild the parent with empty tables (``at``, when given, is updated to it) and
        upgrade ``rev`` there: the upgrade's error, or None when it runs. `_Blocked` when the
        parent cannot be reached even without rows."""
        self._show("rebuild the parent without rows")
        self._rebuild(parents)
        if at is not None:
            at.seed_warnings, at.unseeded = [], {}
            at.schema = self.engine.snapshot()
            at.rows = self.engine.fingerprint(at.schema)
        self._show("upgrade (empty tables)")
        error = _error_of(self.runner.upgrade, rev)
        if error is not None:
            self._dirty = True
            self._known = None
        return error

    def _unmatched(
        self, sent: list[tuple[str, Any, int]], at: _Parent
    ) -> list[_core.UnmatchedWrite]:
        """The parent's tables that held rows and whose every UPDATE/DELETE in the upgrade
        matched none of them: the revision's data path there was not exercised."""
        ignore = [self.runner.version_table, *self._foreign_tables]
        return [
            w
            for w in _core.unmatched_writes(_plain_sent(sent), ignore, self.config.seed_rows)
            if w.table in at.schema.tables and at.rows.row_count(w.table) > 0
        ]

    def _exercise(
        self,
        rev: str,
        parents: tuple[str, ...],
        at: _Parent,
        writes: list[_core.UnmatchedWrite],
        result: RevisionResult,
    ) -> None:
        """Writes that matched none of the generated rows: where rows their WHERE matches can
        be made (and the user seeds no rows in the table), the parent is rebuilt with those
        rows seeded among the generated ones and the upgrade runs again, so the rollback is
        checked on data the revision really changes. The rest become ``at.unmatched``."""

        def unexercised(w: _core.UnmatchedWrite, **how: Any) -> _core.Failure:
            rows = at.rows.row_count(w.table)
            reads = [t for t in w.reads if t in at.schema.tables]
            return _core.Failure.unexercised(w.table, w.verb, w.statement, rows, reads=reads, **how)

        wanted = {
            w.table: w for w in writes if w.matching and w.table not in self.config.custom_seeds
        }
        if not wanted:
            at.unmatched = [unexercised(w, why=w.why) for w in writes]
            return
        self._show("rebuild the parent with rows its writes match")
        self._rebuild(parents)
        rebuilt, seeded = self._seeded(self.engine.snapshot(), list(wanted.values()))
        at.reseed(rebuilt)
        notes = [w.seeded_note() for t, w in wanted.items() if t not in seeded.unmatchable]
        self._show("upgrade (rows its writes match)")
        try:
            with self.runner.writes_counted() as sent:
                self.runner.upgrade(rev)
        except MigrationError:
            result.warnings += notes  # the rows made it fail: say which
            raise
        again = self._unmatched(sent, at)
        at.unmatched = []
        for w in again:
            first = wanted.get(w.table)
            if first is None:
                at.unmatched.append(unexercised(w, why=w.why))
            elif w.table in seeded.unmatchable:
                at.unmatched.append(unexercised(first, why=seeded.unmatchable[w.table]))
            else:
                at.unmatched.append(unexercised(first, seeded=first.matching))
        still = {w.table for w in again}
        result.warnings += [wanted[t].seeded_note() for t in wanted if t not in still]

    def _after_upgrade(
        self,
        script: Script,
        at: _Parent,
        on_data_error: MigrationError | None,
        result: RevisionResult,
    ) -> _Upgraded:
        """Seed the tables the revision created or changed, and count the rows of each table
        it touches (``coverage``)."""
        rev = script.revision
        self.engine.ignore_table(self.runner.version_table)
        result.warnings += at.seed_warnings
        before = at.schema
        upgraded = self.engine.snapshot()
        touched = upgraded.created_or_changed(before)
        existing = [t for t in touched if t in before.tables]
        if on_data_error is not None:
            # An error raised in Python names no table: suspect the tables the revision
            # touches (changes, drops, or names in its upgrade) that held rows.
            touches = (
                set(existing)
                | (set(before.tables) - set(upgraded.tables))
                | self._tables_named(rev)
                | set(_core.tables_named_in_strings(script.path, sorted(at.held)))
            )
            result.add(
                _core.Failure.fails_on_data(
                    on_data_error.reason,
                    on_data_error.statement,
                    on_data_error.table,
                    sorted(touches & at.held),
                    sorted(at.held),
                )
            )
        # The rows seeded now are ours wherever the downgrade puts them (a table renamed back,
        # the old primary key restored): compare() recognises them by key or content.
        rows_pre = self.engine.fingerprint(upgraded, touched) if touched else None
        self._show("seed")
        # After an upgrade that fails on data, rows in the parent's tables would make the
        # upgrade after the rollback fail the same way: seed only the tables it created.
        to_seed = touched if on_data_error is None else [t for t in touched if t not in existing]
        seeded = self._seed(upgraded, to_seed, self._salt + 1)
        result.warnings += seeded.warnings
        for refused in seeded.unseeded:
            at.unseeded.setdefault(refused.table, refused)
        ours = None
        coverage: dict[str, int] = {}
        if touched:
            rows_now = self.engine.fingerprint(upgraded, touched)
            if rows_pre is not None:
                ours = rows_now.added_since(rows_pre)
            for table in touched:
                rows = at.rows if table in before.tables else rows_now
                coverage[table] = rows.row_count(table)
        for table in set(before.tables) - set(upgraded.tables):  # dropped by the upgrade
            coverage[table] = at.rows.row_count(table)
        for table in self._tables_named(rev) & set(before.tables) & set(upgraded.tables):
            coverage.setdefault(table, at.rows.row_count(table))
        result.coverage = coverage
        return _Upgraded(upgraded, ours)

    def _roll_back(
        self,
        rev: str,
        parents: tuple[str, ...],
        at: _Parent,
        up: _Upgraded,
        result: RevisionResult,
    ) -> None:
        """Downgrade; compare the schema and every row with the parent's."""
        # Downgrading to one parent of a merge removes only the merge: the other parent stays.
        self._show("downgrade")
        target = parents[0] if parents else "base"
        error = _error_of(self.runner.downgrade, target)
        if error is not None:
            self._dirty = True
            self._known = None
            on_empty = self._downgrade_on_empty(rev, parents, target)
            result.add(_core.Failure.step_failed("downgrade", error.reason, on_empty))
            result.fail_rollback()
            raise _Final
        self.engine.ignore_table(self.runner.version_table)
        self._show("compare")
        after = self.engine.snapshot()
        for difference in at.schema.diff(after, "rollback"):
            result.add(difference)
        for problem in at.rows.compare(self.engine.fingerprint(after), up.ours):
            result.add(problem)

    def _downgrade_on_empty(self, rev: str, parents: tuple[str, ...], target: str) -> bool | None:
        """Whether the downgrade that failed with rows in the tables runs when they are empty:
        True (the rows made it fail), False (it fails on an empty database too, so the code
        itself is at fault); None when the revision cannot be reached without rows."""
        try:
            if self._upgrade_on_empty(rev, parents) is not None:
                return None
        except _Blocked:
            return None
        self._show("downgrade (empty tables)")
        if _error_of(self.runner.downgrade, target) is not None:
            self._dirty = True
            return False
        return True

    def _upgrade_again(self, rev: str, up: _Upgraded, result: RevisionResult) -> None:
        """Upgrade again: it must work and give the first upgrade's schema."""
        self._show("upgrade again")
        if not self._step(result, "upgrade", rev, "upgrade after the rollback"):
            result.fail_rollback()
            raise _Final
        self._show("compare")
        again = self.engine.snapshot()
        for difference in up.schema.diff(again, "reupgrade"):
            result.add(difference)
        if self._walking:
            # Nobody else touches the database between two checks of one walk.
            self._known = ((rev,), again)

    def _step(self, result: RevisionResult, command: str, target: str, what: str) -> bool:
        """Run one Alembic step; a failure becomes the result's failure."""
        error = _error_of(getattr(self.runner, command), target)
        if error is not None:
            result.add(_core.Failure.step_failed(what, error.reason))
            self._dirty = True
            self._known = None
            return False
        self.engine.ignore_table(self.runner.version_table)
        return True

    def _seed(
        self,
        schema: _core.Schema,
        tables: list[str],
        salt: int,
        matching: list[_core.UnmatchedWrite] | None = None,
    ) -> _core.SeedOutcome:
        skip = self._foreign_tables | {self.runner.version_table}
        tables = [t for t in tables if t not in skip]
        custom = {
            table: _plain_rows(make())
            for table, make in self.config.custom_seeds.items()
            if table in tables
        }
        return self.engine.seed(schema, tables, self.config.seed_rows, salt, custom, matching or [])

    def _schema(self, heads: tuple[str, ...]) -> _core.Schema:
        if self._known is not None and set(self._known[0]) == set(heads):
            return self._known[1]
        return self.engine.snapshot()

    def _tables_named(self, rev: str) -> set[str]:
        """Tables the revision's upgrade() names (UPDATE/INSERT/DELETE in ``op.execute``,
        ``bulk_insert``, ...), from the static scanner: a revision that only rewrites rows
        touches those tables without changing the schema."""
        if self._data_tables is None:
            folders = sorted({str(Path(s.path).parent) for s in self.runner.walk_revisions()})
            self._data_tables = {}
            try:
                migrations = _core.scan(folders, with_migrations=True).migrations
            except Exception:  # the scan is a refinement; the snapshot diff still applies
                return set()
            for m in migrations:
                tables = {op.table for op in m.upgrade_ops}
                self._data_tables[m.revision] = {t for t in tables if t}
        return self._data_tables.get(rev, set())

    def _show(self, step: str) -> None:
        self._doing = step
        if self._progress is not None:
            self._progress.step(step)

    # -- moving the database --------------------------------------------------------------

    def _ancestors(self, revisions: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for rev in revisions:
            for script in self.runner.script.walk_revisions("base", rev):
                seen.add(script.revision)
        return seen

    def _move_to(self, parents: tuple[str, ...]) -> None:
        """Bring the database to exactly ``parents`` (the empty tuple is base): by the
        seeded route when it works, else rebuilt from an empty database; `_Blocked` when
        even that fails."""
        want = set(parents)
        if self._unreachable:
            at_fault = sorted(self._ancestors(parents) & set(self._unreachable))
            if at_fault:
                raise _Blocked(_core.Failure.blocked(at_fault[0], self._unreachable[at_fault[0]]))
        if not self._dirty and self._known is not None and set(self._known[0]) == want:
            return  # the previous check left the database right here
        if not self._dirty:
            with _unless_env_py():
                current = set(self.runner.current())
                if current == want:
                    return
                if current <= self._ancestors(parents):
                    for parent in parents:
                        self.runner.upgrade(parent)
                    return
                if len(parents) <= 1:
                    # Usually one step ahead (the user upgraded): go back down.
                    self.runner.downgrade(parents[0] if parents else "base")
                    if set(self.runner.current()) == want:
                        return
        self._rebuild(parents)

    def _rebuild(self, parents: tuple[str, ...]) -> None:
        """An emptied database (plus ``setup_database``), upgraded to ``parents`` without
        rows; `_Blocked`, naming the revision at fault, when even that fails."""
        self._known = None
        self._dirty = True
        self._wipe()
        if any(_error_of(self.runner.upgrade, parent) is not None for parent in parents):
            self._blame(parents)
        self._dirty = False

    def _wipe(self) -> None:
        """Drop what the run created; ``setup_database`` again (which never sees the marker
        table)."""
        self.run.drop_created(self.engine)
        if self.runner.setup_database is not None:
            self.run.forget(self.engine)
            self.runner.set_up()
            self.run.record(self.engine)

    def _blame(self, parents: tuple[str, ...]) -> None:
        """Upgrade an emptied database one revision at a time towards ``parents``; the
        first revision that fails is recorded as unreachable and raised as `_Blocked`."""
        self._wipe()
        done: set[str] = set()
        for parent in parents:
            path = reversed(list(self.runner.script.walk_revisions("base", parent)))
            for script in path:
                if script.revision in done:
                    continue
                error = _error_of(self.runner.upgrade, script.revision)
                if error is not None:
                    self._unreachable[script.revision] = error.reason
                    raise _Blocked(_core.Failure.blocked(script.revision, error.reason))
                done.add(script.revision)

    # -- the whole history ----------------------------------------------------------------

    def check_all(self) -> list[RevisionResult]:
        """Every revision from base to the heads, each from its own parent state."""
        scripts = self.runner.walk_revisions()
        if self._floor:
            self._refuse_below_floor(
                s.revision for s in scripts if self._skip_reason(s.revision) is None
            )
        results = []
        self._progress = _Progress(len(scripts))
        self._walking = True
        try:
            for i, script in enumerate(scripts, 1):
                self._progress.revision(i, script.revision)
                results.append(self.check_revision(script.revision))
        finally:
            self._progress.done()
            self._progress = None
            self._walking = False
            self._known = None
        return results

    # -- user data ------------------------------------------------------------------------

    def seed(self, table: str, rows: list[dict[str, Any]], pk_col: str = "id") -> None:
        """Insert ``rows`` into ``table`` and remember them for `data_problems`."""
        schema = self.engine.snapshot()
        if table not in schema.tables:
            raise _core.UsageError(f"seed(): no table {table!r} in {self.runner.url}")
        plain = _plain_rows(rows)
        for i, row in enumerate(plain):
            if pk_col not in row:
                raise _core.UsageError(f"seed(): row {i} of {table!r} has no {pk_col!r} value")
        self.engine.insert_rows(table, plain)
        self._user_seeds.append(
            _UserSeed(
                table=table,
                pk_col=pk_col,
                keys=[row[pk_col] for row in plain],
                before=self.engine.fingerprint(schema, [table]),
            )
        )

    def data_problems(self) -> list[str]:
        """What happened to the rows given to `seed` since: lost rows, changed values, a table
        gone with its rows (`RowProblem`s, worded in Rust)."""
        problems: list[str] = []
        schema = self.engine.snapshot()
        for seeded in self._user_seeds:
            now = self.engine.fingerprint(schema, [seeded.table])  # empty when it is gone
            problems += [str(p) for p in seeded.before.compare(now)]
        return problems

    def reset(self) -> None:
        """Forget the rows given to `seed`."""
        self._user_seeds.clear()

    def close(self) -> None:
        """Drop what this run created, so the next test starts from a clean database."""
        if self._closed:
            return
        self._closed = True
        if self._original is None:
            try:
                self.run.finish(self.engine)
            finally:
                self.engine.close()
            return
        from . import safety

        # Working on a copy: drop it, then end the run on the user's database.
        self.engine.close()
        self.run.abandon()
        copy_url = self.runner.db_url
        database, run = self._original
        self.runner.repoint(database)
        safety.drop_copy(copy_url)
        with safety.engine_for(run) as engine:  # one connection for both
            if self.engine.dialect == "postgresql":
                run.forget_copy(engine)
            run.finish(engine)


class _Progress:
    """Where a long `check_all` is: ``mrt: 4/8 abc123 downgrade (12.3 s)``.

    On a terminal's stderr one line, updated at every step; otherwise (CI logs, files) a
    plain line when a revision starts, once the run has lasted a couple of seconds and at
    most every few seconds. Nothing for a single revision.
    """

    QUIET_FOR_S = 2.0
    EVERY_S = 5.0

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()
        self.enabled = total > 1
        self.start = time.monotonic()
        self.index = 0
        self.rev = ""
        self.wrote = False
        self.last = -self.EVERY_S

    def _line(self, step: str) -> str:
        elapsed = time.monotonic() - self.start
        return f"mrt: {self.index}/{self.total} {self.rev} {step} ({elapsed:.1f} s)"

    def revision(self, index: int, revision: str) -> None:
        self.index, self.rev = index, revision
        if not self.enabled or self.tty:
            return
        now = time.monotonic()
        if now - self.start >= self.QUIET_FOR_S and now - self.last >= self.EVERY_S:
            sys.stderr.write(self._line("checking") + "\n")
            sys.stderr.flush()
            self.wrote = True
            self.last = now

    def step(self, step: str) -> None:
        if self.enabled and self.tty and self.index:
            sys.stderr.write("\r\x1b[2K  " + self._line(step))
            sys.stderr.flush()
            self.wrote = True

    def done(self) -> None:
        if not self.wrote:
            return
        if self.tty:
            sys.stderr.write("\r\x1b[2K")
        else:
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"mrt: {self.total} revisions checked in {elapsed:.1f} s\n")
        sys.stderr.flush()


def _error_of(step: Callable[..., object], *args: Any) -> MigrationError | None:
    """Run one Alembic step: its error, or None when it ran. An error in env.py is raised: a
    configuration problem, the same for every revision, stops the check."""
    try:
        step(*args)
    except MigrationError as exc:
        if exc.in_env_py:
            raise
        return exc
    return None


@contextlib.contextmanager
def _unless_env_py() -> Iterator[None]:
    """Swallow a failed step (the caller has another route), but not an env.py error."""
    try:
        yield
    except MigrationError as exc:
        if exc.in_env_py:
            raise
