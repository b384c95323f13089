"""legacy.note: alters a table created outside Alembic (by setup_database)

Revision ID: p001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "p001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("legacy") as batch:
        batch.add_column(sa.Column("note", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("legacy") as batch:
        batch.drop_column("note")
