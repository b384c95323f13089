"""lower-case vault.secret: rows only, no schema change (unverified: vault holds no rows)

Revision ID: u003
Revises: u002
"""

from alembic import op

revision = "u003"
down_revision = "u002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE vault SET secret = lower(secret)")


def downgrade() -> None:
    pass
