"""a view

Revision ID: s005
Revises: s004
"""

from alembic import op

revision = "s005"
down_revision = "s004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE VIEW active_accounts AS SELECT id, email FROM accounts WHERE balance > 0")


def downgrade() -> None:
    op.execute("DROP VIEW active_accounts")
