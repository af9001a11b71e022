"""Indexes for the scale of a ministry: trigram search, the inbox's state index covering
what a section filters on, two redundant indexes dropped

The search of the inbox, the API list and the admin's list is a case-insensitive substring
of the employee's name, NIP or unit kerja (``workflow.people_search``). On PostgreSQL the
extension ``pg_trgm`` (trusted: the database owner may create it) and a GIN index per column
let ``ILIKE '%…%'`` read the matching employees instead of every one of the agency. SQLite
gets plain indexes (the models declare the same indexes for every database).

``ix_evaluation_agency_status`` becomes ``ix_evaluation_status_page`` (same key; on
PostgreSQL it INCLUDEs the flow version, employee and period), so that an inbox section over
a large span is found from the indexes alone before the page's rows are read
(``workflow.inbox``). ``ix_evaluation_employee_id`` and ``ix_evaluation_participant_employee_id``
go: other indexes start with the same column (writes and bulk loads maintain two fewer).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("name", "nip", "unit_kerja")


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_evaluation_employee_id", table_name="evaluation")
    op.drop_index("ix_evaluation_participant_employee_id", table_name="evaluation_participant")
    op.drop_index("ix_evaluation_agency_status", table_name="evaluation")
    op.create_index("ix_evaluation_status_page", "evaluation",
                    ["agency_id", "status", "updated_at", "id"],
                    postgresql_include=["definition_version_id", "employee_id", "period_id"])
    if bind.dialect.name != "postgresql":
        for column in COLUMNS:
            op.create_index(f"ix_employee_{column}_trgm", "employee", [column])
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The operator class lives in the extension's schema (maybe not on the search path).
    schema = bind.scalar(text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                              "WHERE extname = 'pg_trgm'"))
    for column in COLUMNS:
        op.execute(f'CREATE INDEX ix_employee_{column}_trgm ON employee USING gin '
                   f'({column} "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_employee_{column}_trgm", table_name="employee")
    op.drop_index("ix_evaluation_status_page", table_name="evaluation")
    op.create_index("ix_evaluation_agency_status", "evaluation",
                    ["agency_id", "status", "updated_at", "id"])
    op.create_index("ix_evaluation_participant_employee_id", "evaluation_participant",
                    ["employee_id"])
    op.create_index("ix_evaluation_employee_id", "evaluation", ["employee_id"])
