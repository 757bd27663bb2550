"""identity: verification codes sent to the registry's contact phone (the SMS log keeps an
HMAC of each code, never the code), and the account event of a failed send.

Revision ID: 0029_identity
Revises: 0028_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_identity"
down_revision = "0028_lead"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_failed','code_locked','verified','login',"
    "'logout_everywhere','password_changed')"
)
KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'verified','login','logout_everywhere','password_changed')"
)
STATES = "state IN ('open','used','locked','replaced','failed')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone_masked", sa.String(length=30), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=60), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(STATES, name=op.f("ck_phone_codes_state")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_phone_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    op.create_index(op.f("ix_phone_codes_user_id"), "phone_codes", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_phone_codes_user_id"), table_name="phone_codes")
    op.drop_table("phone_codes")
    op.execute("DELETE FROM account_events WHERE kind = 'code_send_failed'")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
