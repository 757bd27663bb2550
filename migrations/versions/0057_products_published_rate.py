"""products_published_rate: a partial index of the published products by rate (issue 18).
Matching reads them lowest rate first and stops at the first page of eligible ones.

Revision ID: 0057_products_published_rate
Revises: 0056_stats_provisional
"""

import sqlalchemy as sa
from alembic import op

revision = "0057_products_published_rate"
down_revision = "0056_stats_provisional"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_products_published_rate",
        "products",
        ["rate_min", "id"],
        postgresql_where=sa.text("status = 'published'"),
        sqlite_where=sa.text("status = 'published'"),
    )


def downgrade():
    op.drop_index("ix_products_published_rate", table_name="products")
