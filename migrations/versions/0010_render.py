"""columns read through the headless browser: columns.render, column_snapshots.read_via

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("columns") as batch:
        batch.add_column(
            sa.Column("render", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("column_snapshots") as batch:
        batch.add_column(
            sa.Column("read_via", sa.String(length=16), nullable=False, server_default="static")
        )


def downgrade() -> None:
    with op.batch_alter_table("column_snapshots") as batch:
        batch.drop_column("read_via")
    with op.batch_alter_table("columns") as batch:
        batch.drop_column("render")
