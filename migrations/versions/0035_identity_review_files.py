"""identity: the licence files take the shared columns of kept evidence files
(`app.evidence.StoredFile`): the time kept, a unique stored name up to 80 characters, and the
content types accepted as a CHECK constraint.

Revision ID: 0035_identity
Revises: 0034_fund
"""

import sqlalchemy as sa
from alembic import op

revision = "0035_identity"
down_revision = "0034_fund"
branch_labels = None
depends_on = None

CONTENT_TYPES = "content_type IN ('application/pdf','image/jpeg','image/png')"


def upgrade():
    with op.batch_alter_table("verification_review_files") as batch:
        batch.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch.alter_column(
            "stored_name", type_=sa.String(length=80), existing_type=sa.String(length=60)
        )
        batch.create_unique_constraint(
            op.f("uq_verification_review_files_stored_name"), ["stored_name"]
        )
        batch.create_check_constraint(
            op.f("ck_verification_review_files_content_type"), CONTENT_TYPES
        )


def downgrade():
    with op.batch_alter_table("verification_review_files") as batch:
        batch.drop_constraint(op.f("ck_verification_review_files_content_type"), type_="check")
        batch.drop_constraint(op.f("uq_verification_review_files_stored_name"), type_="unique")
        batch.alter_column(
            "stored_name", type_=sa.String(length=60), existing_type=sa.String(length=80)
        )
        batch.drop_column("created_at")
