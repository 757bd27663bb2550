"""Enterprise size by the national standard (工信部联企业〔2011〕300号): the registry's
营业收入 and 资产总额 (万元), and the size computed from them (`enterprises.size`) beside the
declared one. Existing rows get their size here, as `enterprises.sizing.assign` computes it.

Revision ID: 0023_lead
Revises: 0022_audit
Create Date: 2026-12-05 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_lead'
down_revision = '0022_audit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enterprises') as batch:
        batch.add_column(sa.Column('revenue', sa.Numeric(precision=18, scale=2), nullable=True))
        batch.add_column(sa.Column('total_assets', sa.Numeric(precision=18, scale=2), nullable=True))
        batch.add_column(sa.Column('size', sa.String(length=10), nullable=True))
        batch.create_check_constraint(op.f('ck_enterprises_size'), "size IN ('micro','small','medium','large')")
        batch.create_index(op.f('ix_enterprises_size'), ['size'], unique=False)
    # Existing rows: the figures the standard needs besides employees are new, so only the
    # rows that employees alone decide (a known figure below the small bound, or the
    # industries sized by employees alone) get a size now; the next registry batch fills the
    # rest. Computed in Python by the one rule.
    from app.enterprises.size import size_of

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, industry_code, employees FROM enterprises"))
    updates = [
        {"eid": r.id, "size": size}
        for r in rows
        if (size := size_of(r.industry_code, r.employees, None, None)) is not None
    ]
    if updates:
        conn.execute(sa.text("UPDATE enterprises SET size = :size WHERE id = :eid"), updates)


def downgrade():
    with op.batch_alter_table('enterprises') as batch:
        batch.drop_index(op.f('ix_enterprises_size'))
        batch.drop_constraint(op.f('ck_enterprises_size'), type_='check')
        batch.drop_column('size')
        batch.drop_column('total_assets')
        batch.drop_column('revenue')
