"""job, scheduled_run, evaluation.due_at: the job queue's state and the deadline runner's index

``export_job`` becomes the general ``job`` table (its rows are copied as kind ``export``); the
deadline runner finds due evaluations through ``evaluation.due_at`` (indexed). Existing rows
get ``due_at = created_at``: the first run looks at each once and sets its real next moment.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("requested_by_nip", sa.String(length=18), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("result_key", sa.String(length=500), nullable=False),
        sa.Column("result_name", sa.String(length=200), nullable=False),
        sa.Column("result_size", sa.Integer(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_job_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index("ix_job_agency_kind", "job", ["agency_id", "kind", "id"])
    op.create_index("ix_job_status_heartbeat", "job", ["status", "heartbeat_at"])
    op.create_index("ix_job_expires_at", "job", ["expires_at"])
    # Old exports keep their ids and progress; their ZIPs were local files outside the storage,
    # so they are listed without a result.
    if op.get_bind().dialect.name == "postgresql":
        params = ("jsonb_build_object('period_id', period_id, 'unit_kerja', unit_kerja)")
        errors = "errors"
    else:
        params = "json_object('period_id', period_id, 'unit_kerja', unit_kerja)"
        errors = "errors"
    op.execute(
        "INSERT INTO job (id, agency_id, kind, requested_by_nip, params, status, total, done, "
        "errors, attempts, cancel_requested, worker, result_key, result_name, result_size, "
        "result_sha256, created_at, finished_at) "
        f"SELECT id, agency_id, 'export', requested_by_nip, {params}, "
        "CASE WHEN status IN ('queued', 'running') THEN 'failed' ELSE status END, total, done, "
        f"{errors}, 1, false, '', '', '', 0, '', created_at, finished_at FROM export_job")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('job', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM job), 0) + 1, false)")
    op.drop_index(op.f("ix_export_job_agency_id"), table_name="export_job")
    op.drop_table("export_job")

    op.create_table(
        "scheduled_run",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_run")),
    )
    with op.batch_alter_table("evaluation") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_evaluation_due_at"), "evaluation", ["due_at"])
    op.execute("UPDATE evaluation SET due_at = created_at")


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluation_due_at"), table_name="evaluation")
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_column("due_at")
    op.drop_table("scheduled_run")
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_nip", sa.String(length=18), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("unit_kerja", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_export_job_agency_id_agency")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"],
                                name=op.f("fk_export_job_period_id_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index(op.f("ix_export_job_agency_id"), "export_job", ["agency_id"])
    op.drop_index("ix_job_expires_at", table_name="job")
    op.drop_index("ix_job_status_heartbeat", table_name="job")
    op.drop_index("ix_job_agency_kind", table_name="job")
    op.drop_table("job")
