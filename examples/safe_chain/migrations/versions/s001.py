"""accounts: enum, JSON, Numeric, dates, server defaults, CHECKs

Revision ID: s001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("displayName", sa.String(50), nullable=True),
        sa.Column("balance", sa.Numeric(10, 2), nullable=False, server_default="0"),
        sa.Column("born_on", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood"), nullable=True),
        sa.Column("settings", sa.JSON, nullable=True),
        sa.Column("level", sa.SmallInteger, nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="new"),
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
        sa.CheckConstraint("length(email) >= 3", name="ck_accounts_email"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_accounts_level"),
        sa.CheckConstraint("status IN ('new', 'active', 'closed')", name="ck_accounts_status"),
    )


def downgrade() -> None:
    op.drop_table("accounts")
    sa.Enum(name="mood").drop(op.get_bind(), checkfirst=True)
