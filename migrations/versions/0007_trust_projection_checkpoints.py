"""history_event.hash_version/projection, audit_checkpoint, and no TRUNCATE of the history

Every new event records the digest of each projected field of its evaluation and is hashed
over every column a surface shows (hash version 2; existing events stay version 1 and verify
as before). ``audit_checkpoint`` records the digest of each signed checkpoint written to the
log outside the database. On PostgreSQL a statement trigger refuses ``TRUNCATE`` of the
history as the row trigger already refuses ``UPDATE`` and ``DELETE``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen copy of workflow.history.HISTORY_TRUNCATE_GUARD_SQL as of this revision (the
# function is the one revision 0001 created).
HISTORY_TRUNCATE_GUARD_SQL = """
CREATE TRIGGER history_event_no_truncate
    BEFORE TRUNCATE ON history_event
    FOR EACH STATEMENT EXECUTE FUNCTION history_event_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("history_event") as batch:
        batch.add_column(sa.Column("hash_version", sa.Integer(), server_default=sa.text("1"),
                                   nullable=False))
        batch.add_column(sa.Column(
            "projection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"), nullable=False))
    op.create_table(
        "audit_checkpoint",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_checkpoint")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(HISTORY_TRUNCATE_GUARD_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_event_no_truncate ON history_event")
    op.drop_table("audit_checkpoint")
    with op.batch_alter_table("history_event") as batch:
        batch.drop_column("projection")
        batch.drop_column("hash_version")
