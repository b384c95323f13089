"""The pytest plugin (entry point ``pytest11: mrt``): options, the ``mrt`` marker and fixtures.

Nothing here imports the native module or Alembic at start-up; they load when a test first
asks for the ``mrt`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .config import ConfigError, MRTConfig, read_pyproject
from .resolve import PYPROJECT_KEY, resolve_config

if TYPE_CHECKING:
    from .fixture import MRTFixture


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mrt", "migration rollback testing (pytest-mrt)")
    group.addoption(
        "--mrt-db-url",
        dest="mrt_db_url",
        default=None,
        metavar="URL",
        help="SQLAlchemy URL of the test database (overrides MRTConfig.db_url)",
    )
    group.addoption(
        "--mrt-alembic-ini",
        dest="mrt_alembic_ini",
        default=None,
        metavar="PATH",
        help="path to alembic.ini (overrides MRTConfig.alembic_ini)",
    )
    group.addoption(
        "--mrt",
        dest="mrt_items",
        action="store_true",
        default=False,
        help="collect one test_migration[<revision>] item per Alembic revision",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mrt(**fields): migration rollback test; keyword arguments override MRTConfig fields "
        "for this test",
    )
    try:
        config.stash[PYPROJECT_KEY] = read_pyproject(config.rootpath)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture
def mrt_config() -> MRTConfig | None:
    """Override point: return an `MRTConfig` to configure the ``mrt`` fixture for these tests.

    It ranks with ``config._mrt_config`` from conftest.py (and wins over it), below the
    command line and above ``[tool.mrt]`` in pyproject.toml.
    """
    return None


@pytest.fixture
def mrt(request: pytest.FixtureRequest, mrt_config: MRTConfig | None) -> Iterator[MRTFixture]:
    """Migration rollback tester on the test database.

    ``mrt.upgrade()`` / ``mrt.downgrade()`` drive Alembic; ``mrt.check_static()`` scans the
    migration files; ``mrt.assert_all_reversible()`` seeds rows, upgrades, downgrades and
    proves that schema and data came back, revision by revision. With no ``db_url`` the
    database is a temporary SQLite file, removed afterwards.
    """
    from .fixture import MRTFixture, _fail
    from .runner import MigrationError

    try:
        resolved = resolve_config(
            request.config, mrt_config, request.node.get_closest_marker("mrt")
        )
        fixture = MRTFixture(resolved, Path(request.config.rootpath))
    except (ConfigError, MigrationError) as exc:
        _fail(str(exc))
    try:
        yield fixture
    finally:
        fixture.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: the items must exist before -k / -m deselection runs.
    if config.getoption("mrt_items", False):
        from .items import collect_migrations

        items.extend(collect_migrations(session))
