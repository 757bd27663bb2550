"""totp: the second factor. Users gain their TOTP secret (encrypted, see app.crypto), when
it was confirmed and the last accepted time step (a code is not accepted twice); one-time
recovery codes (SHA-256 only); six account events. Signed-in bank staff, office and
operator sessions end (the session generation moves on), so that their next sign-in asks
for the second factor.

Revision ID: 0054_totp
Revises: 0053_profcache
"""

import sqlalchemy as sa
from alembic import op

revision = "0054_totp"
down_revision = "0053_profcache"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed','password_reset','payment_requested','payment_refused',"
    "'payment_sent','payment_failed','payment_locked','invited','joined','removed',"
    "'transferred','claim_proven')"
)
NEW_KINDS = (
    "totp_enrolled", "totp_disabled", "totp_failed", "totp_reset", "recovery_used",
    "recovery_renewed",
)  # fmt: skip
KINDS = OLD_KINDS[:-1] + "," + ",".join(f"'{k}'" for k in NEW_KINDS) + ")"
PRIVILEGED = "role IN ('bank_officer','bank_admin','regulator','admin')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_enrolled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    op.execute(f"UPDATE users SET session_version = session_version + 1 WHERE {PRIVILEGED}")


def downgrade():
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enrolled_at")
        batch.drop_column("totp_secret_encrypted")
    kinds = ",".join(f"'{k}'" for k in NEW_KINDS)
    op.execute(f"DELETE FROM account_events WHERE kind IN ({kinds})")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
