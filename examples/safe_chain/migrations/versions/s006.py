"""rename a column and rename it back

Revision ID: s006
Revises: s005
"""

import sqlalchemy as sa
from alembic import op

revision = "s006"
down_revision = "s005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order") as batch:
        batch.alter_column(
            "total",
            new_column_name="amount",
            existing_type=sa.Numeric(12, 3),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("order") as batch:
        batch.alter_column(
            "amount",
            new_column_name="total",
            existing_type=sa.Numeric(12, 3),
            existing_nullable=True,
        )
