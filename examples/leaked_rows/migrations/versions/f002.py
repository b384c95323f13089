"""UNSAFE: inserts rows the downgrade leaves behind.

Revision ID: f002
Revises: f001
"""

from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO accounts (name, email) VALUES ('system', 'system@example.com')")


def downgrade() -> None:
    pass
