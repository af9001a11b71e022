"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 10:46:31.758879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copy of workflow.history.HISTORY_GUARD_SQL as of this revision.
HISTORY_GUARD_SQL = """
CREATE OR REPLACE FUNCTION history_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER history_event_append_only
    BEFORE UPDATE OR DELETE ON history_event
    FOR EACH ROW EXECUTE FUNCTION history_event_append_only();
"""

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('history_seq', sa.Integer(), nullable=False),
    sa.Column('history_head', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('slug', name=op.f('uq_agency_slug'))
    )
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('agency_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_group_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_group')),
    sa.UniqueConstraint('agency_id', 'slug', name=op.f('uq_agency_group_agency_id'))
    )
    op.create_index(op.f('ix_agency_group_agency_id'), 'agency_group', ['agency_id'], unique=False)
    op.create_table('definition_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_definition_version_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_version')),
    sa.UniqueConstraint('agency_id', 'version', name=op.f('uq_definition_version_agency_id'))
    )
    op.create_index(op.f('ix_definition_version_agency_id'), 'definition_version', ['agency_id'], unique=False)
    op.create_table('employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('jabatan', sa.String(length=200), nullable=False),
    sa.Column('pangkat', sa.String(length=100), nullable=False),
    sa.Column('golongan', sa.String(length=10), nullable=False),
    sa.Column('unit_kerja', sa.String(length=200), nullable=False),
    sa.Column('asn_type', sa.String(length=4), nullable=False),
    sa.Column('superior_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_employee_agency_id_agency')),
    sa.ForeignKeyConstraint(['superior_id'], ['employee.id'], name=op.f('fk_employee_superior_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee')),
    sa.UniqueConstraint('nip', name=op.f('uq_employee_nip'))
    )
    op.create_index(op.f('ix_employee_agency_id'), 'employee', ['agency_id'], unique=False)
    op.create_index('ix_employee_agency_unit', 'employee', ['agency_id', 'unit_kerja'], unique=False)
    op.create_index(op.f('ix_employee_superior_id'), 'employee', ['superior_id'], unique=False)
    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_form_version_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version'))
    )
    op.create_index('ix_form_version_lookup', 'form_version', ['agency_id', 'key', 'number'], unique=False)
    op.create_table('period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_period_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period')),
    sa.UniqueConstraint('agency_id', 'kind', 'year', 'number', name=op.f('uq_period_agency_id'))
    )
    op.create_index(op.f('ix_period_agency_id'), 'period', ['agency_id'], unique=False)
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_api_token_employee_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_token_digest'))
    )
    op.create_index(op.f('ix_api_token_employee_id'), 'api_token', ['employee_id'], unique=False)
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('definition_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('deadlines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('form_versions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rating_hasil_kerja', sa.String(length=16), nullable=True),
    sa.Column('rating_perilaku_kerja', sa.String(length=16), nullable=True),
    sa.Column('predikat', sa.String(length=20), nullable=True),
    sa.Column('history_seq', sa.Integer(), nullable=False),
    sa.Column('history_head', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_evaluation_agency_id_agency')),
    sa.ForeignKeyConstraint(['definition_version_id'], ['definition_version.id'], name=op.f('fk_evaluation_definition_version_id_definition_version')),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_evaluation_employee_id_employee')),
    sa.ForeignKeyConstraint(['period_id'], ['period.id'], name=op.f('fk_evaluation_period_id_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('employee_id', 'period_id', name=op.f('uq_evaluation_employee_id'))
    )
    op.create_index('ix_evaluation_agency_status', 'evaluation', ['agency_id', 'status'], unique=False)
    op.create_index(op.f('ix_evaluation_employee_id'), 'evaluation', ['employee_id'], unique=False)
    op.create_index(op.f('ix_evaluation_period_id'), 'evaluation', ['period_id'], unique=False)
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_nip', sa.String(length=18), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=True),
    sa.Column('unit_kerja', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_export_job_agency_id_agency')),
    sa.ForeignKeyConstraint(['period_id'], ['period.id'], name=op.f('fk_export_job_period_id_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    op.create_index(op.f('ix_export_job_agency_id'), 'export_job', ['agency_id'], unique=False)
    op.create_table('group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_group_member_employee_id_employee')),
    sa.ForeignKeyConstraint(['group_id'], ['agency_group.id'], name=op.f('fk_group_member_group_id_agency_group')),
    sa.PrimaryKeyConstraint('group_id', 'employee_id', name=op.f('pk_group_member'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('event_hash', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_nip', sa.String(length=18), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_document_agency_id_agency')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_document_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('code', name=op.f('uq_document_code'))
    )
    op.create_index('ix_document_evaluation_kind', 'document', ['evaluation_id', 'kind'], unique=False)
    op.create_table('evaluation_participant',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('identity', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_evaluation_participant_employee_id_employee')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_participant_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('evaluation_id', 'role', name=op.f('pk_evaluation_participant'))
    )
    op.create_index(op.f('ix_evaluation_participant_employee_id'), 'evaluation_participant', ['employee_id'], unique=False)
    op.create_table('history_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_nip', sa.String(length=18), nullable=False),
    sa.Column('actor_role', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('dest', sa.String(length=32), nullable=False),
    sa.Column('definition_version_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('data_digest', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['employee.id'], name=op.f('fk_history_event_actor_id_employee')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_history_event_agency_id_agency')),
    sa.ForeignKeyConstraint(['definition_version_id'], ['definition_version.id'], name=op.f('fk_history_event_definition_version_id_definition_version')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_history_event_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_event')),
    sa.UniqueConstraint('chain', 'seq', name=op.f('uq_history_event_chain'))
    )
    op.create_index('ix_history_event_agency_at', 'history_event', ['agency_id', 'at'], unique=False)
    op.create_index(op.f('ix_history_event_evaluation_id'), 'history_event', ['evaluation_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(HISTORY_GUARD_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_event_append_only ON history_event")
        op.execute("DROP FUNCTION IF EXISTS history_event_append_only()")
    op.drop_index(op.f('ix_history_event_evaluation_id'), table_name='history_event')
    op.drop_index('ix_history_event_agency_at', table_name='history_event')
    op.drop_table('history_event')
    op.drop_index(op.f('ix_evaluation_participant_employee_id'), table_name='evaluation_participant')
    op.drop_table('evaluation_participant')
    op.drop_index('ix_document_evaluation_kind', table_name='document')
    op.drop_table('document')
    op.drop_table('group_member')
    op.drop_index(op.f('ix_export_job_agency_id'), table_name='export_job')
    op.drop_table('export_job')
    op.drop_index(op.f('ix_evaluation_period_id'), table_name='evaluation')
    op.drop_index(op.f('ix_evaluation_employee_id'), table_name='evaluation')
    op.drop_index('ix_evaluation_agency_status', table_name='evaluation')
    op.drop_table('evaluation')
    op.drop_index(op.f('ix_api_token_employee_id'), table_name='api_token')
    op.drop_table('api_token')
    op.drop_index(op.f('ix_period_agency_id'), table_name='period')
    op.drop_table('period')
    op.drop_index('ix_form_version_lookup', table_name='form_version')
    op.drop_table('form_version')
    op.drop_index(op.f('ix_employee_superior_id'), table_name='employee')
    op.drop_index('ix_employee_agency_unit', table_name='employee')
    op.drop_index(op.f('ix_employee_agency_id'), table_name='employee')
    op.drop_table('employee')
    op.drop_index(op.f('ix_definition_version_agency_id'), table_name='definition_version')
    op.drop_table('definition_version')
    op.drop_index(op.f('ix_agency_group_agency_id'), table_name='agency_group')
    op.drop_table('agency_group')
    op.drop_table('login_throttle')
    op.drop_table('agency')
