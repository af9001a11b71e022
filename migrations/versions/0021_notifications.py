"""Notifications: employee e-mail and preference, the notification centre, the outbox

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("employee") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), server_default=sa.text("''"),
                                   nullable=False))
        batch.add_column(sa.Column("email_notifications", sa.Boolean(),
                                   server_default=sa.text("true"), nullable=False))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("recipient_id", sa.Integer(), sa.ForeignKey("employee.id"), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True, unique=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("read_at", UTC_DATETIME, nullable=True),
    )
    op.create_index("ix_notification_agency_id", "notification", ["agency_id"])
    op.create_index("ix_notification_recipient_read", "notification",
                    ["recipient_id", "read_at", "id"])
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notification.id"),
                  nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=True),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
    )
    op.create_index("ix_outbox_message_notification_id", "outbox_message",
                    ["notification_id"])
    op.create_index("ix_outbox_message_status_next", "outbox_message",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox_message")
    op.drop_table("notification")
    with op.batch_alter_table("employee") as batch:
        batch.drop_column("email_notifications")
        batch.drop_column("email")
