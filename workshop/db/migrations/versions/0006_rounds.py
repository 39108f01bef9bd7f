"""workshop.round: a discovery runs again later in rounds (2, 3, ...) with the same teams;
theme.shipped_on: when the platform shipped what a theme asked for

Revision ID: 0006_rounds
Revises: 0005_invites
Create Date: 2026-11-28 04:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006_rounds'
down_revision: Union[str, None] = '0005_invites'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # server_default: every existing workshop is in round 1.
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipped_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_column('shipped_on')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('round')
