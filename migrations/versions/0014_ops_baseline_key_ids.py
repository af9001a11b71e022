"""history_event.key_id and request_id: audit keys per agency (rotation), request ids

Events of hash version 3 record the id of the agency key that signed them ("" = the
installation key) and the request id of the work that wrote them, both inside the HMAC. Rows
written before keep "" and their hash version (1 or 2), whose hash covers neither column, so
every existing chain verifies as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history_event") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=40), server_default=sa.text("''"),
                                   nullable=False))
        batch.add_column(sa.Column("request_id", sa.String(length=64),
                                   server_default=sa.text("''"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("history_event") as batch:
        batch.drop_column("request_id")
        batch.drop_column("key_id")
