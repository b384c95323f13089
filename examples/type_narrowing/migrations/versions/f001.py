"""accounts (safe)

Revision ID: f001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "f001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payments")
