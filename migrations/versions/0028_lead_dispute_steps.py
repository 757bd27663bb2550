"""Objections that serve the enterprise (issue 15): evidence files, and the step of
forwarding to the authority that holds the record with its own working-day clock.

Revision ID: 0028_lead
Revises: 0027_audit
Create Date: 2026-12-05 06:05:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0028_lead'
down_revision = '0027_audit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('disputes') as batch:
        batch.add_column(sa.Column('forwarded_to', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('forwarded_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_disputes_forwarded_by_id_users'), 'users', ['forwarded_by_id'], ['id'])
    op.create_table(
        'dispute_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dispute_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("content_type IN ('application/pdf','image/jpeg','image/png')", name=op.f('ck_dispute_files_content_type')),
        sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_files_dispute_id_disputes'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_files')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_dispute_files_stored_name')),
    )
    op.create_index(op.f('ix_dispute_files_dispute_id'), 'dispute_files', ['dispute_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_dispute_files_dispute_id'), table_name='dispute_files')
    op.drop_table('dispute_files')
    with op.batch_alter_table('disputes') as batch:
        batch.drop_constraint(op.f('fk_disputes_forwarded_by_id_users'), type_='foreignkey')
        batch.drop_column('forwarded_by_id')
        batch.drop_column('forwarded_at')
        batch.drop_column('forwarded_to')
