"""Seeder coverage on real schemas: prints how many tables the seeder fills; asserts nothing.

    .venv/bin/python bench/seed_coverage.py [--only mlflow,prefect] [--dialects sqlite,postgresql]
                                            [--rounds N]

Builds the head schema of mlflow-skinny 3.17.2 (SQLite, PostgreSQL, MariaDB), prefect 3.8.8
(SQLite, PostgreSQL) and apache-airflow-core 3.3.2 (SQLite, PostgreSQL, MariaDB) with their own
Alembic chains, then calls ``Engine.seed`` with ``seed_rows=3`` and no ``custom_seeds``. A table
counts as seeded when it gained 3 rows. Target (issue 8): at least 99 % of tables on each.
Every warning of the seeder (a reference left NULL, ...) is printed under its line.

airflow's chain does not reach its head on MariaDB (eed27faa34e3 calls MySQL 8's six-argument
REGEXP_REPLACE); the line then measures the schema the chain reached and says where it stopped.

Each project lives in its own venv, ``bench/.cache/real-venv-<project>`` (created on the first
run with pip; their pins conflict), and the schemas are built there in a subprocess; only the
seeding runs here.

Servers: MRT_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and
MRT_TEST_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from pytest_mrt import _core
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
# One venv per project: their pins conflict (fastapi between prefect and airflow).
PROJECTS = {
    "mlflow": "mlflow-skinny==3.17.2",
    "prefect": "prefect==3.8.8",
    "airflow": "apache-airflow-core==3.3.2",
}
# aiomysql: airflow builds an async engine too, mysql+aiomysql for a mysql URL.
DRIVERS = [
    "alembic",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "psycopg2-binary",
    "pymysql",
    "aiomysql",
]
POSTGRES_ADMIN = os.environ.get(
    "MRT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("MRT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
PLAN = {
    "mlflow": ("sqlite", "postgresql", "mariadb"),
    "prefect": ("sqlite", "postgresql"),
    # airflow on MariaDB runs with PyMySQL (see BUILD); its chain stops at eed27faa34e3, whose
    # REGEXP_REPLACE takes MySQL 8's six arguments (MariaDB's takes three).
    "airflow": ("sqlite", "postgresql", "mariadb"),
}

# Runs in the projects' venv: build the head schema of one project at one URL.
BUILD = r"""
import os, sys
project, url, home = sys.argv[1], sys.argv[2], sys.argv[3]
from alembic import command
from alembic.config import Config
import sqlalchemy as sa

if project == "mlflow":
    import mlflow.store.db_migrations as m
    from mlflow.store.tracking.dbmodels.initial_models import Base

    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    cfg = Config()
    cfg.set_main_option("script_location", os.path.dirname(m.__file__))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
elif project == "prefect":
    os.environ["PREFECT_HOME"] = home
    async_url = url.replace("sqlite://", "sqlite+aiosqlite://").replace(
        "postgresql+psycopg2://", "postgresql+asyncpg://"
    )
    os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = async_url
    import anyio
    import prefect.server.database as db

    ini = os.path.join(os.path.dirname(db.__file__), "alembic.ini")
    cfg = Config(ini)
    anyio.run(anyio.to_thread.run_sync, lambda: command.upgrade(cfg, "heads"))
elif project == "airflow":
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url
    connect_args = {}
    if url.startswith("mysql+pymysql"):
        # airflow's settings import MySQLdb (mysqlclient) for any mysql URL, to register a
        # converter; PyMySQL stands in for it. Its migrations send several statements in one
        # call (5f2621c13b39 creates, calls and drops a procedure), which mysqlclient allows
        # by default and PyMySQL only with these flags.
        import pymysql
        from pymysql.constants import CLIENT

        pymysql.install_as_MySQLdb()
        import MySQLdb.converters

        MySQLdb.converters.DateTime2literal = pymysql.converters.escape_datetime
        connect_args = {"client_flag": CLIENT.MULTI_STATEMENTS | CLIENT.MULTI_RESULTS}
    import airflow

    ini = os.path.join(os.path.dirname(airflow.__file__), "alembic.ini")
    cfg = Config(ini)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = sa.create_engine(url, connect_args=connect_args)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
