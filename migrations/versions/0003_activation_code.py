"""activation_code: one-time codes with which employees set their own password

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activation_code",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"],
                                name=op.f("fk_activation_code_employee_id_employee")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["employee.id"],
                                name=op.f("fk_activation_code_issued_by_id_employee")),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_activation_code")),
    )


def downgrade() -> None:
    op.drop_table("activation_code")
