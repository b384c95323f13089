"""branch a: notes (safe)

Revision ID: m002a
Revises: m001
"""

import sqlalchemy as sa
from alembic import op

revision = "m002a"
down_revision = "m001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("notes")
