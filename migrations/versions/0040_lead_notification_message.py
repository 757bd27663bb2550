"""Notifications keep their sentence as the Chinese msgid and its arguments, rendered in each
reader's language (the site, each e-mail); `text` keeps the Chinese rendering, and is all
that earlier rows have (they stay Chinese).

Revision ID: 0040_lead
Revises: 0039_lead
Create Date: 2026-12-05 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0040_lead'
down_revision = '0039_lead'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch.add_column(sa.Column('args', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('args')
        batch.drop_column('message')
