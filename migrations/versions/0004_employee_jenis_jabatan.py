"""employee: jenis jabatan (JPT / JA / JF), which picks the official document variant

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get "" (not recorded: the JA/JF forms), then the column is like the model's.
    with op.batch_alter_table("employee") as batch:
        batch.add_column(sa.Column("jenis_jabatan", sa.String(length=3), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("employee") as batch:
        batch.alter_column("jenis_jabatan", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("employee") as batch:
        batch.drop_column("jenis_jabatan")
