"""The platform's notes on an application's timeline are kept like notifications: as a
sentence to be said in the reader's language (`app.i18n.Later`: the Chinese msgid and its
arguments, amounts and rates already written as every page writes them), in `message` and
`args`; the note ids of 0046 (`note_id`, `note_args`) are turned into them and dropped.

Revision ID: 0052_notes
Revises: 0051_tokens
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0052_notes"
down_revision = "0051_tokens"
branch_labels = None
depends_on = None

# The msgids of 0046's note ids, as the services say them now.
MSGIDS = {
    "approved": "批准金额 %(amount)s，年利率 %(rate)s%%，期限 %(term)s 个月",
    "disbursed": "放款 %(amount)s，放款日 %(day)s",
    "disbursed_first": "放款 %(amount)s，放款日 %(day)s，首贷",
    "expired": "超过受理时限",
}
NOTE_IDS = {msgid: note_id for note_id, msgid in MSGIDS.items()}


def _events(*columns):
    return sa.table("application_events", sa.column("id", sa.Integer), *columns)


def _yuan(value) -> str:  # app.util.format_yuan as of this revision
    return f"¥{Decimal(value):,.2f}"


def _rate(value) -> str:  # app.util.format_rate as of this revision
    return format(Decimal(str(value)).normalize(), "f")


def _said_args(args):
    if not args:
        return None
    said = dict(args)
    if "amount" in said:
        said["amount"] = _yuan(said["amount"])
    if "rate" in said:
        said["rate"] = _rate(said["rate"])
    return said


def _plain_args(args):
    if not args:
        return None
    plain = dict(args)
    if "amount" in plain:
        plain["amount"] = plain["amount"].lstrip("¥").replace(",", "")
    return plain


def upgrade():
    with op.batch_alter_table("application_events") as batch:
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("args", sa.JSON(), nullable=True))
    events = _events(
        sa.column("note_id", sa.String), sa.column("note_args", sa.JSON),
        sa.column("message", sa.Text), sa.column("args", sa.JSON),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.id, events.c.note_id, events.c.note_args).where(
            events.c.note_id.is_not(None)
        )
    ).all()
    for row in rows:
        if row.note_id in MSGIDS:
            connection.execute(
                events.update()
                .where(events.c.id == row.id)
                .values(message=MSGIDS[row.note_id], args=_said_args(row.note_args))
            )
    with op.batch_alter_table("application_events") as batch:
        batch.drop_column("note_args")
        batch.drop_column("note_id")


def downgrade():
    with op.batch_alter_table("application_events") as batch:
        batch.add_column(sa.Column("note_id", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("note_args", sa.JSON(), nullable=True))
    events = _events(
        sa.column("note_id", sa.String), sa.column("note_args", sa.JSON),
        sa.column("message", sa.Text), sa.column("args", sa.JSON),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.id, events.c.message, events.c.args).where(events.c.message.is_not(None))
    ).all()
    for row in rows:
        if row.message in NOTE_IDS:
            connection.execute(
                events.update()
                .where(events.c.id == row.id)
                .values(note_id=NOTE_IDS[row.message], note_args=_plain_args(row.args))
            )
    with op.batch_alter_table("application_events") as batch:
        batch.drop_column("args")
        batch.drop_column("message")
