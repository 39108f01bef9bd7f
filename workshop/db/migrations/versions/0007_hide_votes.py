"""workshop.hide_votes: blind dot voting (each participant sees only their own dots until the
vote phase ends)

Revision ID: 0007_hide_votes
Revises: 0004_embedding_cache (the head: 0004 was renumbered after 0006 in the chain)
Create Date: 2026-11-28 11:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007_hide_votes'
down_revision: Union[str, None] = '0004_embedding_cache'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # server_default false: existing workshops keep today's behaviour (everyone sees the counts
    # live); new workshops are created with hiding on (the model's default).
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hide_votes', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('hide_votes')
