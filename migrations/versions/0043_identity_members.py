"""identity: one enterprise, several people. A verified enterprise account is its
enterprise's administrator or staff (`users.enterprise_role`); invitations by e-mail; the
operator's transfers of the administration. Existing verified accounts: the first of each
enterprise becomes its administrator, any other staff.

Revision ID: 0043_identity
Revises: 0042_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0043_identity"
down_revision = "0042_lead"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed','password_reset','payment_requested','payment_refused',"
    "'payment_sent','payment_failed','payment_locked')"
)
KINDS = OLD_KINDS[:-1] + ",'invited','joined','removed','transferred')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("enterprise_role", sa.String(length=10), nullable=True))
        batch.create_check_constraint(
            op.f("ck_users_enterprise_role"),
            "enterprise_role IS NULL OR enterprise_role IN ('admin','staff')",
        )
    verified = "role = 'enterprise' AND verification_state = 'verified'"
    op.execute(f"UPDATE users SET enterprise_role = 'staff' WHERE {verified}")
    op.execute(
        "UPDATE users SET enterprise_role = 'admin' WHERE id IN ("
        f"SELECT MIN(id) FROM users WHERE {verified} GROUP BY enterprise_id)"
    )
    op.create_table(
        "enterprise_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_invitations_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_enterprise_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"], ["users.id"], name=op.f("fk_enterprise_invitations_used_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_enterprise_invitations_token_hash")),
    )
    op.create_index(
        op.f("ix_enterprise_invitations_enterprise_id"), "enterprise_invitations", ["enterprise_id"]
    )
    op.create_table(
        "admin_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_admin_transfers_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_admin_transfers_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_admin_transfers_to_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_admin_transfers_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_transfers")),
    )
    op.create_index(op.f("ix_admin_transfers_enterprise_id"), "admin_transfers", ["enterprise_id"])
    op.create_index(op.f("ix_admin_transfers_to_user_id"), "admin_transfers", ["to_user_id"])


def downgrade():
    op.drop_index(op.f("ix_admin_transfers_to_user_id"), table_name="admin_transfers")
    op.drop_index(op.f("ix_admin_transfers_enterprise_id"), table_name="admin_transfers")
    op.drop_table("admin_transfers")
    op.drop_index(
        op.f("ix_enterprise_invitations_enterprise_id"), table_name="enterprise_invitations"
    )
    op.drop_table("enterprise_invitations")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_enterprise_role"), type_="check")
        batch.drop_column("enterprise_role")
    op.execute(
        "DELETE FROM account_events WHERE kind IN ('invited','joined','removed','transferred')"
    )
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
