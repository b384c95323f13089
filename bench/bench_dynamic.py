"""Dynamic-check benchmark: prints ratios, asserts nothing.

    .venv/bin/python bench/bench_dynamic.py [--revisions 30] [--rows 1000000] [--skip-old]

1. A generated chain of N safe revisions (tables, columns, indexes, foreign keys), on SQLite
   and PostgreSQL: our ``check_all()`` against a bare in-process Alembic loop doing the same
   upgrade → downgrade → upgrade per revision (target: ≤ 1.3x).
2. The same chain through pytest-mrt 1.9.1 (installed into bench/.cache/venv-old), per
   revision, next to ours.
3. Fingerprinting a table of ``--rows`` rows on PostgreSQL (target: ≤ 2 s for 1,000,000).

Servers: MRT_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OLD_VENV = ROOT / "bench" / ".cache" / "venv-old"
POSTGRES_ADMIN = os.environ.get(
    "MRT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# Whatever pytest_mrt the running interpreter has: the dev venv's editable build, or a
# release wheel in another venv (see README).
from pytest_mrt import MRTConfig  # noqa: E402
from pytest_mrt.dynamic import RollbackChecker  # noqa: E402
from pytest_mrt.runner import AlembicRunner  # noqa: E402

INI = """[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = sqlite:///unused.db
"""

ENV = """
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run(connection):
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection", None)
if connection is None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run(conn)
else:
    run(connection)
"""


def make_chain(folder: Path, n: int) -> Path:
    """N revisions cycling through: create table (FK to the previous one), add column, index."""
    versions = folder / "migrations" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text(INI)
    (folder / "migrations" / "env.py").write_text(ENV)
    table = None
    for i in range(1, n + 1):
        rev, down = f"r{i:03d}", (f"r{i - 1:03d}" if i > 1 else None)
        if i % 3 == 1:
            prev, table = table, f"t{i:03d}"
            fk = f', sa.ForeignKey("{prev}.id")' if prev else ""
            up = [
                "op.create_table(",
                f'    "{table}",',
                '    sa.Column("id", sa.Integer, primary_key=True),',
                '    sa.Column("name", sa.String(50), nullable=False),',
                '    sa.Column("amount", sa.Numeric(10, 2)),',
                '    sa.Column("created", sa.Date),',
                f'    sa.Column("parent_id", sa.Integer{fk}),',
                ")",
            ]
            down_ops = [f'op.drop_table("{table}")']
        elif i % 3 == 2:
            up = [f'op.add_column("{table}", sa.Column("note", sa.String(40)))']
            down_ops = [f'with op.batch_alter_table("{table}") as b:', '    b.drop_column("note")']
        else:
            up = [f'op.create_index("ix_{table}_note", "{table}", ["note"])']
            down_ops = [f'op.drop_index("ix_{table}_note", table_name="{table}")']
        body = [
            "import sqlalchemy as sa",
            "from alembic import op",
            "",
            f"revision = {rev!r}",
            f"down_revision = {down!r}",
            "",
            "",
            "def upgrade():",
            *(f"    {line}" for line in up),
            "",
            "",
            "def downgrade():",
            *(f"    {line}" for line in down_ops),
            "",
        ]
        (versions / f"{rev}.py").write_text("\n".join(body))
    return folder / "alembic.ini"


class Databases:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def fresh(self, dialect: str) -> str:
        name = f"mrt_bench_{uuid.uuid4().hex[:8]}"
        if dialect == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        engine = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        self.created.append(name)
        return sa.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        engine = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.created:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()


def bare_loop(ini: Path, url: str) -> float:
    """Plain ``alembic.command`` calls, one committed transaction per step, as users run it."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ini))
    cfg.set_main_option("sqlalchemy.url", url)
    scripts = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def step(fn: Any, target: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            fn(cfg, target)

    start = time.perf_counter()
    for script in scripts:
        step(command.upgrade, script.revision)
        step(command.downgrade, script.down_revision or "base")
        step(command.upgrade, script.revision)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def bare_runner(ini: Path, url: str) -> float:
    """The same loop through our runner (scripts loaded once): Alembic's share of check_all."""
    runner = AlembicRunner(ini, url)
    start = time.perf_counter()
    for script in runner.walk_revisions():
        runner.upgrade(script.revision)
        runner.downgrade(script.down_revision or "base")  # type: ignore[arg-type]
        runner.upgrade(script.revision)
    elapsed = time.perf_counter() - start
    runner.dispose()
    return elapsed


def ours(ini: Path, url: str) -> tuple[float, int]:
    runner = AlembicRunner(ini, url)
    checker = RollbackChecker(runner, MRTConfig())
    start = time.perf_counter()
    results = checker.check_all()
    elapsed = time.perf_counter() - start
    bad = [r for r in results if not r.passed]
    assert not bad, [r.failure_summary() for r in bad]
    checker.close()
    runner.dispose()
    return elapsed, len(results)


OLD_SCRIPT = """
import sys, time
from pytest_mrt.core.runner import MigrationRunner
from pytest_mrt.core.verifier import RollbackVerifier
runner = MigrationRunner(sys.argv[1], sys.argv[2])
start = time.perf_counter()
results = RollbackVerifier(runner).check_all()
elapsed = time.perf_counter() - start
print(elapsed, len(results), sum(1 for r in results if r.passed))
"""


def old(ini: Path, url: str) -> str:
    python = OLD_VENV / "bin" / "python"
    if not python.exists():
        return (
            "not installed (python3 -m venv bench/.cache/venv-old && "
            "bench/.cache/venv-old/bin/pip install pytest-mrt==1.9.1 "
            "psycopg2-binary 'psycopg[binary]')"
        )
    proc = subprocess.run(
        [str(python), "-c", OLD_SCRIPT, str(ini), url],
        capture_output=True,
        text=True,
        cwd=ini.parent,
        timeout=1800,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"failed: {last}"
    return proc.stdout.strip()


def fingerprint_rows(dbs: Databases, rows: int, repeat: int) -> None:
    from pytest_mrt import _core

    url = dbs.fresh("postgresql")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE big (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(12,2), "
            "created DATE, flag BOOLEAN)"
        )
        conn.exec_driver_sql(
            f"INSERT INTO big SELECT g, 'name ' || g, g * 1.25, DATE '2020-01-01' + (g %% 1000), "
            f"g %% 2 = 0 FROM generate_series(1, {rows}) g"
        )
        conn.exec_driver_sql("ANALYZE big")
    engine.dispose()
    eng = _core.Engine(url)
    schema = eng.snapshot()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fp = eng.fingerprint(schema)
        times.append(time.perf_counter() - start)
    assert fp.row_count("big") == rows
    eng.close()
    print(
        f"fingerprint {rows:,} PostgreSQL rows: best {min(times):.2f} s (runs: "
        + ", ".join(f"{t:.2f}" for t in times)
        + ")  target <= 2 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--revisions", type=int, default=30)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-old", action="store_true")
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (the machine is shared)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mrt-bench-") as tmp:
        ini = make_chain(Path(tmp) / "chain", args.revisions)
        dbs = Databases(Path(tmp))
        try:
            for dialect in args.dialects.split(","):
                bare = min(bare_loop(ini, dbs.fresh(dialect)) for _ in range(args.repeat))
                steps = min(bare_runner(ini, dbs.fresh(dialect)) for _ in range(args.repeat))
                runs = [ours(ini, dbs.fresh(dialect)) for _ in range(args.repeat)]
                mine, n = min(runs)
                print(
                    f"{dialect:10s} {n} revisions: bare Alembic up/down/up {bare:.2f} s, "
                    f"check_all {mine:.2f} s -> {mine / bare:.2f}x (target <= 1.3x); "
                    f"{mine / n * 1000:.0f} ms per revision"
                )
                print(
                    f"{'':10s} same steps through our runner (scripts loaded once) {steps:.2f} s "
                    f"-> check_all is {mine / steps:.2f}x of its own Alembic work"
                )
                if not args.skip_old:
                    out = old(ini, dbs.fresh(dialect))
                    parts = out.split()
                    if len(parts) == 3 and not out.startswith(("failed", "not")):
                        t_old, n_old, ok_old = float(parts[0]), int(parts[1]), int(parts[2])
                        print(
                            f"{'':10s} pytest-mrt 1.9.1: {t_old:.2f} s, "
                            f"{t_old / max(n_old, 1) * 1000:.0f} ms per revision "
                            f"({ok_old}/{n_old} passed) -> ours is {t_old / mine:.1f}x faster"
                        )
                    else:
                        print(f"{'':10s} pytest-mrt 1.9.1: {out}")
            if args.rows:
                fingerprint_rows(dbs, args.rows, max(args.repeat, 1))
        finally:
            dbs.drop_all()


if __name__ == "__main__":
    main()
