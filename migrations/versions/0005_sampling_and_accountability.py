"""抽查 and 问责: samplings, the sites each drew, accountability actions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMS = ("other", "interview", "written_review", "criticism", "discipline", "removal")


def upgrade() -> None:
    op.create_table(
        "samplings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("monitoring_date", sa.Date(), nullable=False),
        sa.Column("strata", sa.String(length=40), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("min_per_stratum", sa.Boolean(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_samplings_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samplings")),
        sa.UniqueConstraint(
            "organisation_id", "year", "quarter", name="uq_samplings_organisation_id_year_quarter"
        ),
    )
    op.create_index(
        op.f("ix_samplings_organisation_id"), "samplings", ["organisation_id"], unique=False
    )

    op.create_table(
        "sampled_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sampling_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=60), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sampling_id"], ["samplings.id"],
            name=op.f("fk_sampled_sites_sampling_id_samplings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_sampled_sites_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampled_sites")),
        sa.UniqueConstraint(
            "sampling_id", "site_id", name="uq_sampled_sites_sampling_id_site_id"
        ),
    )
    op.create_index(
        op.f("ix_sampled_sites_site_id"), "sampled_sites", ["site_id"], unique=False
    )

    op.create_table(
        "accountability_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column(
            "form",
            sa.Enum(*FORMS, name="accountability_form", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_accountability_actions_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_accountability_actions_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_actions")),
    )
    op.create_index(
        op.f("ix_accountability_actions_organisation_id"), "accountability_actions",
        ["organisation_id"], unique=False,
    )
    op.create_index(
        "ix_accountability_actions_year_quarter", "accountability_actions",
        ["year", "quarter"], unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_accountability_actions_year_quarter", table_name="accountability_actions")
    op.drop_index(
        op.f("ix_accountability_actions_organisation_id"), table_name="accountability_actions"
    )
    op.drop_table("accountability_actions")
    op.drop_index(op.f("ix_sampled_sites_site_id"), table_name="sampled_sites")
    op.drop_table("sampled_sites")
    op.drop_index(op.f("ix_samplings_organisation_id"), table_name="samplings")
    op.drop_table("samplings")
