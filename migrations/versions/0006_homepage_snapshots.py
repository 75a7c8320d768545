"""homepage snapshots (daily record, navigation-only detection) and second-level entries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "homepage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("dated_items", sa.Integer(), nullable=False),
        sa.Column("navigation_only", sa.Boolean(), nullable=True),
        sa.Column("second_level_pages", sa.Integer(), nullable=False),
        sa.Column("second_level_items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"],
            name=op.f("fk_homepage_snapshots_site_id_sites"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"],
            name=op.f("fk_homepage_snapshots_scan_id_scans"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homepage_snapshots")),
    )  # fmt: skip
    op.create_index(
        "ix_homepage_snapshots_site_taken", "homepage_snapshots", ["site_id", "taken_at"]
    )
    with op.batch_alter_table("column_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("second_level", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("column_items", schema=None) as batch_op:
        batch_op.drop_column("second_level")
    op.drop_index("ix_homepage_snapshots_site_taken", table_name="homepage_snapshots")
    op.drop_table("homepage_snapshots")
