"""The guard counts a bank's reads today under an authorization (its daily cap): an index on
the access log's authorization and time, so that the count reads only that authorization's
rows of the day, not every row of the enterprise.

Revision ID: 0032_audit
Revises: 0031_identity
Create Date: 2026-12-05 06:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032_audit'
down_revision = '0031_identity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_access_log_authorization_at', 'access_log', ['authorization_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_access_log_authorization_at', table_name='access_log')
