"""UNSAFE: drops accounts.phone; the downgrade re-adds it empty.

Revision ID: a002
Revises: a001
"""

import sqlalchemy as sa
from alembic import op

revision = "a002"
down_revision = "a001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("phone")


def downgrade() -> None:
    op.add_column("accounts", sa.Column("phone", sa.String(30), nullable=True))
