"""evaluation_tally (the dashboard's counts) and the indexes of the lists, searches and exports

``evaluation_tally`` counts evaluations per agency, period, unit kerja, flow version, state and
predikat; the application keeps it in the transaction of every change (``workflow.tallies``)
and this revision fills it from the evaluations present. The indexes let each list start from
what it filters on and stop after one page: evaluations by agency and last change, by agency,
state and last change, by employee and period; participants by person and role; history by agency and time, by agency,
actor and time, and by agency, kind and trigger (the search form's choices).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FILL = """
INSERT INTO evaluation_tally (agency_id, period_id, unit_kerja, definition_version_id, status,
                              predikat, n)
SELECT e.agency_id, e.period_id, p.unit_kerja, e.definition_version_id, e.status,
       COALESCE(e.predikat, ''), COUNT(*)
FROM evaluation e JOIN employee p ON p.id = e.employee_id
GROUP BY e.agency_id, e.period_id, p.unit_kerja, e.definition_version_id, e.status,
         COALESCE(e.predikat, '')
"""


def upgrade() -> None:
    op.create_table(
        "evaluation_tally",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_kerja", sa.String(length=200), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("predikat", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"],
                                name=op.f("fk_evaluation_tally_agency_id_agency")),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_version.id"],
                                name=op.f("fk_evaluation_tally_definition_version_id_"
                                          "definition_version")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"],
                                name=op.f("fk_evaluation_tally_period_id_period")),
        sa.PrimaryKeyConstraint("agency_id", "period_id", "unit_kerja",
                                "definition_version_id", "status", "predikat",
                                name=op.f("pk_evaluation_tally")),
    )
    op.execute(FILL)
    op.drop_index("ix_evaluation_agency_status", table_name="evaluation")
    op.create_index("ix_evaluation_agency_status", "evaluation",
                    ["agency_id", "status", "updated_at", "id"])
    op.create_index("ix_evaluation_agency_updated", "evaluation",
                    ["agency_id", "updated_at", "id"])
    op.create_index("ix_evaluation_employee_period", "evaluation",
                    ["employee_id", "period_id", "id"])
    op.create_index("ix_evaluation_participant_employee_role", "evaluation_participant",
                    ["employee_id", "role", "evaluation_id"])
    op.drop_index("ix_history_event_agency_at", table_name="history_event")
    op.create_index("ix_history_event_agency_at", "history_event", ["agency_id", "at", "id"])
    op.create_index("ix_history_event_agency_actor_at", "history_event",
                    ["agency_id", "actor_nip", "at", "id"])
    op.create_index("ix_history_event_agency_kind_trigger", "history_event",
                    ["agency_id", "kind", "trigger"])


def downgrade() -> None:
    op.drop_index("ix_history_event_agency_kind_trigger", table_name="history_event")
    op.drop_index("ix_history_event_agency_actor_at", table_name="history_event")
    op.drop_index("ix_history_event_agency_at", table_name="history_event")
    op.create_index("ix_history_event_agency_at", "history_event", ["agency_id", "at"])
    op.drop_index("ix_evaluation_participant_employee_role",
                  table_name="evaluation_participant")
    op.drop_index("ix_evaluation_employee_period", table_name="evaluation")
    op.drop_index("ix_evaluation_agency_updated", table_name="evaluation")
    op.drop_index("ix_evaluation_agency_status", table_name="evaluation")
    op.create_index("ix_evaluation_agency_status", "evaluation", ["agency_id", "status"])
    op.drop_table("evaluation_tally")
