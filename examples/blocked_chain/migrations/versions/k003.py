"""tags (safe, but its parent k002 cannot be reached)

Revision ID: k003
Revises: k002
"""

import sqlalchemy as sa
from alembic import op

revision = "k003"
down_revision = "k002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("tags")
