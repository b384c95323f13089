"""notes (safe)

Revision ID: t003
Revises: t002
"""

import sqlalchemy as sa
from alembic import op

revision = "t003"
down_revision = "t002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("notes")
