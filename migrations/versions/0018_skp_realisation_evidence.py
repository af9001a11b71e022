"""SKP realisation per indicator and period, action plans, evidence files

``skp_period`` (a realisation period of a set SKP and whether it was submitted),
``skp_realisation`` (value and text per indicator and period), ``skp_action_plan`` (rencana aksi
per RHK and period) and ``skp_evidence`` (files in the storage with their SHA-256, size and type;
superseded, never deleted). See docs/skp.md "Realisation and evidence".

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "skp_period",
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        _at("submitted_at", True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"], name=op.f("fk_skp_period_skp_id_skp")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["employee.id"],
                                name=op.f("fk_skp_period_submitted_by_id_employee")),
        sa.PrimaryKeyConstraint("skp_id", "period", name=op.f("pk_skp_period")),
    )
    op.create_table(
        "skp_realisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Numeric(18, 4), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"],
                                name=op.f("fk_skp_realisation_skp_id_skp")),
        sa.ForeignKeyConstraint(["indicator_id"], ["skp_indicator.id"],
                                name=op.f("fk_skp_realisation_indicator_id_skp_indicator")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["employee.id"],
                                name=op.f("fk_skp_realisation_updated_by_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_realisation")),
        sa.UniqueConstraint("indicator_id", "period",
                            name=op.f("uq_skp_realisation_indicator_id")),
    )
    op.create_index("ix_skp_realisation_skp_period", "skp_realisation", ["skp_id", "period"])
    op.create_table(
        "skp_action_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("rhk_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"],
                                name=op.f("fk_skp_action_plan_skp_id_skp")),
        sa.ForeignKeyConstraint(["rhk_id"], ["skp_rhk.id"],
                                name=op.f("fk_skp_action_plan_rhk_id_skp_rhk")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["employee.id"],
                                name=op.f("fk_skp_action_plan_updated_by_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_action_plan")),
        sa.UniqueConstraint("rhk_id", "period", name=op.f("uq_skp_action_plan_rhk_id")),
    )
    op.create_index("ix_skp_action_plan_skp_period", "skp_action_plan", ["skp_id", "period"])
    op.create_table(
        "skp_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("realisation_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        _at("uploaded_at", False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        _at("superseded_at", True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_skp_evidence_agency_id_agency")),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"], name=op.f("fk_skp_evidence_skp_id_skp")),
        sa.ForeignKeyConstraint(["realisation_id"], ["skp_realisation.id"],
                                name=op.f("fk_skp_evidence_realisation_id_skp_realisation")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["employee.id"],
                                name=op.f("fk_skp_evidence_uploaded_by_id_employee")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["skp_evidence.id"],
                                name=op.f("fk_skp_evidence_superseded_by_id_skp_evidence")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_evidence")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_skp_evidence_storage_key")),
    )
    op.create_index("ix_skp_evidence_skp_period", "skp_evidence", ["skp_id", "period"])
    op.create_index("ix_skp_evidence_agency", "skp_evidence", ["agency_id", "id"])
    op.create_index(op.f("ix_skp_evidence_realisation_id"), "skp_evidence", ["realisation_id"])


def downgrade() -> None:
    op.drop_table("skp_evidence")
    op.drop_table("skp_action_plan")
    op.drop_table("skp_realisation")
    op.drop_table("skp_period")
