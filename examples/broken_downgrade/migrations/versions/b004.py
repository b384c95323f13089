"""an index (safe)

Revision ID: b004
Revises: b003
"""

from alembic import op

revision = "b004"
down_revision = "b003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notes_title", "notes", ["title"])


def downgrade() -> None:
    op.drop_index("ix_notes_title", table_name="notes")
