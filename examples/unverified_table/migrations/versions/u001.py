"""vault: a table no generated row can enter (safe)

Revision ID: u001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "u001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret", sa.String(40), nullable=False),
        sa.CheckConstraint("length(secret) < 0", name="ck_vault_sealed"),
    )


def downgrade() -> None:
    op.drop_table("vault")
