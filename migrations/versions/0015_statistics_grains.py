"""Statistics rollup by grain (issue 7): `stats_monthly` is keyed by a grain (a set of axes:
place, industry, bank, each at a level) and one key per axis, instead of one dimension and
one key, so that a breakdown filtered on other axes reads one row per group, month and
product type; the working-day histograms move into its rows as text (`stats_monthly_days`
goes). The rollup is derived data: the old rows are dropped and every month is rolled up
again by the next `roll_up_stats` run.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

KEYS = ('month', 'grain', 'place', 'industry', 'bank', 'product_type')
MONEY = sa.Numeric(precision=18, scale=2)


def _keys():
    return [
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('grain', sa.String(length=24), nullable=False),
        sa.Column('place', sa.String(length=6), nullable=False),
        sa.Column('industry', sa.String(length=2), nullable=False),
        sa.Column('bank', sa.String(length=12), nullable=False),
        sa.Column('product_type', sa.String(length=12), nullable=False),
    ]


def upgrade():
    op.drop_table('stats_monthly_days')
    op.drop_table('stats_monthly')
    op.execute('DELETE FROM stats_rollup_months')
    counts = ('demand_count', 'open_demands', 'accepted', 'picked_up', 'lapsed', 'approved',
              'rejected', 'disbursed_count', 'first_loans')
    money = ('demand_amount', 'disbursed_amount', 'first_loan_amount', 'credit_amount',
             'typed_amount')
    columns = [sa.Column(name, sa.Integer(), nullable=False) for name in counts]
    columns += [sa.Column(name, MONEY, nullable=False) for name in money]
    columns += [
        sa.Column('rate_sum', sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column('rate_n', sa.Integer(), nullable=False),
        sa.Column('term_sum', sa.Integer(), nullable=False),
        sa.Column('term_n', sa.Integer(), nullable=False),
    ]
    for family in ('applicants', 'deciders', 'borrowers'):
        columns.append(sa.Column(family, sa.Text(), nullable=False))
    for family in ('applicants', 'deciders', 'borrowers'):
        columns.append(sa.Column(f'n_{family}', sa.SmallInteger(), nullable=False))
    for kind in ('accept', 'disburse'):
        columns.append(sa.Column(f'{kind}_days', sa.Text(), nullable=False))
    op.create_table('stats_monthly', *_keys(), *columns,
                    sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_stats_monthly')))
    with op.batch_alter_table('stats_monthly', schema=None) as batch_op:
        for axis in ('place', 'industry', 'bank'):
            batch_op.create_index(f'ix_stats_monthly_{axis}', ['grain', axis, 'month'],
                                  unique=False)
    # A question filtered on one county or division is computed live: these pick its rows.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_region_code', ['region_code'], unique=False)
        batch_op.create_index('ix_applications_industry_division', ['industry_division'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_industry_division')
        batch_op.drop_index('ix_applications_region_code')
    op.drop_table('stats_monthly')
    op.execute('DELETE FROM stats_rollup_months')
    op.create_table('stats_monthly',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('product_type', sa.String(length=12), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in (
        'demand_count', 'open_demands', 'accepted', 'picked_up', 'lapsed', 'approved',
        'rejected', 'disbursed_count', 'first_loans')],
    *[sa.Column(name, MONEY, nullable=False) for name in (
        'demand_amount', 'disbursed_amount', 'first_loan_amount', 'credit_amount',
        'typed_amount')],
    sa.Column('rate_sum', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('rate_n', sa.Integer(), nullable=False),
    sa.Column('term_sum', sa.Integer(), nullable=False),
    sa.Column('term_n', sa.Integer(), nullable=False),
    sa.Column('applicants', sa.Text(), nullable=False),
    sa.Column('deciders', sa.Text(), nullable=False),
    sa.Column('borrowers', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'dim', 'key', 'product_type', name=op.f('pk_stats_monthly'))
    )
    with op.batch_alter_table('stats_monthly', schema=None) as batch_op:
        batch_op.create_index('ix_stats_monthly_dim_month', ['dim', 'month'], unique=False)
    op.create_table('stats_monthly_days',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('product_type', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'dim', 'key', 'product_type', 'kind', 'days', name=op.f('pk_stats_monthly_days'))
    )
    with op.batch_alter_table('stats_monthly_days', schema=None) as batch_op:
        batch_op.create_index('ix_stats_monthly_days_dim_month', ['dim', 'month'], unique=False)
