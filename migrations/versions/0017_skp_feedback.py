"""skp_feedback, skp_dialog: continuous feedback and dialog kinerja on a set SKP (issue 14.3)

Feedback threads (the appraiser comments on an RHK, an indicator's realisation in a period, or
a BerAKHLAK value; the employee replies) and dialog records, each recorded in the SKP's
history chain (``event_seq``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skp_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("rhk_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("value", sa.String(length=32), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_skp_feedback_agency_id_agency")),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"], name=op.f("fk_skp_feedback_skp_id_skp")),
        sa.ForeignKeyConstraint(["rhk_id"], ["skp_rhk.id"],
                                name=op.f("fk_skp_feedback_rhk_id_skp_rhk")),
        sa.ForeignKeyConstraint(["indicator_id"], ["skp_indicator.id"],
                                name=op.f("fk_skp_feedback_indicator_id_skp_indicator")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"],
                                name=op.f("fk_skp_feedback_period_id_period")),
        sa.ForeignKeyConstraint(["parent_id"], ["skp_feedback.id"],
                                name=op.f("fk_skp_feedback_parent_id_skp_feedback")),
        sa.ForeignKeyConstraint(["author_id"], ["employee.id"],
                                name=op.f("fk_skp_feedback_author_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_feedback")),
    )
    op.create_index("ix_skp_feedback_skp", "skp_feedback", ["skp_id", "id"])
    op.create_table(
        "skp_dialog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("skp_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("agreed_actions", sa.Text(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("appraiser_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_skp_dialog_agency_id_agency")),
        sa.ForeignKeyConstraint(["skp_id"], ["skp.id"], name=op.f("fk_skp_dialog_skp_id_skp")),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"],
                                name=op.f("fk_skp_dialog_employee_id_employee")),
        sa.ForeignKeyConstraint(["appraiser_id"], ["employee.id"],
                                name=op.f("fk_skp_dialog_appraiser_id_employee")),
        sa.ForeignKeyConstraint(["created_by_id"], ["employee.id"],
                                name=op.f("fk_skp_dialog_created_by_id_employee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_dialog")),
    )
    op.create_index("ix_skp_dialog_skp", "skp_dialog", ["skp_id", "held_on"])


def downgrade() -> None:
    op.drop_index("ix_skp_dialog_skp", table_name="skp_dialog")
    op.drop_table("skp_dialog")
    op.drop_index("ix_skp_feedback_skp", table_name="skp_feedback")
    op.drop_table("skp_feedback")
