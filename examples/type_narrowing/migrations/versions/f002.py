"""UNSAFE: Numeric(10,2) -> Integer loses the cents.

Revision ID: f002
Revises: f001
"""

import sqlalchemy as sa
from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.alter_column(
            "amount", type_=sa.Integer(), existing_type=sa.Numeric(10, 2), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.alter_column(
            "amount", type_=sa.Numeric(10, 2), existing_type=sa.Integer(), existing_nullable=False
        )
