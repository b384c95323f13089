import os

from pytest_mrt import MRTConfig


def pytest_configure(config):
    config._mrt_config = MRTConfig(
        alembic_ini="alembic.ini",
        # No URL: a temporary SQLite file. Point TEST_DATABASE_URL (or --mrt-db-url) at a
        # throwaway PostgreSQL or MariaDB database to test there instead.
        db_url=os.environ.get("TEST_DATABASE_URL", ""),
    )
