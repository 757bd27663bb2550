"""Credit repair's quarterly re-check (复查): the day a repair was sampled, the outcome,
who re-checked it and when, why, and the public-credit record of a broken commitment.

Revision ID: 0021_repair
Revises: 0020_repair
Create Date: 2026-12-04 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_repair'
down_revision = '0020_repair'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('repairs') as batch:
        batch.add_column(sa.Column('sampled_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('recheck_outcome', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('rechecked_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('rechecked_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('recheck_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('breach_record_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_repairs_rechecked_by_id_users'), 'users', ['rechecked_by_id'], ['id'])
        batch.create_check_constraint(op.f('ck_repairs_recheck_outcome'), "recheck_outcome IN ('confirmed','revoked')")
        batch.create_index(op.f('ix_repairs_sampled_on'), ['sampled_on'], unique=False)


def downgrade():
    with op.batch_alter_table('repairs') as batch:
        batch.drop_index(op.f('ix_repairs_sampled_on'))
        batch.drop_constraint(op.f('ck_repairs_recheck_outcome'), type_='check')
        batch.drop_constraint(op.f('fk_repairs_rechecked_by_id_users'), type_='foreignkey')
        batch.drop_column('breach_record_id')
        batch.drop_column('recheck_note')
        batch.drop_column('rechecked_at')
        batch.drop_column('rechecked_by_id')
        batch.drop_column('recheck_outcome')
        batch.drop_column('sampled_on')
