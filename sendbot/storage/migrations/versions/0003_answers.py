"""Question answering: answer feedback and knowledge gaps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'answer_feedback',
        sa.Column('entry_id', sa.String(length=80), nullable=False),
        sa.Column('helpful', sa.Integer(), nullable=False),
        sa.Column('not_helpful', sa.Integer(), nullable=False),
        sa.Column('updated_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_answer_feedback')),
    )
    op.create_table(
        'knowledge_gaps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asked_at', sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('question_key', sa.String(length=200), nullable=False),
        sa.Column('top_entry', sa.String(length=80), nullable=True),
        sa.Column('score', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_gaps')),
    )
    with op.batch_alter_table('knowledge_gaps', schema=None) as batch_op:
        batch_op.create_index('ix_knowledge_gaps_asked_at', ['asked_at'], unique=False)
        batch_op.create_index('ix_knowledge_gaps_question_key', ['question_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('knowledge_gaps', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_gaps_question_key')
        batch_op.drop_index('ix_knowledge_gaps_asked_at')
    op.drop_table('knowledge_gaps')
    op.drop_table('answer_feedback')
