"""Import batches gain the origin `correction`: a record the platform itself rewrote (an
upheld objection, a revoked credit repair). The enterprise hears of those from the objection
or the repair, not as new government data.

Revision ID: 0050_lead
Revises: 0049_authz
"""

from alembic import op


revision = "0050_lead"
down_revision = "0049_authz"
branch_labels = None
depends_on = None

ORIGINS = "origin IN ('file','pull','push','correction')"
OLD_ORIGINS = "origin IN ('file','pull','push')"


def upgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_constraint(op.f("ck_import_batches_origin"), type_="check")
        batch.create_check_constraint(op.f("ck_import_batches_origin"), ORIGINS)


def downgrade():
    op.execute("UPDATE import_batches SET origin = 'push' WHERE origin = 'correction'")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_constraint(op.f("ck_import_batches_origin"), type_="check")
        batch.create_check_constraint(op.f("ck_import_batches_origin"), OLD_ORIGINS)
