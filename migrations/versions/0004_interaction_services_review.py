"""interaction, services and review: column checks, activities, guides, attachments; message
and finding fields for the 人工复核 queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "column_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opens", sa.Boolean(), nullable=False),
        sa.Column("failure", sa.String(length=40), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["column_id"], ["columns.id"],
            name=op.f("fk_column_checks_column_id_columns"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_checks")),
    )
    op.create_index(
        "ix_column_checks_column_checked", "column_checks", ["column_id", "checked_at"]
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["column_id"], ["columns.id"],
            name=op.f("fk_activities_column_id_columns"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("column_id", "url", name="uq_activities_column_id_url"),
    )
    op.create_table(
        "guides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        sa.Column("present", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["column_id"], ["columns.id"],
            name=op.f("fk_guides_column_id_columns"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guides")),
        sa.UniqueConstraint("column_id", "url", name="uq_guides_column_id_url"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column("downloads_ok", sa.Boolean(), nullable=True),
        sa.Column("failure", sa.String(length=40), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["guide_id"], ["guides.id"],
            name=op.f("fk_attachments_guide_id_guides"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_guide_id"), "attachments", ["guide_id"])
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_text", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("valid", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=24), nullable=False, server_default="scanner")
        )
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("reviewer", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=False, server_default=""))
        batch_op.create_unique_constraint(
            "uq_findings_site_id_fingerprint", ["site_id", "fingerprint"]
        )


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_findings_site_id_fingerprint", type_="unique")
        batch_op.drop_column("comment")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewer")
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("source")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("valid")
        batch_op.drop_column("status_text")
    op.drop_index(op.f("ix_attachments_guide_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_table("guides")
    op.drop_table("activities")
    op.drop_index("ix_column_checks_column_checked", table_name="column_checks")
    op.drop_table("column_checks")
