"""a nullable column and a (partial where supported) index

Revision ID: s004
Revises: s003
"""

import sqlalchemy as sa
from alembic import op

revision = "s004"
down_revision = "s003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("nickname", sa.String(40), nullable=True))
    op.create_index(
        "ix_accounts_nickname",
        "accounts",
        ["nickname"],
        postgresql_where=sa.text("nickname IS NOT NULL"),
        sqlite_where=sa.text("nickname IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_nickname", table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("nickname")
