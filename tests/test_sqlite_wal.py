"""SQLite in WAL mode (prefect's choice): the engine and Alembic must see one database.

Python's ``sqlite3`` (through SQLAlchemy) and the engine's connection share the database file
within one process. Two separate SQLite libraries in one process do not see each other's
POSIX locks, and in WAL mode each takes itself for the only connection: it re-initialises the
shared WAL index and deletes the WAL on close, so the other reads stale or "malformed" pages.
The engine therefore uses the SQLite library Python's ``sqlite3`` loaded, and refuses a WAL
database in one line when it cannot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_mrt import _core
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.models import RevisionResult

EXAMPLES = Path(__file__).parent.parent / "examples"


def _wal_database(path: Path) -> str:
    """An empty SQLite file whose journal mode is WAL (the mode is stored in the file)."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    return f"sqlite:///{path}"


def _verdicts(results: list[RevisionResult]) -> list[tuple[str, str, list[str]]]:
    return [(r.revision, r.status, sorted(r.failures)) for r in results]


def test_the_engine_uses_the_sqlite_library_python_loaded() -> None:
    assert _core.sqlite_library_shared(), (
        "pytest_mrt._core and Python's sqlite3 use two different SQLite libraries"
    )


@pytest.mark.parametrize("example", ["data_transform", "dropped_column", "leaked_rows"])
def test_wal_mode_gives_the_same_verdicts_as_rollback_journal_mode(
    check: Callable[..., RollbackChecker], tmp_path: Path, example: str
) -> None:
    plain = check(EXAMPLES / example, f"sqlite:///{tmp_path / 'plain.db'}").check_all()
    wal = check(EXAMPLES / example, _wal_database(tmp_path / "wal.db")).check_all()

    assert _verdicts(wal) == _verdicts(plain)
    # The unsafe revision is caught with rows really seeded, not passed on an empty table.
    assert [r.status for r in wal][-1] == "failed"
    assert all(r.coverage and min(r.coverage.values()) > 0 for r in wal), [
        (r.revision, r.coverage) for r in wal
    ]
    with sqlite3.connect(tmp_path / "wal.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
