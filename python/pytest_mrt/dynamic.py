"""Dynamic rollback verification: Python drives Alembic, the native engine does the rest.

For one revision (see SPEC "What one revision's check does"): at the parent, snapshot the
schema, seed every table and fingerprint every row; upgrade; seed the tables the revision
created or changed; downgrade; compare schema and rows with the parent state; upgrade again and
compare with the first upgrade's schema. ``check_all`` walks the whole history and never stops
early: a revision that leaves the database unusable is followed by a rebuild (an emptied
database upgraded to the next revision's parent).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import sys
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .models import RevisionResult, parents_of
from .runner import AlembicRunner, MigrationError

if TYPE_CHECKING:
    from alembic.script import Script

    from . import _core
    from .config import MRTConfig


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


@dataclasses.dataclass
class _UserSeed:
    table: str
    pk_col: str
    keys: list[Any]
    before: _core.Fingerprint


class RollbackChecker:
    """Checks revisions on the runner's database. Refuses a database holding data it did not
    create (unless ``allow_existing_data``)."""

    def __init__(self, runner: AlembicRunner, config: MRTConfig) -> None:
        from . import _core

        self.runner = runner
        self.config = config
        self.engine = _core.Engine(runner.db_url, [runner.version_table])
        self._salt = 0
        self._user_seeds: list[_UserSeed] = []
        # A schema snapshot known to match the database (valid inside check_all only).
        self._known: tuple[tuple[str, ...], _core.Schema] | None = None
        self._dirty = False
        # Revisions whose upgrade failed from a clean parent state → the failure line: their
        # descendants cannot be reached, and trying again would only repeat it (or its timeout).
        self._unreachable: dict[str, str] = {}
        self._walking = False
        initial = self.engine.snapshot()
        self._initial_objects = set(initial.tables)
        if runner.current():
            self._initial_objects.add(runner.version_table)
        busy = runner.rows_before_first_step
        if busy is None:
            busy = self.engine.tables_with_rows(initial)
        # With data of its own in the database, only what this run created may be dropped.
        self._owns_database = not busy
        # Tables holding someone else's rows are compared, never written to.
        self._foreign_tables = set() if self._owns_database else set(initial.tables)
        self._closed = False
        if busy and not config.allow_existing_data:
            names = ", ".join(f"'{t}'" for t in sorted(busy)[:5])
            more = f" and {len(busy) - 5} more" if len(busy) > 5 else ""
            raise _core.SafetyError(
                f"refusing to run rollback checks on {runner.url}: table(s) {names}{more} "
                "already hold rows this run did not create; point db_url at a throwaway test "
                "database or set MRTConfig(allow_existing_data=True)"
            )

    # -- one revision ---------------------------------------------------------------------

    def check_revision(self, revision: str) -> RevisionResult:
        """Check one revision, moving the database to its parent first when needed."""
        script = self.runner.resolve(revision)
        rev = script.revision
        down = script.down_revision
        result = RevisionResult(
            revision=rev,
            passed=False,
            down_revision=tuple(down) if isinstance(down, (list, tuple)) else down,
        )
        reason = self.config.skip.get(rev)
        if reason is None:
            reason = next((r for k, r in self.config.skip.items() if rev.startswith(k)), None)
        if reason is not None:
            # passed=True as in earlier pytest-mrt: a documented skip is not a failure.
            result.passed = True
            result.skipped = True
            result.skip_reason = reason
            return result
        start = time.perf_counter()
        try:
            self._check(script, result)
        finally:
            result.duration_s = time.perf_counter() - start
        result.passed = not result.failures
        return result

    def _check(self, script: Script, result: RevisionResult) -> None:
        rev = script.revision
        parents = parents_of(script.down_revision)
        try:
            self._move_to(parents)
        except MigrationError as exc:
            result.failures.append(f"cannot reach the parent revision: {exc}")
            self._dirty = True
            return
        self.engine.ignore_table(self.runner.version_table)
        before = self._schema(parents)
        self._salt += 2
        result.warnings += self._seed(before, before.tables, self._salt).warnings
        rows_before = self.engine.fingerprint(before)

        if not self._step(result, "upgrade", rev, "upgrade"):
            self._unreachable[rev] = result.failures[-1]
            return
        upgraded = self.engine.snapshot()
        touched = upgraded.created_or_changed(before)
        existing = [t for t in touched if t in before.tables]
        rows_pre = self.engine.fingerprint(upgraded, existing) if existing else None
        result.warnings += self._seed(upgraded, touched, self._salt + 1).warnings
        ours = (
            self.engine.fingerprint(upgraded, existing).added_since(rows_pre)
            if rows_pre is not None
            else None
        )

        # Downgrading to one parent of a merge removes only the merge: the other parent stays.
        target = parents[0] if parents else "base"
        if not self._step(result, "downgrade", target, "downgrade"):
            return
        after = self.engine.snapshot()
        result.failures += before.diff(after, "rollback")
        result.failures += rows_before.compare(self.engine.fingerprint(after), ours)

        if not self._step(result, "upgrade", rev, "upgrade after the rollback"):
            return
        again = self.engine.snapshot()
        result.failures += upgraded.diff(again, "reupgrade")
        if self._walking:
            # Nobody else touches the database between two checks of one walk.
            self._known = ((rev,), again)

    def _step(self, result: RevisionResult, command: str, target: str, what: str) -> bool:
        """Run one Alembic step; a failure becomes the result's failure line."""
        try:
            getattr(self.runner, command)(target)
            self.engine.ignore_table(self.runner.version_table)
        except MigrationError as exc:
            message = str(exc)
            prefix = f"alembic {command} {target}: "
            if message.startswith(prefix):
                message = message[len(prefix) :]
            elif message.startswith(f"{command} {target}: "):
                message = message[len(f"{command} {target}: ") :]
            result.failures.append(f"{what} failed: {message}")
            self._dirty = True
            self._known = None
            return False
        return True

    def _seed(self, schema: _core.Schema, tables: list[str], salt: int) -> _core.SeedOutcome:
        skip = self._foreign_tables | {self.runner.version_table}
        tables = [t for t in tables if t not in skip]
        custom = {
            table: _plain_rows(make())
            for table, make in self.config.custom_seeds.items()
            if table in tables
        }
        return self.engine.seed(schema, tables, self.config.seed_rows, salt, custom)

    def _schema(self, heads: tuple[str, ...]) -> _core.Schema:
        if self._known is not None and set(self._known[0]) == set(heads):
            return self._known[1]
        return self.engine.snapshot()

    # -- moving the database --------------------------------------------------------------

    def _ancestors(self, revisions: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for rev in revisions:
            for script in self.runner.script.walk_revisions("base", rev):
                seen.add(script.revision)
        return seen

    def _move_to(self, parents: tuple[str, ...]) -> None:
        """Bring the database to exactly ``parents`` (the empty tuple is base)."""
        want = set(parents)
        if self._unreachable:
            blocked = sorted(self._ancestors(parents) & set(self._unreachable))
            if blocked:
                raise MigrationError(f"{blocked[0]}: {self._unreachable[blocked[0]]}")
        if not self._dirty and self._known is not None and set(self._known[0]) == want:
            return  # the previous check left the database right here
        if not self._dirty:
            current = set(self.runner.current())
            if current == want:
                return
            if current <= self._ancestors(parents):
                for parent in parents:
                    self.runner.upgrade(parent)
                return
            if len(parents) <= 1:
                # Usually one step ahead (the user upgraded): go back down.
                try:
                    self.runner.downgrade(parents[0] if parents else "base")
                    if set(self.runner.current()) == want:
                        return
                except MigrationError:
                    pass
        self._rebuild(parents)

    def _rebuild(self, parents: tuple[str, ...]) -> None:
        """An emptied database, upgraded to ``parents``."""
        self._known = None
        keep = [] if self._owns_database else sorted(self._initial_objects)
        self.engine.wipe(keep)
        for parent in parents:
            self.runner.upgrade(parent)
        self._dirty = False

    # -- the whole history ----------------------------------------------------------------

    def check_all(self) -> list[RevisionResult]:
        """Every revision from base to the heads, each from its own parent state."""
        scripts = self.runner.walk_revisions()
        results = []
        progress = _Progress(len(scripts))
        self._walking = True
        try:
            for i, script in enumerate(scripts, 1):
                progress.show(i, script.revision)
                results.append(self.check_revision(script.revision))
        finally:
            progress.done()
            self._walking = False
            self._known = None
        return results

    # -- user data ------------------------------------------------------------------------

    def seed(self, table: str, rows: list[dict[str, Any]], pk_col: str = "id") -> None:
        """Insert ``rows`` into ``table`` and remember them for `data_problems`."""
        from . import _core

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
        """What happened to the rows given to `seed` since: lost rows, changed values."""
        problems: list[str] = []
        schema = self.engine.snapshot()
        for seeded in self._user_seeds:
            if seeded.table not in schema.tables:
                problems.append(f"Table '{seeded.table}' no longer exists")
                continue
            now = self.engine.fingerprint(schema, [seeded.table])
            problems += seeded.before.compare(now)
        return problems

    def reset(self) -> None:
        """Forget the rows given to `seed`."""
        self._user_seeds.clear()

    def close(self) -> None:
        """Drop what this run created, so the next test starts from a clean database."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._owns_database:
                self.engine.wipe([])
            else:
                self.engine.wipe(sorted(self._initial_objects))
        finally:
            self.engine.close()


class _Progress:
    """``checking 004 (4/8)`` on a terminal's stderr during long runs; nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = total > 1 and sys.stderr.isatty()

    def show(self, index: int, revision: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[2K  mrt: checking {revision} ({index}/{self.total})")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
