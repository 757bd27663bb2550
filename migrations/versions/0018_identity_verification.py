"""identity (issue 12): enterprise accounts are unverified until verified; account history;
application drafts of accounts that may not apply yet.

Existing enterprise accounts become unverified (the users table does not record whether
the operator made one; the operator verifies those with `flask users verify EMAIL
--evidence REF`); the demo enterprise account (sme@demo.xyd) is verified.

Revision ID: 0018_identity
Revises: 0017_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_identity"
down_revision = "0017_lead"
branch_labels = None
depends_on = None

STATES = "verification_state IN ('unverified','pending','verified','rejected')"
KINDS = (
    "kind IN ('registered','code_sent','code_failed','code_locked','verified','login',"
    "'logout_everywhere','password_changed')"
)
DEMO_ENTERPRISE_ACCOUNTS = ("sme@demo.xyd",)


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "verification_state",
                sa.String(length=12),
                nullable=False,
                server_default="unverified",
            )
        )
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("verification_method", sa.String(length=12), nullable=True))
        batch.create_check_constraint(op.f("ck_users_verification"), STATES)
    users = sa.table(
        "users",
        sa.column("email", sa.String),
        sa.column("verification_state", sa.String),
        sa.column("verification_method", sa.String),
    )
    op.execute(
        users.update()
        .where(users.c.email.in_(DEMO_ENTERPRISE_ACCOUNTS))
        .values(verification_state="verified", verification_method="created")
    )
    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_account_events_kind")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_account_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_events")),
    )
    op.create_index(
        op.f("ix_account_events_user_id"), "account_events", ["user_id"], unique=False
    )
    op.create_table(
        "application_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("term_months", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_application_drafts_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_application_drafts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_drafts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_application_drafts_user_id")),
    )


def downgrade():
    op.drop_table("application_drafts")
    op.drop_index(op.f("ix_account_events_user_id"), table_name="account_events")
    op.drop_table("account_events")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_verification"), type_="check")
        batch.drop_column("verification_method")
        batch.drop_column("verified_at")
        batch.drop_column("verification_state")
