"""First loans checked (首贷): what the bank declared at disbursement and what the platform
knew (no earlier disbursed loan of the enterprise on the platform), beside the value the
statistics count (`facts.services.counted_first_loan`).

Existing disbursements: the platform's knowledge is worked out from the loans before each
one (by disbursement day, then by id); what the bank declared was not kept, so it stays
unknown and their counted value is left as it was.

Revision ID: 0025_lead
Revises: 0024_lead
Create Date: 2026-12-05 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_lead'
down_revision = '0024_lead'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications') as batch:
        batch.add_column(sa.Column('first_loan_declared', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('first_loan_platform', sa.Boolean(), nullable=True))
    op.execute(
        """
        UPDATE applications SET first_loan_platform = NOT EXISTS (
            SELECT 1 FROM applications AS earlier
            WHERE earlier.enterprise_id = applications.enterprise_id
              AND earlier.state = 'disbursed'
              AND earlier.id <> applications.id
              AND (earlier.disbursed_on < applications.disbursed_on
                   OR (earlier.disbursed_on = applications.disbursed_on
                       AND earlier.id < applications.id))
        )
        WHERE state = 'disbursed'
        """
    )


def downgrade():
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('first_loan_platform')
        batch.drop_column('first_loan_declared')
