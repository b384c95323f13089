"""branch b: labels (UNSAFE: no-op downgrade)

Revision ID: m002b
Revises: m001
"""

import sqlalchemy as sa
from alembic import op

revision = "m002b"
down_revision = "m001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(20)),
    )


def downgrade() -> None:
    pass
