"""position, position_holder, unit_achievement: positions with acting officials, and the
organisation's achievement per unit kerja (OPD) per period

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "position",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_kerja", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("position.id"), nullable=True),
        sa.UniqueConstraint("agency_id", "code"),
    )
    op.create_index("ix_position_agency_unit", "position", ["agency_id", "unit_kerja"])
    op.create_index("ix_position_parent_id", "position", ["parent_id"])
    op.create_table(
        "position_holder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position_id", sa.Integer(), sa.ForeignKey("position.id"), nullable=False),
        sa.Column("employee_id", sa.Integer(), sa.ForeignKey("employee.id"), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("position_id", "employee_id", "kind", "starts_on"),
    )
    op.create_index("ix_position_holder_position_id", "position_holder", ["position_id"])
    op.create_index("ix_position_holder_employee_id", "position_holder", ["employee_id"])
    op.create_table(
        "unit_achievement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("period_id", sa.Integer(), sa.ForeignKey("period.id"), nullable=False),
        sa.Column("unit_kerja", sa.String(length=200), nullable=False),
        sa.Column("capaian", sa.String(length=20), nullable=False),
        sa.Column("dasar", sa.String(length=200), nullable=False),
        sa.Column("set_by_nip", sa.String(length=18), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("period_id", "unit_kerja"),
    )
    op.create_index("ix_unit_achievement_agency_id", "unit_achievement", ["agency_id"])


def downgrade() -> None:
    op.drop_table("unit_achievement")
    op.drop_table("position_holder")
    op.drop_table("position")
