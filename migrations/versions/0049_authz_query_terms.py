"""A query authorization's terms (issue 14): a purpose from a fixed list, the date range of
the data, and whether the bank may keep a downloaded copy.

Defaults given to the authorizations that exist when this runs:
- `purpose`: every query authorization becomes 'pre_loan' (贷前审查): until now a query
  authorization was only ever given to review a loan application or demand; the words the
  enterprise typed (or the application's) are kept in the new `purpose_note`. Collection
  authorizations have no purpose ('').
- `data_from`: left NULL (all on record), the range these grants were given under; new
  grants name 12, 24 or 36 months (36 unless asked).
- `keep_copy_days`: 0 (the bank may not keep a downloaded copy): these grants said
  nothing about copies, so none was allowed.
- `reads_per_day`: unchanged (NULL, no cap, for grants before 0027_audit).

Revision ID: 0049_authz
Revises: 0046_mobile
Create Date: 2026-12-05 16:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0049_authz"
down_revision = "0048_bigfiles"
branch_labels = None
depends_on = None

PURPOSES = ("pre_loan", "post_loan", "renewal", "guarantee")
PURPOSE_CHECK = (
    "(kind = 'query' AND purpose IN (" + ",".join(f"'{p}'" for p in PURPOSES) + ")) OR "
    "(kind = 'collection' AND purpose = '')"
)


def upgrade():
    with op.batch_alter_table("authorizations") as batch:
        batch.add_column(
            sa.Column("purpose_note", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("keep_copy_days", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE authorizations SET purpose_note = COALESCE(purpose, '')")
    op.execute("UPDATE authorizations SET purpose = 'pre_loan' WHERE kind = 'query'")
    op.execute("UPDATE authorizations SET purpose = '' WHERE kind = 'collection'")
    with op.batch_alter_table("authorizations") as batch:
        batch.alter_column(
            "purpose", existing_type=sa.String(300), type_=sa.String(20), existing_nullable=False
        )
        batch.alter_column("purpose_note", server_default=None)
        batch.alter_column("keep_copy_days", server_default=None)
        batch.create_check_constraint(op.f("ck_authorizations_purpose"), PURPOSE_CHECK)
        batch.create_check_constraint(
            op.f("ck_authorizations_keep_copy_days"), "keep_copy_days >= 0"
        )


def downgrade():
    with op.batch_alter_table("authorizations") as batch:
        batch.drop_constraint(op.f("ck_authorizations_keep_copy_days"), type_="check")
        batch.drop_constraint(op.f("ck_authorizations_purpose"), type_="check")
        batch.alter_column(
            "purpose", existing_type=sa.String(20), type_=sa.String(300), existing_nullable=False
        )
    op.execute("UPDATE authorizations SET purpose = purpose_note WHERE purpose_note <> ''")
    with op.batch_alter_table("authorizations") as batch:
        batch.drop_column("keep_copy_days")
        batch.drop_column("purpose_note")
