"""sessions and tokens: a per-account session epoch; API tokens with a scope and an expiry

Existing tokens keep every operation they had (``read transition``) and expire 90 days after
the upgrade; new ones are issued with an explicit scope and expiry (``users token``, admin).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:30:00
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employee") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("employee") as batch:
        batch.alter_column("session_epoch", server_default=None)
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=500), nullable=False,
                                   server_default="read transition"))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    token = sa.table("api_token", sa.column("expires_at", sa.DateTime(timezone=True)))
    expiry = datetime.now(UTC) + timedelta(days=90)
    op.execute(token.update().values(expires_at=expiry))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("scope", server_default=None)
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scope")
    with op.batch_alter_table("employee") as batch:
        batch.drop_column("session_epoch")
