"""discovery.aggregation_fingerprint: aggregate a discovery again only when its inputs changed

Revision ID: 0003_aggregation_version
Revises: 0002
Create Date: 2026-11-28 04:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0003_aggregation_version'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # NULL: every existing discovery is aggregated once more on its next read, then only on change.
    with op.batch_alter_table('discovery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aggregation_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('discovery', schema=None) as batch_op:
        batch_op.drop_column('aggregation_fingerprint')
