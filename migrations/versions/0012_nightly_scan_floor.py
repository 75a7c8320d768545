"""nightly_run_sites.scan_floor: the site's newest scan when its crawl step first began

A crawl step whose scan finished but whose own row was never made final (its worker was killed
in between) adopts that scan when the step runs again, instead of starting a second one: a
scan of the site newer than the floor belongs to this step.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nightly_run_sites") as batch:
        batch.add_column(sa.Column("scan_floor", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nightly_run_sites") as batch:
        batch.drop_column("scan_floor")
