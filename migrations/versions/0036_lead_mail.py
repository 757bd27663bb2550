"""Notifications by e-mail: each user's preference and the outbox the send_emails job
drains.

Revision ID: 0036_lead
Revises: 0035_identity
Create Date: 2026-12-05 06:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0036_lead'
down_revision = '0035_identity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences')),
    )
    op.create_table(
        'email_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_email_outbox_notification_id_notifications')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_outbox_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_outbox')),
    )
    op.create_index('ix_email_outbox_pending', 'email_outbox', ['sent_at', 'failed_at', 'next_try_at'], unique=False)
    op.create_index(op.f('ix_email_outbox_notification_id'), 'email_outbox', ['notification_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_email_outbox_notification_id'), table_name='email_outbox')
    op.drop_index('ix_email_outbox_pending', table_name='email_outbox')
    op.drop_table('email_outbox')
    op.drop_table('notification_preferences')
