"""shorten posts.title to 50 characters (RISKY: longer titles do not fit)

Revision ID: 008
Revises: 007
"""

import sqlalchemy as sa
from alembic import op

revision = "008"
down_revision = "007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.alter_column("title", type_=sa.String(50), existing_type=sa.String(200))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.alter_column("title", type_=sa.String(200), existing_type=sa.String(50))
