"""upper-case user names (UNSAFE: a data transform with no reverse)

Revision ID: 006
Revises: 005
"""

from alembic import op

revision = "006"
down_revision = "005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE users SET name = UPPER(name)")


def downgrade() -> None:
    # The original spelling is gone; nothing to do.
    pass
