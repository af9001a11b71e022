"""period: the organisation's achievement (capaian kinerja organisasi) and its basis

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("period") as batch:
        batch.add_column(sa.Column("capaian_organisasi", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("capaian_dasar", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("period") as batch:
        batch.drop_column("capaian_dasar")
        batch.drop_column("capaian_organisasi")
