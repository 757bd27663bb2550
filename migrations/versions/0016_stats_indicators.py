"""Statistics (issue 7): the data indicators as last counted by the scheduler
(`count_data_indicators`), so that the dashboard does not count every source record on
each view.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_indicators',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stats_indicators'))
    )


def downgrade():
    op.drop_table('stats_indicators')
