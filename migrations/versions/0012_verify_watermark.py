"""verification_run: the event-id watermark an incremental verification starts from

An incremental ``audit verify`` (and the auditor's page) finds the chains to check from the
events appended since the last run (``history_event.id`` above the watermark, read on the
primary key) instead of comparing every chain head with its record; the watermark, the
candidates still waiting for transactions that were in flight, and their HMAC are kept on the
run that set them. The broken chains it checks again are found on an index by ``ok``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verification_run") as batch:
        batch.add_column(sa.Column("watermark", sa.Integer(), nullable=True))
        batch.add_column(sa.Column(
            "pending", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                              "postgresql"), nullable=True))
        batch.add_column(sa.Column("sig", sa.String(length=64), nullable=False,
                                   server_default=""))
    op.create_index("ix_chain_verification_ok", "chain_verification", ["ok", "chain"])


def downgrade() -> None:
    op.drop_index("ix_chain_verification_ok", table_name="chain_verification")
    with op.batch_alter_table("verification_run") as batch:
        batch.drop_column("sig")
        batch.drop_column("pending")
        batch.drop_column("watermark")
