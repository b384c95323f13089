"""index posts.title (safe)

Revision ID: 003
Revises: 002
"""

from alembic import op

revision = "003"
down_revision = "002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_posts_title", "posts", ["title"])


def downgrade() -> None:
    op.drop_index("ix_posts_title", table_name="posts")
