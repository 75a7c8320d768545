"""nights that cost what changed: page_memos (validators, body hash and links of each site's
pages, for conditional requests), pages.reuse (how a night knew a page)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("etag", sa.String(length=200), nullable=False),
        sa.Column("last_modified", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("links", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_page_memos_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_memos")),
        sa.UniqueConstraint("site_id", "url", name="uq_page_memos_site_id_url"),
    )
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("reuse", sa.String(length=8), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("reuse")
    op.drop_table("page_memos")
