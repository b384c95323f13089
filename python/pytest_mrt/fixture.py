"""`MRTFixture`: what the ``mrt`` fixture gives a test."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .config import MRTConfig
from .models import plural
from .runner import AlembicRunner, MigrationError

if TYPE_CHECKING:
    from .dynamic import RollbackChecker
    from .models import RevisionResult, RiskWarning


def _fail(message: str) -> NoReturn:
    """Fail the test with one line. A failed migration step is the test's verdict, not a bug
    in the test: no traceback, and (``from None``) no "During handling of the above
    exception" chain either, even when called inside an ``except`` block."""
    __tracebackhide__ = True
    raise pytest.fail.Exception(f"mrt: {message}", pytrace=False) from None


@contextlib.contextmanager
def _clean_failures() -> Iterator[None]:
    """Turn our own errors (Alembic, database, safety) into one-line test failures."""
    from . import _core

    try:
        yield
    except (MigrationError, _core.MRTError) as exc:
        _fail(str(exc))
    except BaseException as exc:
        # pyo3 raises a Rust panic as PanicException (a BaseException): a bug of ours, which
        # the user should see as one line to report, not as a crash of their test run.
        if type(exc).__name__ != "PanicException":
            raise
        _fail(f"internal error (please report it): the engine panicked: {exc}")


class MRTFixture:
    """Migration rollback tester bound to one test database. Get it from the ``mrt`` fixture."""

    def __init__(self, config: MRTConfig, rootdir: Path) -> None:
        self.config = config
        self._tmpdir: Path | None = None
        db_url = config.db_url
        if not db_url:
            # The embedded default: a SQLite *file*, so the Rust engine can open it too.
            self._tmpdir = Path(tempfile.mkdtemp(prefix="mrt-"))
            db_url = f"sqlite:///{self._tmpdir / 'mrt.db'}"
        try:
            self.runner = AlembicRunner.for_config(
                _locate(rootdir, config.alembic_ini, "alembic_ini"),
                db_url,
                config,
                versions_dir=_locate(rootdir, config.versions_dir, "versions_dir")
                if config.versions_dir
                else None,
            )
            self.runner.ping()
        except BaseException:
            self._remove_tmpdir()
            raise
        self._checker: RollbackChecker | None = None
        self._results: dict[str, RevisionResult] = {}
        """Every verdict this fixture produced, for `write_results` / `write_report`."""

    # -- migration control ------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """Run ``alembic upgrade <revision>`` on the test database."""
        with _clean_failures():
            self.runner.upgrade(revision)

    def downgrade(self, revision: str = "-1") -> None:
        """Run ``alembic downgrade <revision>`` (one step back by default)."""
        with _clean_failures():
            self.runner.downgrade(revision)

    # -- static analysis --------------------------------------------------------------

    def versions_dirs(self) -> list[Path]:
        """The folders holding this project's revision files."""
        from .runner import versions_folders

        return versions_folders(self.runner.script)

    def check_static(self, versions_dir: str | Path | None = None) -> list[RiskWarning]:
        """Scan the migration files (default: the versions folder of alembic.ini)."""
        from .static import scan

        paths = [Path(versions_dir)] if versions_dir is not None else self.versions_dirs()
        with _clean_failures():
            return scan(paths, self.config)

    def assert_no_static_errors(self, versions_dir: str | Path | None = None) -> None:
        """Fail the test, listing them, when the scan finds error-severity risks."""
        from .static import format_findings

        errors = [w for w in self.check_static(versions_dir) if w.severity == "error"]
        if errors:
            _fail(f"{plural(len(errors), 'static error')}:\n{format_findings(errors)}")

    # -- rollback verification --------------------------------------------------------

    @property
    def checker(self) -> RollbackChecker:
        if self._checker is None:
            from .dynamic import RollbackChecker

            with _clean_failures():
                self._checker = RollbackChecker(self.runner, self.config)
        return self._checker

    def check_revision(self, revision: str) -> RevisionResult:
        """Seed, upgrade to ``revision``, downgrade, and compare schema and data."""
        with _clean_failures():
            result = self.checker.check_revision(revision)
        self._results[result.revision] = result
        return result

    def check_all(self) -> list[RevisionResult]:
        """Check every revision from base to head; never stops at the first failure."""
        with _clean_failures():
            results = self.checker.check_all()
        self._results.update((r.revision, r) for r in results)
        return results

    def assert_reversible(self, revision: str = "head") -> None:
        """Fail the test unless ``revision`` rolls back with schema and data intact."""
        result = self.check_revision(revision)
        if not result.passed and not result.skipped:
            _fail(result.failure_summary())

    def assert_all_reversible(self) -> None:
        """Check every revision, print the summary, fail listing every failing revision."""
        from .summary import render_summary

        results = self.check_all()
        print(render_summary(results))
        failing = [r for r in results if not r.passed and not r.skipped]
        if failing:
            details = "\n".join(r.failure_summary() for r in failing)
            count = plural(len(failing), "migration")
            verb = "is" if len(failing) == 1 else "are"
            _fail(f"{count} {verb} not safely reversible:\n{details}")

    # -- data -------------------------------------------------------------------------

    def seed(self, table: str, rows: list[dict[str, Any]], pk_col: str = "id") -> None:
        """Insert ``rows`` into ``table`` and remember them for `assert_data_intact`."""
        with _clean_failures():
            self.checker.seed(table, rows, pk_col)

    def assert_data_intact(self) -> None:
        """Fail unless every row given to `seed` is still there with its values."""
        with _clean_failures():
            problems = self.checker.data_problems()
        if problems:
            _fail("seeded data changed:\n" + "\n".join(f"  - {p}" for p in problems))

    # -- reports ------------------------------------------------------------------------

    def write_results(self, path: str | Path) -> Path:
        """Save this test's rollback verdicts as JSON (``mrt report --results`` reads it)."""
        from . import _core
        from .files import write_atomically

        out = Path(path)
        text = _core.results_json(list(self._results.values()))
        write_atomically(out, text.encode("utf-8"))
        return out

    def write_report(self, path: str | Path = "migration_report.html") -> Path:
        """Write the HTML report: static findings plus the verdicts of this test's checks."""
        from .files import write_atomically
        from .report import build_nodes, render_report
        from .static import scan_with_migrations

        folders = self.versions_dirs()
        with _clean_failures():
            findings, migrations = scan_with_migrations(folders, self.config)
        out = Path(path)
        nodes = build_nodes(findings, migrations, list(self._results.values()))
        write_atomically(out, render_report(nodes, title=str(folders[0])).encode("utf-8"))
        return out

    def reset(self) -> None:
        """Forget seeded rows (done automatically at teardown)."""
        if self._checker is not None:
            self._checker.reset()

    def close(self) -> None:
        """Drop what this run created (one line, no traceback, when that fails)."""
        try:
            with _clean_failures():
                if self._checker is not None:
                    self._checker.close()
                elif self.runner.run is not None:
                    self.runner.run.finish()
        finally:
            self.runner.dispose()
            self._remove_tmpdir()

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None


def _locate(rootdir: Path, value: str | None, key: str) -> Path:
    """Resolve a configured path against pytest's rootdir (then the working directory)."""
    assert value is not None
    path = Path(value)
    if path.is_absolute():
        return path
    for base in (rootdir, Path.cwd()):
        if (base / path).exists():
            return base / path
    return rootdir / path
