"""applications: the enterprise's region and industry when it applied (for statistics)

Copied on insert by the model (`_copy_enterprise_dims`); existing rows are filled here from
the registry. Statistics then group and filter applications without joining enterprises
and industries.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE applications SET
    region_code = (SELECT e.region_code FROM enterprises e WHERE e.id = applications.enterprise_id),
    industry_section = (
        SELECT CASE WHEN length(e.industry_code) = 1 THEN e.industry_code ELSE i.parent_code END
        FROM enterprises e
        LEFT JOIN industries i ON i.code = substr(e.industry_code, 1, 2) AND i.level = 'division'
        WHERE e.id = applications.enterprise_id),
    industry_division = (
        SELECT CASE WHEN length(e.industry_code) = 1 THEN e.industry_code ELSE i.code END
        FROM enterprises e
        LEFT JOIN industries i ON i.code = substr(e.industry_code, 1, 2) AND i.level = 'division'
        WHERE e.id = applications.enterprise_id)
"""


def upgrade():
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("industry_section", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("industry_division", sa.String(length=2), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("industry_division")
        batch.drop_column("industry_section")
        batch.drop_column("region_code")
