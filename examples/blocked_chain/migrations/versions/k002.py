"""index on a table that does not exist (fails even on an empty database)

Revision ID: k002
Revises: k001
"""

from alembic import op

revision = "k002"
down_revision = "k001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ghosts_name", "ghosts", ["name"])


def downgrade() -> None:
    op.drop_index("ix_ghosts_name", table_name="ghosts")
