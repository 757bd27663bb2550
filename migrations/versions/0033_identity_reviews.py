"""identity: verification by the operator's review of the uploaded business licence (and
letter of authorization), with a deadline in working days; account events of a submission
and a rejection.

Revision ID: 0033_identity
Revises: 0032_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_identity"
down_revision = "0032_audit"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'verified','login','logout_everywhere','password_changed')"
)
KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed')"
)


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    op.create_table(
        "verification_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("legal_rep", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending','approved','rejected')",
            name=op.f("ck_verification_reviews_state"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"],
            name=op.f("fk_verification_reviews_decided_by_id_users"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"],
            name=op.f("fk_verification_reviews_enterprise_id_enterprises"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_verification_reviews_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_reviews")),
    )
    for column in ("user_id", "enterprise_id", "state"):
        op.create_index(
            op.f(f"ix_verification_reviews_{column}"), "verification_reviews", [column]
        )
    op.create_table(
        "verification_review_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=60), nullable=False),
        sa.CheckConstraint(
            "kind IN ('licence','authorization')", name=op.f("ck_verification_review_files_kind")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["verification_reviews.id"],
            name=op.f("fk_verification_review_files_review_id_verification_reviews"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_review_files")),
    )
    op.create_index(
        op.f("ix_verification_review_files_review_id"), "verification_review_files", ["review_id"]
    )


def downgrade():
    op.drop_index(
        op.f("ix_verification_review_files_review_id"), table_name="verification_review_files"
    )
    op.drop_table("verification_review_files")
    for column in ("user_id", "enterprise_id", "state"):
        op.drop_index(op.f(f"ix_verification_reviews_{column}"), table_name="verification_reviews")
    op.drop_table("verification_reviews")
    op.execute("DELETE FROM account_events WHERE kind IN ('evidence_submitted','review_rejected')")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
