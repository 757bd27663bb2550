"""identity: the account event of a stronger claim (the phone on file proved by a claimant
of an enterprise another account administers), for the operator's transfer page.

Revision ID: 0045_identity
Revises: 0044_loanstats
"""

from alembic import op

revision = "0045_identity"
down_revision = "0044_loanstats"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('registered','code_sent','code_send_failed','code_failed','code_locked',"
    "'evidence_submitted','review_rejected','verified','login','logout_everywhere',"
    "'password_changed','password_reset','payment_requested','payment_refused',"
    "'payment_sent','payment_failed','payment_locked','invited','joined','removed',"
    "'transferred')"
)
KINDS = OLD_KINDS[:-1] + ",'claim_proven')"


def upgrade():
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), KINDS)


def downgrade():
    op.execute("DELETE FROM account_events WHERE kind = 'claim_proven'")
    with op.batch_alter_table("account_events") as batch:
        batch.drop_constraint(op.f("ck_account_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_account_events_kind"), OLD_KINDS)
