"""Publicity periods (issue 15): the rule table (tiers and which tier a category and
severity fall in, seeded with the national defaults) and each public-credit record's tier,
shown from / until and the day its publicity ended. Existing records get their windows here,
computed as `app/publicity/services.window` does with the seeded defaults.

Revision ID: 0019_repair
Revises: 0018_identity
Create Date: 2026-12-04 20:50:00

"""
import calendar
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_repair'
down_revision = '0018_identity'
branch_labels = None
depends_on = None

# tier, min_months, max_months, published (国办发〔2025〕22号 and the orders it cites)
TIERS = [("minor", 0, 3, False), ("general", 3, 12, True), ("serious", 12, 36, True)]
# category, severity (None = the category's others), tier
RULES = [
    ("penalty", "slight", "minor"),
    ("penalty", "severe", "serious"),
    ("penalty", None, "general"),
    ("black_list", None, "serious"),
]


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def upgrade():
    tiers = op.create_table('publicity_tiers',
    sa.Column('tier', sa.String(length=10), nullable=False),
    sa.Column('min_months', sa.Integer(), nullable=False),
    sa.Column('max_months', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.CheckConstraint("tier IN ('minor','general','serious')", name=op.f('ck_publicity_tiers_tier')),
    sa.CheckConstraint('min_months >= 0 AND max_months >= min_months', name=op.f('ck_publicity_tiers_months')),
    sa.PrimaryKeyConstraint('tier', name=op.f('pk_publicity_tiers'))
    )
    rules = op.create_table('publicity_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.Column('tier', sa.String(length=10), nullable=False),
    sa.CheckConstraint("category IN ('penalty','black_list')", name=op.f('ck_publicity_rules_category')),
    sa.ForeignKeyConstraint(['tier'], ['publicity_tiers.tier'], name=op.f('fk_publicity_rules_tier_publicity_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_rules')),
    sa.UniqueConstraint('category', 'severity', name=op.f('uq_publicity_rules_category_severity'))
    )
    op.bulk_insert(tiers, [dict(zip(("tier", "min_months", "max_months", "published"), t)) for t in TIERS])
    op.bulk_insert(rules, [dict(zip(("category", "severity", "tier"), r)) for r in RULES])

    op.add_column('public_credit_records', sa.Column('tier', sa.String(length=10), nullable=True))
    op.add_column('public_credit_records', sa.Column('shown_from', sa.Date(), nullable=True))
    op.add_column('public_credit_records', sa.Column('shown_until', sa.Date(), nullable=True))
    op.add_column('public_credit_records', sa.Column('publicity_ended_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_public_credit_records_shown_until', 'public_credit_records', ['shown_until'], unique=False)

    # The windows of the records already imported (the daily `flask publicity run` marks the
    # ended ones and rebuilds their profiles).
    periods = {t[0]: t[1:] for t in TIERS}
    by_key = {(c, s): t for c, s, t in RULES}
    records = sa.table('public_credit_records', sa.column('id', sa.Integer),
                       sa.column('category', sa.String), sa.column('severity', sa.String),
                       sa.column('decided_on', sa.Date), sa.column('tier', sa.String),
                       sa.column('shown_from', sa.Date), sa.column('shown_until', sa.Date))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(records.c.id, records.c.category, records.c.severity, records.c.decided_on)
        .where(records.c.category.in_(("penalty", "black_list")))
    ).all()
    updates = []
    for row in rows:
        tier = by_key.get((row.category, row.severity)) or by_key[(row.category, None)]
        _min, longest, published = periods[tier]
        updates.append({"rid": row.id, "t": tier,
                        "f": row.decided_on if published else None,
                        "u": _add_months(row.decided_on, longest) - timedelta(days=1)})
    if updates:
        conn.execute(
            records.update().where(records.c.id == sa.bindparam("rid"))
            .values(tier=sa.bindparam("t"), shown_from=sa.bindparam("f"), shown_until=sa.bindparam("u")),
            updates,
        )


def downgrade():
    op.drop_index('ix_public_credit_records_shown_until', table_name='public_credit_records')
    with op.batch_alter_table('public_credit_records') as batch:
        batch.drop_column('publicity_ended_at')
        batch.drop_column('shown_until')
        batch.drop_column('shown_from')
        batch.drop_column('tier')
    op.drop_table('publicity_rules')
    op.drop_table('publicity_tiers')
