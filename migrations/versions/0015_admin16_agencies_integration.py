"""installation_admin, definition_overlay, integration_token (issue 16 items 6 and 7)

A super-admin of the installation creates agencies in the browser; the browser's flow editor
keeps the overlay the admin wrote (``extends: default`` …) beside each version it published;
payroll and SIASN read the recap with an agency-level integration token.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation_admin",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"],
                                name=op.f("fk_installation_admin_employee_id_employee")),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_installation_admin")),
    )
    op.create_table(
        "definition_overlay",
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_version_id"], ["definition_version.id"],
            name=op.f("fk_definition_overlay_definition_version_id_definition_version")),
        sa.PrimaryKeyConstraint("definition_version_id", name=op.f("pk_definition_overlay")),
    )
    op.create_table(
        "integration_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_nip", sa.String(length=18), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_integration_token_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_token")),
        sa.UniqueConstraint("digest", name=op.f("uq_integration_token_digest")),
    )
    op.create_index(op.f("ix_integration_token_agency_id"), "integration_token", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_integration_token_agency_id"), table_name="integration_token")
    op.drop_table("integration_token")
    op.drop_table("definition_overlay")
    op.drop_table("installation_admin")
