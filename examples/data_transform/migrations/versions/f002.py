"""UNSAFE: upper-cases names; no way back.

Revision ID: f002
Revises: f001
"""

from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE accounts SET name = UPPER(name)")


def downgrade() -> None:
    pass
