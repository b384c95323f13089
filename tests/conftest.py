"""Shared test plumbing: throwaway databases on real servers.

Every test that needs a server database gets a fresh one (``mrt_<run>_<n>``), dropped when the
session ends. Servers come from ``MRT_TEST_POSTGRES_URL`` / ``MRT_TEST_MYSQL_URL`` (the admin
URL, without a database) and default to the local ones that ``scripts/services.sh`` starts. A
server that cannot be reached is an error, never a skip: CI must exercise all three.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_mrt import MRTConfig
from pytest_mrt.dynamic import RollbackChecker
from pytest_mrt.runner import AlembicRunner
from sqlalchemy.engine import make_url

POSTGRES_ADMIN = os.environ.get(
    "MRT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("MRT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
DIALECTS = ("sqlite", "postgresql", "mariadb")

_RUN = uuid.uuid4().hex[:8]
_counter = itertools.count(1)


class ThrowawayDatabases:
    """Creates databases on demand and drops all of them at the end of the session."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._created: list[tuple[str, str]] = []  # (admin url, database name)

    def create(self, dialect: str) -> str:
        name = f"mrt_{_RUN}_{next(_counter)}"
        if dialect == "sqlite":
            return f"sqlite:///{self._tmp.mktemp('sqlite') / (name + '.db')}"
        admin = {"postgresql": POSTGRES_ADMIN, "mariadb": MYSQL_ADMIN}[dialect]
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        except sa.exc.OperationalError as exc:
            pytest.fail(
                f"{dialect} server unreachable at {make_url(admin).render_as_string()}: "
                f"{exc.orig}. Start it with scripts/services.sh.",
                pytrace=False,
            )
        finally:
            engine.dispose()
        self._created.append((admin, name))
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for admin, name in self._created:
            engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    if engine.dialect.name == "postgresql":
                        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    else:
                        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            finally:
                engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    dbs = ThrowawayDatabases(tmp_path_factory)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def make_db(databases: ThrowawayDatabases) -> Callable[[str], str]:
    """``make_db("postgresql")`` → the URL of a fresh, empty throwaway database."""
    return databases.create


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, databases: ThrowawayDatabases) -> str:
    """A fresh empty database on each of SQLite, PostgreSQL and MariaDB."""
    return databases.create(request.param)


@pytest.fixture
def check() -> Iterator[Callable[..., RollbackChecker]]:
    """``check(project_dir, url, **config)`` → a RollbackChecker, closed afterwards."""
    opened: list[tuple[RollbackChecker, AlembicRunner]] = []

    def make(project: Path, url: str, **fields: object) -> RollbackChecker:
        config = MRTConfig(**fields)  # type: ignore[arg-type]
        runner = AlembicRunner.for_config(project / "alembic.ini", url, config)
        checker = RollbackChecker(runner, config)
        opened.append((checker, runner))
        return checker

    yield make
    for checker, runner in opened:
        checker.close()
        runner.dispose()
