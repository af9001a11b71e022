"""follow_up_action (issue 16 item 5: tindak lanjut of an evaluation's result)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_nip", sa.String(length=18), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_follow_up_action_agency_id_agency")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluation.id"],
                                name=op.f("fk_follow_up_action_evaluation_id_evaluation")),
        sa.ForeignKeyConstraint(["owner_id"], ["employee.id"],
                                name=op.f("fk_follow_up_action_owner_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_action")),
    )
    op.create_index(op.f("ix_follow_up_action_agency_id"), "follow_up_action", ["agency_id"])
    op.create_index("ix_follow_up_action_evaluation_kind", "follow_up_action",
                    ["evaluation_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_action_evaluation_kind", table_name="follow_up_action")
    op.drop_index(op.f("ix_follow_up_action_agency_id"), table_name="follow_up_action")
    op.drop_table("follow_up_action")
