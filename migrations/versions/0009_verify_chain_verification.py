"""chain_verification and verification_run: how far each history chain was verified

``audit verify --incremental`` and the auditor's verification page start from the newest
event each chain was verified up to (signed with the audit key) instead of from its first
event; each run records what it covered and found.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_verification",
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("broken_seq", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sig", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_chain_verification")),
    )
    op.create_index("ix_chain_verification_agency_ok", "chain_verification",
                    ["agency_id", "ok", "chain"])
    op.create_index(op.f("ix_chain_verification_evaluation_id"), "chain_verification",
                    ["evaluation_id"])
    op.create_table(
        "verification_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("broken", sa.Integer(), nullable=False),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.Column("checkpoint_report",
                  sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_run")),
    )
    op.create_index("ix_verification_run_agency_mode", "verification_run",
                    ["agency_id", "mode", "id"])


def downgrade() -> None:
    op.drop_index("ix_verification_run_agency_mode", table_name="verification_run")
    op.drop_table("verification_run")
    op.drop_index(op.f("ix_chain_verification_evaluation_id"), table_name="chain_verification")
    op.drop_index("ix_chain_verification_agency_ok", table_name="chain_verification")
    op.drop_table("chain_verification")
