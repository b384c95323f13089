"""tags (safe)

Revision ID: d003
Revises: d002
"""

import sqlalchemy as sa
from alembic import op

revision = "d003"
down_revision = "d002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tags")
