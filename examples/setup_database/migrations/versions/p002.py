"""drop legacy.name (UNSAFE: the downgrade re-adds it empty)

Revision ID: p002
Revises: p001
"""

import sqlalchemy as sa
from alembic import op

revision = "p002"
down_revision = "p001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("legacy") as batch:
        batch.drop_column("name")


def downgrade() -> None:
    with op.batch_alter_table("legacy") as batch:
        batch.add_column(sa.Column("name", sa.String(40), nullable=True))
