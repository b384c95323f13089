"""a composite primary key and a table without one

Revision ID: s003
Revises: s002
"""

import sqlalchemy as sa
from alembic import op

revision = "s003"
down_revision = "s002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_tags",
        sa.Column("order_id", sa.Integer, sa.ForeignKey("order.id"), primary_key=True),
        sa.Column("tag", sa.String(30), primary_key=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("order_tags")
