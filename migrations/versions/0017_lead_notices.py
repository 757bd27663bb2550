"""Policy and notice pages (政策 / 公告) published by the operator.

Revision ID: 0017_lead
Revises: 0016
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_lead'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('publish_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdraw_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('policy','notice')", name=op.f('ck_notices_kind')),
    sa.CheckConstraint('withdraw_at IS NULL OR withdraw_at > publish_at', name=op.f('ck_notices_window')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_notices_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index(op.f('ix_notices_publish_at'), 'notices', ['publish_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_notices_publish_at'), table_name='notices')
    op.drop_table('notices')
