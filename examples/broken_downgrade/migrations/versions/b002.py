"""add a column; the downgrade crashes

Revision ID: b002
Revises: b001
"""

import sqlalchemy as sa
from alembic import op

revision = "b002"
down_revision = "b001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("score", sa.Integer, nullable=True))


def downgrade() -> None:
    op.execute("DROP TABLE table_that_does_not_exist")
