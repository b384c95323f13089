"""accounts.tier: NOT NULL, no default, no backfill (fails on a filled table)

Revision ID: d002
Revises: d001
"""

import sqlalchemy as sa
from alembic import op

revision = "d002"
down_revision = "d001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Two steps so that every dialect refuses existing rows (MariaDB would fill an
    # ADD COLUMN ... NOT NULL with 0); batch mode lets SQLite alter the column.
    op.add_column("accounts", sa.Column("tier", sa.Integer, nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("tier", existing_type=sa.Integer, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("tier")
