"""UNSAFE: adds an index and a unique constraint the downgrade keeps.

Revision ID: f002
Revises: f001
"""

from alembic import op

revision = "f002"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_accounts_phone", "accounts", ["phone"])
    with op.batch_alter_table("accounts") as batch:
        batch.create_unique_constraint("uq_accounts_name", ["name"])


def downgrade() -> None:
    pass
