"""UNSAFE: drops accounts; the downgrade recreates it empty.

Revision ID: f002
Revises: f001
"""

import sqlalchemy as sa
from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("accounts")


def downgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
    )
