"""review_answer: the guided review's answers, kept for good (issue 22)

Revision ID: 0008_review_answers
Revises: 0007_hide_votes
Create Date: 2026-12-07 09:30:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0008_review_answers'
down_revision: Union[str, None] = '0007_hide_votes'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'review_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('discovery_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('accepted', sa.Boolean(), nullable=False),
        sa.Column('moving', sa.JSON(), nullable=False),
        sa.Column('others', sa.JSON(), nullable=False),
        sa.Column('parted', sa.JSON(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['discovery_id'], ['discovery.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('review_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_answer_discovery_id'), ['discovery_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_answer_discovery_id'))
    op.drop_table('review_answer')
