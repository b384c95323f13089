"""a statement that runs for a long time

Revision ID: t002
Revises: t001
"""

from alembic import op

revision = "t002"
down_revision = "t001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT pg_sleep(30)")
    elif bind.dialect.name in ("mysql", "mariadb"):
        op.execute("SELECT SLEEP(30)")
    else:
        op.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        )


def downgrade() -> None:
    pass
