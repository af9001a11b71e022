"""agency_day_off: an agency's extra days off (cuti bersama, local holidays)

Working-day windows skip them besides weekends and national holidays.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_day_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_agency_day_off_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_day_off")),
        sa.UniqueConstraint("agency_id", "day", name=op.f("uq_agency_day_off_agency_id")),
    )
    op.create_index(op.f("ix_agency_day_off_agency_id"), "agency_day_off", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_agency_day_off_agency_id"), table_name="agency_day_off")
    op.drop_table("agency_day_off")
