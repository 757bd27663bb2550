"""Evidence files of compensation claims (`funds.models.ClaimFile`, the shared columns of
`app.evidence.StoredFile`): a bank attaches real files to a claim.

Revision ID: 0044_loanstats
Revises: 0043_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0044_loanstats"
down_revision = "0043_identity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fund_claim_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('application/pdf','image/jpeg','image/png')",
            name=op.f("ck_fund_claim_files_content_type"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["fund_claims.id"],
            name=op.f("fk_fund_claim_files_claim_id_fund_claims"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_fund_claim_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_claim_files")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_fund_claim_files_stored_name")),
    )
    op.create_index(
        op.f("ix_fund_claim_files_claim_id"), "fund_claim_files", ["claim_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_fund_claim_files_claim_id"), table_name="fund_claim_files")
    op.drop_table("fund_claim_files")
