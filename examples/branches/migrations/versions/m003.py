"""merge: a column on notes (safe)

Revision ID: m003
Revises: m002a, m002b
"""

import sqlalchemy as sa
from alembic import op

revision = "m003"
down_revision = ("m002a", "m002b")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notes", sa.Column("title", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("title")
