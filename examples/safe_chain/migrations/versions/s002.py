"""reserved-word names, FKs with ON DELETE, a self-reference

Revision ID: s002
Revises: s001
"""

import sqlalchemy as sa
from alembic import op

revision = "s002"
down_revision = "s001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("select", sa.String(20), nullable=False),
        sa.Column("total", sa.Numeric(12, 3), nullable=True),
        sa.Column("placed", sa.DateTime, nullable=True),
        sa.UniqueConstraint("account_id", "select", name="uq_order_account_select"),
    )
    op.create_table(
        "Employees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("Name", sa.String(60), nullable=False),
        sa.Column("manager_id", sa.Integer, sa.ForeignKey("Employees.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("Employees")
    op.drop_table("order")
