"""rename posts.body to content (UNSAFE: the downgrade renames it to another name)

Revision ID: 007
Revises: 006
"""

import sqlalchemy as sa
from alembic import op

revision = "007"
down_revision = "006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.alter_column(
            "body", new_column_name="content", existing_type=sa.Text, existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.alter_column(
            "content", new_column_name="body_text", existing_type=sa.Text, existing_nullable=True
        )
