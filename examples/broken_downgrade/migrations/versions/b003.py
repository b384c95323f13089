"""notes (safe)

Revision ID: b003
Revises: b002
"""

import sqlalchemy as sa
from alembic import op

revision = "b003"
down_revision = "b002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id")),
        sa.Column("title", sa.String(50)),
        sa.Column("body", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("notes")
