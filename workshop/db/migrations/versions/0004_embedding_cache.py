"""text_embedding: cached sentence embeddings of sticky texts (issue 13)

Revision ID: 0004_embedding_cache
Revises: 0006_rounds
Create Date: 2026-11-28 04:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004_embedding_cache'
down_revision: Union[str, None] = '0006_rounds'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'text_embedding',
        sa.Column('model', sa.String(length=64), nullable=False),
        sa.Column('text_key', sa.String(length=64), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('model', 'text_key'),
    )


def downgrade() -> None:
    op.drop_table('text_embedding')
