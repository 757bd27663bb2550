"""That an enterprise was told an authorization is about to expire: one row per
authorization, written with the notification (notifications.tasks.remind_expiring_authorizations).

Revision ID: 0042_lead
Revises: 0041_identity
Create Date: 2026-12-05 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042_lead'
down_revision = '0041_identity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'authorization_reminders',
        sa.Column('authorization_id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['authorization_id'], ['authorizations.id'],
                                name=op.f('fk_authorization_reminders_authorization_id_authorizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_authorization_reminders_notification_id_notifications'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('authorization_id', name=op.f('pk_authorization_reminders')),
    )


def downgrade():
    op.drop_table('authorization_reminders')
