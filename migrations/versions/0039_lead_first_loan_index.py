"""A partial index of the disbursements whose bank declared 首贷 otherwise than the platform
knew: the statistics page counts them on every view (`stats.first_loans`).

Revision ID: 0039_lead
Revises: 0038_lead
Create Date: 2026-12-05 08:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039_lead'
down_revision = '0038_lead'
branch_labels = None
depends_on = None

WHERE = (
    "state = 'disbursed' AND first_loan_declared IS NOT NULL"
    " AND first_loan_platform IS NOT NULL AND first_loan_declared <> first_loan_platform"
)


def upgrade():
    op.create_index(
        'ix_applications_first_loan_disagrees', 'applications', ['disbursed_on'], unique=False,
        postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE),
    )


def downgrade():
    op.drop_index('ix_applications_first_loan_disagrees', table_name='applications')
