"""Products name the enterprise sizes they serve (empty = any), matched against the size by
the standard (`enterprises.size`).

Revision ID: 0024_lead
Revises: 0023_lead
Create Date: 2026-12-05 05:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_lead'
down_revision = '0023_lead'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('sizes', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('products') as batch:
        batch.drop_column('sizes')
