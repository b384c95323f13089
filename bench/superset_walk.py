"""Walk apache-superset's Alembic chain on a real database and print every downgrade that fails.

Run it with a Python that has superset installed (not this project's venv: superset pins its
own SQLAlchemy), for example:

    python3 -m venv /var/tmp/superset-venv
    /var/tmp/superset-venv/bin/pip install apache-superset==6.1.0 psycopg2-binary pymysql \
        "flask-caching<2.3.1"
    /var/tmp/superset-venv/bin/python bench/superset_walk.py postgresql
    /var/tmp/superset-venv/bin/python bench/superset_walk.py sqlite
    /var/tmp/superset-venv/bin/python bench/superset_walk.py mysql

`postgresql`: the database goes up one revision at a time; each revision's round trip (its
downgrade, then its upgrade again) runs on a copy made with `CREATE DATABASE ... TEMPLATE`, so a
failure leaves the walk intact. Lines read `DOWN-FAIL` (the downgrade failed) or `REUP-FAIL` (the
downgrade ran and the upgrade after it failed).

`sqlite` / `mysql` (MariaDB): up to the heads, then each revision's `downgrade()` is run on its
own, newest first; after a failure the database is rebuilt from a copy taken before the first
revision and upgraded to where the walk goes on. Merge revisions (empty in superset) are stamped.

Throwaway databases: `scratch_sup*` (dropped and made again), `/var/tmp/sup-walk.db`.
"""

from __future__ import annotations

import logging
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import sqlalchemy as sa

PG = "postgresql+psycopg2://postgres@127.0.0.1/"
MY = "mysql+pymysql://root@127.0.0.1/"
SQLITE_FILE = "/var/tmp/sup-walk.db"


def first_line(e: BaseException) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:220]}"


def admin_sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        c.exec_driver_sql(statement)


def make_app(url: str) -> Any:
    """Superset's app (its env.py reads the database URL from it); it makes FAB's tables."""
    config = pathlib.Path(tempfile.mkdtemp()) / "superset_config.py"
    config.write_text(
        f"SQLALCHEMY_DATABASE_URI = {url!r}\n"
        "SECRET_KEY = 'x' * 32\n"
        "ALEMBIC_SKIP_LOG_CONFIG = True\n"
    )
    os.environ["SUPERSET_CONFIG_PATH"] = str(config)
    logging.disable(logging.WARNING)
    from superset.app import create_app

    return create_app()


def alembic_config(url: str) -> Any:
    import superset
    from alembic.config import Config

    cfg = Config()
    migrations = pathlib.Path(superset.__file__).parent / "migrations"
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def walk_postgresql() -> int:
    import superset
    from alembic import command
    from alembic.script import ScriptDirectory

    main, copy = "scratch_sup", "scratch_sup_copy"
    admin = PG + "postgres"
    for db in (main, copy):
        admin_sql(admin, f"DROP DATABASE IF EXISTS {db}")
    admin_sql(admin, f"CREATE DATABASE {main}")
    app = make_app(PG + main)

    def cfg_for(db: str) -> Any:
        app.config["SQLALCHEMY_DATABASE_URI"] = PG + db
        return alembic_config(PG + db)

    revisions = list(reversed(list(ScriptDirectory.from_config(cfg_for(main)).walk_revisions())))
    print("revisions", len(revisions), flush=True)
    failures = 0
    with app.app_context():
        for r in revisions:
            command.upgrade(cfg_for(main), r.revision)
            if not isinstance(r.down_revision, str):
                continue
            superset.db.engine.dispose()
            admin_sql(admin, f"CREATE DATABASE {copy} TEMPLATE {main}")
            try:
                command.downgrade(cfg_for(copy), f"{r.revision}@-1")
                try:
                    command.upgrade(cfg_for(copy), r.revision)
                except Exception as e:  # the walk reports and goes on
                    failures += 1
                    print(f"REUP-FAIL {r.revision} {first_line(e)}", flush=True)
            except Exception as e:
                failures += 1
                print(f"DOWN-FAIL {r.revision} {first_line(e)}", flush=True)
            finally:
                admin_sql(admin, f"DROP DATABASE {copy} WITH (FORCE)")
    print("done, failures:", failures)
    return 0


def walk_down(kind: str) -> int:
    import superset
    from alembic import command
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    if kind == "sqlite":
        url = f"sqlite:///{SQLITE_FILE}"
        pathlib.Path(SQLITE_FILE).unlink(missing_ok=True)
    else:
        url = MY + "scratch_sup_my?charset=utf8mb4"
        from sqlalchemy.dialects.mysql.base import MySQLDialect

        initialize = MySQLDialect.initialize

        def without_sequences(self: Any, connection: Any) -> None:
            initialize(self, connection)
            self.supports_sequences = False  # FAB's sequences render a MariaDB syntax error

        MySQLDialect.initialize = without_sequences
        admin_sql(MY, "DROP DATABASE IF EXISTS scratch_sup_my")
        admin_sql(MY, "CREATE DATABASE scratch_sup_my CHARACTER SET utf8mb4")
    app = make_app(url)
    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg)
    order = {r.revision: i for i, r in enumerate(reversed(list(script.walk_revisions())))}
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(h: str) -> set[str]:
        if h not in ancestors:
            ancestors[h] = {x.revision for x in script.iterate_revisions(h, "base")}
        return ancestors[h]

    def heads() -> set[str]:
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as c:
            return set(MigrationContext.configure(c).get_current_heads())

    base_copy = pathlib.Path(tempfile.mkdtemp()) / "base"

    def rebuild(targets: list[str]) -> None:
        superset.db.engine.dispose()
        if kind == "sqlite":
            shutil.copy(base_copy, SQLITE_FILE)
        else:
            admin_sql(MY, "DROP DATABASE IF EXISTS scratch_sup_my")
            admin_sql(MY, "CREATE DATABASE scratch_sup_my CHARACTER SET utf8mb4")
            with base_copy.open() as dump:
                subprocess.run(["mysql", "-uroot", "scratch_sup_my"], stdin=dump, check=True)
        for t in targets:
            command.upgrade(cfg, t)

    failures = 0
    with app.app_context():
        superset.db.engine.dispose()
        if kind == "sqlite":
            shutil.copy(SQLITE_FILE, base_copy)
        else:
            with base_copy.open("w") as dump:
                subprocess.run(["mysqldump", "-uroot", "scratch_sup_my"], stdout=dump, check=True)
        command.upgrade(cfg, "heads")
        print("at head", flush=True)
        while current := heads():
            r = script.get_revision(max(current, key=order.__getitem__))
            down = r.down_revision
            parents = [p for p in (down if isinstance(down, tuple) else (down,)) if p]
            others = [h for h in current if h != r.revision]
            after = others + [p for p in parents if not any(p in ancestors_of(o) for o in others)]
            if len(parents) > 1:
                command.stamp(cfg, after, purge=True)
                continue
            try:
                superset.db.engine.dispose()
                engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
                with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
                    r.module.downgrade()
            except Exception as e:  # the walk reports and goes on
                failures += 1
                print(f"DOWN-FAIL {r.revision} {first_line(e)}", flush=True)
                rebuild(after)
                continue
            command.stamp(cfg, after or "base", purge=True)
    print("done, failures:", failures)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("postgresql", "sqlite", "mysql"):
        print("usage: superset_walk.py postgresql|sqlite|mysql", file=sys.stderr)
        return 2
    return walk_postgresql() if argv[0] == "postgresql" else walk_down(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
