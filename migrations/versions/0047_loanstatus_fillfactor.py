"""Loans leave half of each page free (PostgreSQL fillfactor 50): every loan's current status
is rewritten by the monthly loan_status import, and a new row version on the same page with
no indexed column changed (a HOT update) skips the five index insertions. Measured on
200,000 loans (a shared, loaded machine), the UPDATE of every loan with its status unchanged:
14.6 s at fillfactor 100, 2.3 s at 50 (EXPLAIN ANALYZE).
Existing pages keep their layout until rewritten (VACUUM FULL); new ones follow.

Revision ID: 0047_loanstatus
Revises: 0046_mobile
Create Date: 2026-12-05 17:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0047_loanstatus'
down_revision = '0046_mobile'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE loans SET (fillfactor = 50)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE loans RESET (fillfactor)")
