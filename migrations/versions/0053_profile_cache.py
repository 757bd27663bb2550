"""The profile cache: a data version per enterprise, bumped by every import batch, dispute,
credit repair and rebuild, and the assembled profile material stored under it, so that a
bank's read assembles an enterprise's profile once per change instead of on every read.

Revision ID: 0053_profcache
Revises: 0052_notes
"""

import sqlalchemy as sa
from alembic import op


revision = "0053_profcache"
down_revision = "0052_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "profile_data_versions",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"],
            name=op.f("fk_profile_data_versions_enterprise_id_enterprises"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_profile_data_versions")),
    )  # fmt: skip
    op.create_table(
        "profile_cache",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("context", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"],
            name=op.f("fk_profile_cache_enterprise_id_enterprises"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_profile_cache")),
    )  # fmt: skip


def downgrade():
    op.drop_table("profile_cache")
    op.drop_table("profile_data_versions")
