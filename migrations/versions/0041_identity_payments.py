"""identity: verification by a small payment to the corporate account (对公账户打款验证),
and its account events.

Revision ID: 0041_identity
Revises: 0040_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_identity"
down_revision = "0040_lead"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed','password_reset')"
)
KINDS = (
    OLD_KINDS[:-1]
    + ",'payment_requested','payment_refused','payment_sent','payment_failed','payment_locked')"
)
STATES = "state IN ('requested','sent','used','locked','expired','replaced','failed')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    op.create_table(
        "payment_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATES, name=op.f("ck_payment_verifications_state")),
        sa.CheckConstraint(
            "amount >= 0.01 AND amount <= 0.99", name=op.f("ck_payment_verifications_amount")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_payment_verifications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_payment_verifications_sent_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payment_verifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_verifications")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_verifications_reference")),
    )
    for column in ("user_id", "enterprise_id", "state"):
        op.create_index(
            op.f(f"ix_payment_verifications_{column}"), "payment_verifications", [column]
        )


def downgrade():
    for column in ("user_id", "enterprise_id", "state"):
        op.drop_index(
            op.f(f"ix_payment_verifications_{column}"), table_name="payment_verifications"
        )
    op.drop_table("payment_verifications")
    op.execute("DELETE FROM account_events WHERE kind LIKE 'payment_%'")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
