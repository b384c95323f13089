"""The application creates `legacy` before Alembic ever runs; pytest-mrt must do the same on
every fresh or rebuilt test database."""

import sqlalchemy as sa
from pytest_mrt import MRTConfig


def create_legacy(connection: sa.engine.Connection) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "legacy",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=True),
    )
    metadata.create_all(connection)


def pytest_configure(config):
    config._mrt_config = MRTConfig(setup_database=create_legacy)
