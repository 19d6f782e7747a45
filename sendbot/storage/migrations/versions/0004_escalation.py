"""Escalation: officers, invites, tickets, ticket messages, Local Offer feedback.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sendbot.storage.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'officers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('officer_key', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('chat_ref', sa.Text(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=True),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officers')),
        sa.UniqueConstraint('officer_key', name=op.f('uq_officers_officer_key')),
    )
    op.create_table(
        'officer_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('expires_at', UTC(timezone=True), nullable=False),
        sa.Column('used_at', UTC(timezone=True), nullable=True),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['officer_id'], ['officers.id'],
            name=op.f('fk_officer_invites_officer_id_officers'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_invites')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_officer_invites_code_hash')),
    )
    op.create_table(
        'tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('draft_token', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('parent_key', sa.String(length=64), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('parent_ref', sa.Text(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('case_ref', sa.Text(), nullable=True),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('half_at', UTC(timezone=True), nullable=False),
        sa.Column('due_at', UTC(timezone=True), nullable=False),
        sa.Column('claimed_at', UTC(timezone=True), nullable=True),
        sa.Column('closed_at', UTC(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=8), nullable=True),
        sa.Column('half_reminded_at', UTC(timezone=True), nullable=True),
        sa.Column('overdue_reminded_at', UTC(timezone=True), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('rated_at', UTC(timezone=True), nullable=True),
        sa.Column('content_erased_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_tickets_case_id_cases'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['officer_id'], ['officers.id'],
            name=op.f('fk_tickets_officer_id_officers'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
        sa.UniqueConstraint('draft_token', name=op.f('uq_tickets_draft_token')),
        sa.UniqueConstraint('reference', name=op.f('uq_tickets_reference')),
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_tickets_officer', ['officer_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_parent', ['parent_key'], unique=False)
    op.create_table(
        'ticket_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('at', UTC(timezone=True), nullable=False),
        sa.Column('author', sa.String(length=8), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('entry_id', sa.String(length=80), nullable=True),
        sa.Column('outbox_key', sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ['officer_id'], ['officers.id'],
            name=op.f('fk_ticket_messages_officer_id_officers'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['ticket_id'], ['tickets.id'],
            name=op.f('fk_ticket_messages_ticket_id_tickets'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_messages')),
    )
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_ticket_messages_ticket_id'), ['ticket_id'], unique=False
        )
    op.create_table(
        'offer_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('received_at', UTC(timezone=True), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('response', sa.Text(), nullable=True),
        sa.Column('responded_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['ticket_id'], ['tickets.id'],
            name=op.f('fk_offer_feedback_ticket_id_tickets'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_feedback')),
        sa.UniqueConstraint('reference', name=op.f('uq_offer_feedback_reference')),
    )
    with op.batch_alter_table('offer_feedback', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_offer_feedback_received_at'), ['received_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('offer_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_feedback_received_at'))
    op.drop_table('offer_feedback')
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_messages_ticket_id'))
    op.drop_table('ticket_messages')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_parent')
        batch_op.drop_index('ix_tickets_officer')
        batch_op.drop_index('ix_tickets_status_due')
    op.drop_table('tickets')
    op.drop_table('officer_invites')
    op.drop_table('officers')
