"""accounts (safe)

Revision ID: d001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "d001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("phone", sa.String(30), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("accounts")
