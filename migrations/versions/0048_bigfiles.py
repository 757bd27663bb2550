"""Background imports: a big upload or push is stored and queued as its batch (state
`queued`), run by the scheduler, which writes its progress (rows read, rejected, the total
when known) and a heartbeat to the batch row as it goes.

Revision ID: 0048_bigfiles
Revises: 0047_loanstatus
"""

import sqlalchemy as sa
from alembic import op


revision = "0048_bigfiles"
down_revision = "0047_loanstatus"
branch_labels = None
depends_on = None

STATES = "status IN ('queued','running','succeeded','failed')"
OLD_STATES = "status IN ('running','succeeded','failed')"


def upgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_constraint(op.f("ck_import_batches_status"), type_="check")
        batch.create_check_constraint(op.f("ck_import_batches_status"), STATES)
        batch.add_column(sa.Column("stored_file", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("total_rows", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rows_read", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rows_rejected", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    op.execute("DELETE FROM import_batches WHERE status = 'queued'")
    with op.batch_alter_table("import_batches") as batch:
        for name in (
            "attempts", "claimed_by", "heartbeat_at", "rows_rejected", "rows_read",
            "total_rows", "stored_file",
        ):  # fmt: skip
            batch.drop_column(name)
        batch.drop_constraint(op.f("ck_import_batches_status"), type_="check")
        batch.create_check_constraint(op.f("ck_import_batches_status"), OLD_STATES)
