"""drop accounts.phone (UNSAFE: the downgrade re-adds it empty)

Revision ID: d004
Revises: d003
"""

import sqlalchemy as sa
from alembic import op

revision = "d004"
down_revision = "d003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("phone")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("phone", sa.String(30), nullable=True))
