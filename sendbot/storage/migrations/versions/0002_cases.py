"""Case status: cases, events, parent links, link codes, alerts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('child_name', sa.Text(), nullable=False),
    sa.Column('dob_digest', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('request_date', sa.Date(), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('draft_date', sa.Date(), nullable=True),
    sa.Column('final_date', sa.Date(), nullable=True),
    sa.Column('last_review_date', sa.Date(), nullable=True),
    sa.Column('next_transfer_date', sa.Date(), nullable=True),
    sa.Column('transfer_kind', sa.String(length=12), nullable=True),
    sa.Column('exception', sa.String(length=1), nullable=True),
    sa.Column('row_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=True),
    sa.Column('previous_stage', sa.String(length=24), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_kind', ['case_id', 'kind'], unique=False)

    op.create_table('case_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('chat_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_ref', sa.Text(), nullable=True),
    sa.Column('created_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links')),
    sa.UniqueConstraint('case_id', 'chat_key', name='uq_case_links_case_chat')
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_chat_key'), ['chat_key'], unique=False)

    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_link_codes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_codes_case_id'), ['case_id'], unique=False)

    op.create_table('link_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_key', sa.String(length=64), nullable=False),
    sa.Column('at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['link_codes.id'], name=op.f('fk_link_failures_code_id_link_codes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_failures'))
    )
    with op.batch_alter_table('link_failures', schema=None) as batch_op:
        batch_op.create_index('ix_link_failures_chat_at', ['chat_key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_failures_code_id'), ['code_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('link_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_failures_code_id'))
        batch_op.drop_index('ix_link_failures_chat_at')

    op.drop_table('link_failures')
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_codes_case_id'))

    op.drop_table('link_codes')
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_links_chat_key'))
        batch_op.drop_index(batch_op.f('ix_case_links_case_id'))

    op.drop_table('case_links')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_kind')

    op.drop_table('case_events')
    op.drop_table('cases')
