"""Trigram indexes for the people search (name, NIP, unit kerja)

The search of the inbox, the API list and the admin's list is a case-insensitive substring
of the employee's name, NIP or unit kerja (``workflow.people_search``). On PostgreSQL the
extension ``pg_trgm`` (trusted: the database owner may create it) and a GIN index per column
let ``ILIKE '%…%'`` read the matching employees instead of every one of the agency. SQLite
gets plain indexes (the models declare the same indexes for every database).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ("name", "nip", "unit_kerja")


def upgrade() -> None:
    bind = op.get_bind()
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
