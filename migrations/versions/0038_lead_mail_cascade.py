"""The e-mail outbox goes with its notification and its user (ON DELETE CASCADE): an e-mail
is part of what it tells and of whom it tells.

Revision ID: 0038_lead
Revises: 0037_identity
Create Date: 2026-12-05 07:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0038_lead'
down_revision = '0037_identity'
branch_labels = None
depends_on = None

NOTE = 'fk_email_outbox_notification_id_notifications'
USER = 'fk_email_outbox_user_id_users'


def _foreign_keys(ondelete):
    with op.batch_alter_table('email_outbox') as batch:
        batch.drop_constraint(op.f(NOTE), type_='foreignkey')
        batch.drop_constraint(op.f(USER), type_='foreignkey')
        batch.create_foreign_key(op.f(NOTE), 'notifications', ['notification_id'], ['id'], ondelete=ondelete)
        batch.create_foreign_key(op.f(USER), 'users', ['user_id'], ['id'], ondelete=ondelete)


def upgrade():
    _foreign_keys('CASCADE')


def downgrade():
    _foreign_keys(None)
