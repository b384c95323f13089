"""vault.note (its data check cannot happen: vault holds no rows)

Revision ID: u002
Revises: u001
"""

import sqlalchemy as sa
from alembic import op

revision = "u002"
down_revision = "u001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vault") as batch:
        batch.add_column(sa.Column("note", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vault") as batch:
        batch.drop_column("note")
