"""UNSAFE: creates tags; the downgrade does nothing.

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
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    pass
