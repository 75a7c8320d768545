"""nightly runs of the schedule (census monitor) and their per-site steps

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nightly_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("scored_at", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("starts", sa.Integer(), nullable=False),
        sa.Column("steps", sa.String(length=60), nullable=False),
        sa.Column("sites_planned", sa.Integer(), nullable=False),
        sa.Column("sites_done", sa.Integer(), nullable=False),
        sa.Column("sites_failed", sa.Integer(), nullable=False),
        sa.Column("scorecards", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nightly_runs")),
        sa.UniqueConstraint("night", name="uq_nightly_runs_night"),
    )
    op.create_table(
        "nightly_run_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["nightly_runs.id"],
            name=op.f("fk_nightly_run_sites_run_id_nightly_runs"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"],
            name=op.f("fk_nightly_run_sites_site_id_sites"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nightly_run_sites")),
        sa.UniqueConstraint(
            "run_id", "site_id", "step", name="uq_nightly_run_sites_run_id_site_id_step"
        ),
    )  # fmt: skip
    op.create_index("ix_nightly_run_sites_site_id", "nightly_run_sites", ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_nightly_run_sites_site_id", table_name="nightly_run_sites")
    op.drop_table("nightly_run_sites")
    op.drop_table("nightly_runs")
