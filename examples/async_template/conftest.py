"""env.py is Alembic's async template: it needs the test database's URL with an async driver.

pytest-mrt's own engine keeps the sync URL (``--mrt-db-url``); env.py gets the same database
through aiosqlite, asyncpg or aiomysql.
"""

from pytest_mrt import MRTConfig
from sqlalchemy.engine import make_url

ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}


def async_url(url: str) -> str:
    parsed = make_url(url)
    backend = "mysql" if parsed.get_backend_name() == "mariadb" else parsed.get_backend_name()
    return parsed.set(drivername=f"{backend}+{ASYNC_DRIVERS[backend]}").render_as_string(
        hide_password=False
    )


def pytest_configure(config):
    db_url = config.getoption("mrt_db_url")
    config._mrt_config = MRTConfig(alembic_db_url=async_url(db_url) if db_url else None)
