"""A query authorization's cap on the bank's reads per day (issue 14): new query grants
default to 20; grants made before stay without a cap (NULL).

Revision ID: 0027_audit
Revises: 0026_audit
Create Date: 2026-12-05 06:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_audit'
down_revision = '0026_audit'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('authorizations', sa.Column('reads_per_day', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('authorizations') as batch:
        batch.drop_column('reads_per_day')
