"""`check_all()` on real projects' Alembic chains: mlflow, prefect, airflow. Asserts nothing.

    .venv/bin/python bench/real_chains.py [--projects mlflow,prefect,airflow]
                                          [--dialects sqlite,postgresql,mariadb]
                                          [--timeout SECONDS]

Each project gets its own scratch venv under ``bench/.cache/real-venv/<project>`` (created on
the first run with pip; the pip cache makes it quick afterwards). pytest-mrt is not installed
there: the worker puts this checkout's ``python/`` folder (with the ``_core`` module that
``maturin develop`` built) first on ``sys.path``, so run ``scripts/setup.sh`` first.

Per project and database: a throwaway database, ``check_all()`` with the options the project
needs (see /work/shared/real-chains.md), then one table row: revisions, how many got each
status, wall time, and every failing revision with its first line. mlflow runs on MariaDB
too (it supports it; prefect and airflow do not ship MySQL migrations for it here).

Servers: MRT_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and
MRT_TEST_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "bench" / ".cache" / "real-venv"
POSTGRES_ADMIN = os.environ.get(
    "MRT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("MRT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
STATUSES = ("passed", "failed", "upgrade_fails_on_data", "unverified", "blocked", "skipped")

PROJECTS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    # project → (pip requirements, dialects it runs on). pytest too: the workers run this
    # checkout's pytest_mrt, a pytest plugin.
    "mlflow": (
        ["mlflow-skinny==3.17.2", "alembic", "sqlalchemy", "psycopg2-binary", "PyMySQL", "pytest"],
        ("sqlite", "postgresql", "mariadb"),
    ),
    "prefect": (
        ["prefect==3.8.8", "asyncpg", "aiosqlite", "psycopg2-binary", "pytest"],
        ("sqlite", "postgresql"),
    ),
    "airflow": (
        ["apache-airflow-core==3.3.2", "psycopg2-binary", "asyncpg", "pytest"],
        ("sqlite", "postgresql"),
    ),
}


# -- the orchestrating side (any Python) --------------------------------------------------------


def ensure_venv(project: str) -> Path:
    python = VENVS / project / "bin" / "python"
    if not python.exists():
        print(f"creating {VENVS / project} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENVS / project)], check=True)
    # Quick when everything is there already.
    requirements = PROJECTS[project][0]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    return python


def run_worker(project: str, dialect: str) -> dict[str, Any]:
    python = ensure_venv(project)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    start = time.perf_counter()
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", project, dialect],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            return data
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"worker exited {proc.returncode}: {tail}", "wall_s": wall}


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    short = {"upgrade_fails_on_data": "on_data"}
    head = ["project", "dialect", "revs", *(short.get(s, s) for s in STATUSES), "wall s"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    details: list[str] = []
    for project, dialect, data in rows:
        if "error" in data:
            lines.append(f"{project} | {dialect} | {data['error']}")
            continue
        results = data["results"]
        counts = [sum(1 for r in results if r["status"] == s) for s in STATUSES]
        lines.append(
            " | ".join(
                [project, dialect, str(len(results)), *map(str, counts), f"{data['wall_s']:.0f}"]
            )
        )
        stuck = sum(1 for r in results if "cannot reach the parent" in r["first"])
        if stuck:
            details.append(f"{project}/{dialect}: {stuck} revision(s) at 'cannot reach the parent'")
        # A pass is only worth something if every table the revision touched held rows.
        hollow = [r["revision"] for r in results if r["status"] == "passed" and r["coverage_zero"]]
        if hollow:
            details.append(
                f"{project}/{dialect}: {len(hollow)} passed with a touched table empty: "
                + ", ".join(hollow)
            )
        for r in results:
            if r["status"] not in ("passed", "skipped"):
                first = r["first"] if len(r["first"]) <= 220 else r["first"][:217] + "..."
                details.append(f"{project}/{dialect} {r['revision']} [{r['status']}] {first}")
    return "\n".join([*lines, "", *details])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", default="mlflow,prefect,airflow")
    parser.add_argument("--dialects", default="sqlite,postgresql,mariadb")
    parser.add_argument("--worker", nargs=2, metavar=("PROJECT", "DIALECT"))
    parser.add_argument(
        "--timeout",
        type=int,
        help="migration_timeout for every run (exercises the bounded steps; off by default)",
    )
    args = parser.parse_args()
    if args.timeout is not None:
        os.environ["MRT_BENCH_TIMEOUT"] = str(args.timeout)
    if args.worker:
        worker(*args.worker)
        return
    wanted = args.dialects.split(",")
    known = {d for _, dialects in PROJECTS.values() for d in dialects}
    unknown = [d for d in wanted if d not in known]
    if unknown or any(p not in PROJECTS for p in args.projects.split(",")):
        names = ", ".join(unknown) or args.projects
        parser.error(f"unknown dialect or project: {names} (known: {', '.join(sorted(known))})")
    rows = []
    for project in args.projects.split(","):
        for dialect in PROJECTS[project][1]:
            if dialect not in wanted:
                continue
            print(f"{project} on {dialect} ...", file=sys.stderr, flush=True)
            data = run_worker(project, dialect)
            rows.append((project, dialect, data))
            print(table([(project, dialect, data)]).splitlines()[2], file=sys.stderr, flush=True)
    print(table(rows))


# -- the worker (runs inside the project's venv) --------------------------------------------


class Scratch:
    """A throwaway database named scratch_walk_<project>_<hex>, dropped afterwards."""

    def __init__(self, project: str, dialect: str, folder: Path) -> None:
        import sqlalchemy as sa

        self.dialect = dialect
        self.name = f"scratch_walk_{project}_{uuid.uuid4().hex[:8]}"
        self.admin = {"postgresql": POSTGRES_ADMIN, "mariadb": MYSQL_ADMIN}.get(dialect)
        if dialect == "postgresql":
            # SQLAlchemy 2.1 picks psycopg (3) for postgresql://; these venvs have psycopg2.
            admin = sa.make_url(POSTGRES_ADMIN).set(drivername="postgresql+psycopg2")
            self.admin = admin.render_as_string(hide_password=False)
        if dialect == "sqlite":
            self.url = f"sqlite:///{folder / (self.name + '.db')}"
            return
        assert self.admin is not None
        engine = sa.create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.name}")
        engine.dispose()
        url = sa.make_url(self.admin).set(database=self.name)
        if dialect == "postgresql":
            url = url.set(drivername="postgresql+psycopg2")
        self.url = url.render_as_string(hide_password=False)

    def async_url(self) -> str:
        import sqlalchemy as sa

        driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}[self.dialect]
        return sa.make_url(self.url).set(drivername=driver).render_as_string(hide_password=False)

    def drop(self) -> None:
        import sqlalchemy as sa

        if self.admin is None:
            return
        engine = sa.create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            force = " WITH (FORCE)" if self.dialect == "postgresql" else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.name}{force}")
        engine.dispose()


def _site_packages_dir(module: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return Path(spec.origin).parent


def worker(project: str, dialect: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"mrt-real-{project}-"))
    scratch = Scratch(project, dialect, folder)
    try:
        ini, fields = globals()[f"_{project}"](scratch, folder)
        from pytest_mrt.config import MRTConfig
        from pytest_mrt.dynamic import RollbackChecker
        from pytest_mrt.runner import AlembicRunner

        versions = fields.pop("versions_dir", None)
        if timeout := os.environ.get("MRT_BENCH_TIMEOUT"):
            fields["migration_timeout"] = int(timeout)
        config = MRTConfig(**fields)
        runner = AlembicRunner.for_config(
            ini, scratch.url, config, versions_dir=Path(versions) if versions else None
        )
        checker = RollbackChecker(runner, config)
        start = time.perf_counter()
        results = checker.check_all()
        wall = time.perf_counter() - start
        checker.close()
        runner.dispose()
        out = {
            "wall_s": wall,
            "results": [
                {
                    "revision": r.revision,
                    "status": r.status,
                    "first": (r.failures or r.warnings or [""])[0],
                    "coverage_zero": [t for t, n in r.coverage.items() if n == 0],
                    "duration_s": round(r.duration_s, 2),
                    "failures": r.failures,
                    "warnings": r.warnings,
                }
                for r in results
            ],
        }
        print(json.dumps(out))
    finally:
        scratch.drop()


def _mlflow(scratch: Scratch, folder: Path) -> tuple[Path, dict[str, Any]]:
    migrations = _site_packages_dir("mlflow") / "store" / "db_migrations"
    ini = folder / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {migrations}\nsqlalchemy.url = {scratch.url}\n")

    def setup_database(connection: Any) -> None:
        from mlflow.store.tracking.dbmodels.initial_models import Base

        Base.metadata.create_all(connection)

    return ini, {"setup_database": setup_database}


def _prefect(scratch: Scratch, folder: Path) -> tuple[Path, dict[str, Any]]:
    os.environ["PREFECT_HOME"] = str(folder / "prefect-home")
    os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = scratch.async_url()
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    package = _site_packages_dir("prefect") / "server" / "database"
    sub = "sqlite" if scratch.dialect == "sqlite" else "postgresql"
    import anyio
    import anyio.to_thread

    def wrap_alembic(call: Any) -> Any:
        return anyio.run(anyio.to_thread.run_sync, call)

    return package / "alembic.ini", {
        "versions_dir": str(package / "_migrations" / "versions" / sub),
        "wrap_alembic": wrap_alembic,
        "alembic_db_url": scratch.async_url(),
    }


def _airflow(scratch: Scratch, folder: Path) -> tuple[Path, dict[str, Any]]:
    os.environ["AIRFLOW_HOME"] = str(folder / "airflow-home")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = scratch.url
    return _site_packages_dir("airflow") / "alembic.ini", {}


if __name__ == "__main__":
    main()
