"""document.skp_id: the SKP document (``/skp/<id>/pdf``) is issued and verified like an
evaluation's documents

An issued document belongs to an evaluation or, now, to an SKP (``reports.skp_document``):
``evaluation_id`` becomes nullable and ``skp_id`` names the SKP; ``/verify/<code>`` checks an
SKP document against the SKP's history head.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.alter_column("evaluation_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("skp_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_document_skp_id_skp"), "skp", ["skp_id"], ["id"])
    op.create_index("ix_document_skp_kind", "document", ["skp_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_document_skp_kind", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint(op.f("fk_document_skp_id_skp"), type_="foreignkey")
        batch.drop_column("skp_id")
        batch.alter_column("evaluation_id", existing_type=sa.Integer(), nullable=False)
