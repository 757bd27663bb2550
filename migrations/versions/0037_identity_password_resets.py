"""identity: password-reset links sent by e-mail (only the token's SHA-256 is kept), and the
account event of a reset.

Revision ID: 0037_identity
Revises: 0036_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_identity"
down_revision = "0036_lead"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed')"
)
KINDS = OLD_KINDS[:-1] + ",'password_reset')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.execute("DELETE FROM account_events WHERE kind = 'password_reset'")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
