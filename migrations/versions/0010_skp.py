"""SKP planning: skp, skp_rhk, skp_indicator, skp_expectation; evaluation.skp_id

An SKP (*Sasaran Kinerja Pegawai*) is its own document with its own flow and history chain;
its results (RHK) cascade from the appraiser's (``skp_rhk.parent_id``). An evaluation reads the
SKP in force when its period opened (``evaluation.skp_id``), so the unique constraint becomes
one evaluation per employee, period and SKP: a mutasi inside a period gives two.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "skp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("appraiser_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("pendekatan", sa.String(length=16), nullable=False),
        sa.Column("jenis_jabatan", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("history_seq", sa.Integer(), nullable=False),
        sa.Column("history_head", sa.String(length=64), nullable=False),
        sa.Column("employee_identity", JSON, nullable=False),
        sa.Column("appraiser_identity", JSON, nullable=False),
        sa.Column("lampiran", JSON, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.Column("closed_reason", sa.Text(), nullable=False),
        sa.Column("return_comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_skp_agency_id_agency")),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"],
                                name=op.f("fk_skp_employee_id_employee")),
        sa.ForeignKeyConstraint(["appraiser_id"], ["employee.id"],
                                name=op.f("fk_skp_appraiser_id_employee")),
        sa.ForeignKeyConstraint(["previous_id"], ["skp.id"], name=op.f("fk_skp_previous_id_skp")),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_version.id"],
                                name=op.f("fk_skp_definition_version_id_definition_version")),
        sa.ForeignKeyConstraint(["set_by_id"], ["employee.id"],
                                name=op.f("fk_skp_set_by_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp")),
    )
    op.create_index("ix_skp_employee_year", "skp", ["employee_id", "year", "starts_on"])
    op.create_index("ix_skp_appraiser_year", "skp", ["appraiser_id", "year"])
    op.create_index("ix_skp_agency_year", "skp", ["agency_id", "year"])
    op.create_table(
        "skp_rhk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("klasifikasi", sa.String(length=100), nullable=False),
        sa.Column("perspektif", sa.String(length=100), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("copied_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"], name=op.f("fk_skp_rhk_skp_id_skp")),
        sa.ForeignKeyConstraint(["parent_id"], ["skp_rhk.id"],
                                name=op.f("fk_skp_rhk_parent_id_skp_rhk")),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["employee.id"],
                                name=op.f("fk_skp_rhk_assigned_by_id_employee")),
        sa.ForeignKeyConstraint(["copied_from_id"], ["skp_rhk.id"],
                                name=op.f("fk_skp_rhk_copied_from_id_skp_rhk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_rhk")),
    )
    op.create_index(op.f("ix_skp_rhk_skp_id"), "skp_rhk", ["skp_id"])
    op.create_index(op.f("ix_skp_rhk_parent_id"), "skp_rhk", ["parent_id"])
    op.create_table(
        "skp_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rhk_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aspek", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target_min", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target_max", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("satuan", sa.String(length=50), nullable=False),
        sa.Column("perspektif", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["rhk_id"], ["skp_rhk.id"],
                                name=op.f("fk_skp_indicator_rhk_id_skp_rhk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_indicator")),
    )
    op.create_index(op.f("ix_skp_indicator_rhk_id"), "skp_indicator", ["rhk_id"])
    op.create_table(
        "skp_expectation",
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"],
                                name=op.f("fk_skp_expectation_skp_id_skp")),
        sa.PrimaryKeyConstraint("skp_id", "value", name=op.f("pk_skp_expectation")),
    )
    with op.batch_alter_table("evaluation") as batch:
        batch.add_column(sa.Column("skp_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_evaluation_skp_id_skp"), "skp", ["skp_id"], ["id"])
        batch.create_index(op.f("ix_evaluation_skp_id"), ["skp_id"])
        batch.drop_constraint("uq_evaluation_employee_id", type_="unique")
        batch.create_unique_constraint("uq_evaluation_employee_id",
                                       ["employee_id", "period_id", "skp_id"])


def downgrade() -> None:
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_constraint("uq_evaluation_employee_id", type_="unique")
        batch.create_unique_constraint("uq_evaluation_employee_id", ["employee_id", "period_id"])
        batch.drop_index(op.f("ix_evaluation_skp_id"))
        batch.drop_constraint(op.f("fk_evaluation_skp_id_skp"), type_="foreignkey")
        batch.drop_column("skp_id")
    op.drop_table("skp_expectation")
    op.drop_index(op.f("ix_skp_indicator_rhk_id"), table_name="skp_indicator")
    op.drop_table("skp_indicator")
    op.drop_index(op.f("ix_skp_rhk_parent_id"), table_name="skp_rhk")
    op.drop_index(op.f("ix_skp_rhk_skp_id"), table_name="skp_rhk")
    op.drop_table("skp_rhk")
    op.drop_index("ix_skp_agency_year", table_name="skp")
    op.drop_index("ix_skp_appraiser_year", table_name="skp")
    op.drop_index("ix_skp_employee_year", table_name="skp")
    op.drop_table("skp")
