"""stats_provisional: the current month's completed days rolled up provisionally (issue 18).
Its rows live in `stats_monthly` under the month, this table says up to which day
(`through`, the first day not rolled up) and when the run started (the next run redoes it
after any change since); readers compute live only from `through` on.

Revision ID: 0056_stats_provisional
Revises: 0055_log_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0056_stats_provisional"
down_revision = "0055_log_heads"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stats_provisional_months",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_stats_provisional_months")),
    )


def downgrade():
    # The provisional rows in stats_monthly go with it (a month without a stats_rollup_months
    # row is not read from the rollup).
    op.execute(
        "DELETE FROM stats_monthly WHERE month IN (SELECT month FROM stats_provisional_months)"
    )
    op.drop_table("stats_provisional_months")