"""


def ensure_venv(project: str) -> Path:
    venv = CACHE / f"real-venv-{project}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", PROJECTS[project], *DRIVERS], check=True
        )
    return python


def create_db(dialect: str, tmp: Path) -> tuple[str, str]:
    """(URL for SQLAlchemy, admin URL or "" for SQLite)."""
    name = f"mrt_cov_{uuid.uuid4().hex[:8]}"
    if dialect == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}", ""
    admin = POSTGRES_ADMIN if dialect == "postgresql" else MYSQL_ADMIN
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        charset = " CHARACTER SET utf8mb4" if dialect == "mariadb" else ""
        conn.exec_driver_sql(f"CREATE DATABASE {name}{charset}")
    engine.dispose()
    url = make_url(admin).set(database=name)
    if dialect == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url.render_as_string(hide_password=False), admin


def drop_db(url: str, admin: str) -> None:
    if not admin:
        return
    name = make_url(url).database
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        force = " WITH (FORCE)" if engine.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
    engine.dispose()


def counts(url: str, tables: list[str]) -> dict[str, int]:
    engine = sa.create_engine(url)
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as conn:
        out = {
            t: int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(t)}").scalar_one())
            for t in tables
        }
    engine.dispose()
    return out


def measure(python: Path, project: str, dialect: str, tmp: Path, rounds: int) -> str:
    url, admin = create_db(dialect, tmp)
    try:
        home = tmp / f"{project}-{dialect}-home"
        home.mkdir()
        start = time.perf_counter()
        built = subprocess.run(
            [str(python), "-c", BUILD, project, url, str(home)],
            capture_output=True,
            text=True,
            cwd=home,
        )
        build_s = time.perf_counter() - start
        partial = ""
        if built.returncode != 0:
            output = built.stdout + built.stderr
            errors = re.findall(r"^[\w.]+(?:Error|Exception): .*$", built.stderr, re.M)
            last = errors[-1] if errors else (built.stderr.strip().splitlines() or ["?"])[-1]
            steps = re.findall(r"Running upgrade (\S*) -> (\S+),", output)
            if not steps:
                return f"{project:8} {dialect:10} schema build failed: {_core.redact_url(last)}"
            # The chain stops at a revision: measure the schema it reached, and say so.
            partial = (
                f"    partial schema: the upgrade stops at {steps[-1][1]} (revision"
                f" {len(steps)} of the chain), {steps[-1][0]} reached: {_core.redact_url(last)}"
            )
        engine = _core.Engine(url, ["alembic_version"])
        schema = engine.snapshot()
        tables = schema.tables
        before = counts(url, tables)
        start = time.perf_counter()
        outcome = engine.seed(schema, tables, 3, 1)
        seed_s = time.perf_counter() - start
        after = counts(url, tables)
        full = [t for t in tables if after[t] - before[t] >= 3]
        pct = 100.0 * len(full) / len(tables) if tables else 100.0
        lines = [
            f"{project:8} {dialect:10} {len(tables):6} {len(full):7} {pct:7.1f}%"
            f"   (schema {build_s:.0f} s, seed {seed_s:.2f} s, {len(outcome.warnings)} warnings)"
        ]
        if partial:
            lines.append(partial)
        lines += [f"    warning: {w}" for w in outcome.warnings]
        # Later rounds, as check_all() seeds again before each revision (salt 2, 3, ...) on
        # top of the rows already there.
        for salt in range(2, rounds + 1):
            now = counts(url, tables)
            again = engine.seed(schema, tables, 3, salt)
            later = counts(url, tables)
            filled = [t for t in tables if later[t] - now[t] >= 3]
            lines.append(f"    round {salt}: {len(filled)}/{len(tables)} tables seeded")
            lines += [f"    round {salt} warning: {w}" for w in again.warnings]
            lines += [
                f"    round {salt} unseeded {u.table}: [{u.constraint}] {u.reason}"
                for u in again.unseeded
            ]
        engine.close()
        reasons = {u.table: u for u in outcome.unseeded}
        for t in tables:
            if t in full:
                continue
            u = reasons.get(t)
            why = f"[{u.constraint}] {u.reason}" if u else f"{after[t] - before[t]} rows, no report"
            lines.append(f"    unseeded {t}: {why}")
        return "\n".join(lines)
    finally:
        drop_db(url, admin)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="mlflow,prefect,airflow")
    parser.add_argument("--dialects", default="sqlite,postgresql,mariadb")
    parser.add_argument("--rounds", type=int, default=1, help="seeding rounds (salts 1..N)")
    args = parser.parse_args()
    wanted = args.dialects.split(",")
    print(f"{'project':8} {'dialect':10} {'tables':>6} {'seeded':>7} {'%':>8}")
    with tempfile.TemporaryDirectory(prefix="mrt-cov-") as tmp:
        for project in args.only.split(","):
            python = ensure_venv(project)
            for dialect in PLAN[project]:
                if dialect in wanted:
                    print(measure(python, project, dialect, Path(tmp), args.rounds), flush=True)


if __name__ == "__main__":
    main()
