"""UNSAFE: the downgrade restores accounts.rating with another type.

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
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "rating", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "rating", type_=sa.Numeric(12, 0), existing_type=sa.BigInteger(), existing_nullable=True
        )
