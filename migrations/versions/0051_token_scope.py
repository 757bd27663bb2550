"""API tokens gain an expiry and a scope (read or write). Tokens made before this expire a
year after they were made and keep writing, as they could.

Revision ID: 0051_tokens
Revises: 0050_lead
"""

import sqlalchemy as sa
from alembic import op

revision = "0051_tokens"
down_revision = "0050_lead"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("scope", sa.String(10), nullable=False, server_default="write")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE api_tokens SET expires_at = created_at + interval '365 days'")
    else:
        op.execute("UPDATE api_tokens SET expires_at = datetime(created_at, '+365 days')")
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_check_constraint(op.f("ck_api_tokens_scope"), "scope IN ('read','write')")


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("ck_api_tokens_scope"), type_="check")
        batch.drop_column("scope")
        batch.drop_column("expires_at")
