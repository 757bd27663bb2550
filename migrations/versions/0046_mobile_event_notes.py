"""The platform's own notes on an application's timeline (approved terms, disbursement, expiry)
are stored as a message id and its arguments (`note_id`, `note_args`) and worded in the
reader's language when shown; the notes already written as sentences are read back into them.

Revision ID: 0046_mobile
Revises: 0045_identity
Create Date: 2026-12-05 16:45:00

"""
import re

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0046_mobile'
down_revision = '0045_identity'
branch_labels = None
depends_on = None

EVENTS = sa.table(
    'application_events',
    sa.column('id', sa.Integer), sa.column('action', sa.String), sa.column('note', sa.Text),
    sa.column('note_id', sa.String), sa.column('note_args', sa.JSON),
)
# As the services wrote them: "500000.00 / 4.35% / 12", "280000.00 2026-11-02 首贷", and the
# expiry in the language of the job that wrote it.
APPROVED = re.compile(r'(\S+) / (\S+)% / (\d+)')
DISBURSED = re.compile(r'(\S+) (\d{4}-\d{2}-\d{2})( 首贷)?')
EXPIRED = ('超过受理时限', 'Past the acceptance deadline')


def _parsed(action, note):
    if action == 'approve' and (m := APPROVED.fullmatch(note)):
        return 'approved', {'amount': m[1], 'rate': m[2], 'term': int(m[3])}
    if action == 'disburse' and (m := DISBURSED.fullmatch(note)):
        return ('disbursed_first' if m[3] else 'disbursed'), {'amount': m[1], 'day': m[2]}
    if action == 'expire' and note in EXPIRED:
        return 'expired', None
    return None


def upgrade():
    with op.batch_alter_table('application_events') as batch:
        batch.add_column(sa.Column('note_id', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('note_args', sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(EVENTS.c.id, EVENTS.c.action, EVENTS.c.note).where(
            EVENTS.c.action.in_(('approve', 'disburse', 'expire')), EVENTS.c.note != ''
        )
    ).all()
    for row in rows:
        if (parsed := _parsed(row.action, row.note)) is not None:
            connection.execute(
                EVENTS.update().where(EVENTS.c.id == row.id)
                .values(note='', note_id=parsed[0], note_args=parsed[1])
            )


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(EVENTS.c.id, EVENTS.c.note_id, EVENTS.c.note_args).where(
            EVENTS.c.note_id.is_not(None)
        )
    ).all()
    for row in rows:
        args = row.note_args or {}
        if row.note_id == 'approved':
            note = f"{args['amount']} / {args['rate']}% / {args['term']}"
        elif row.note_id in ('disbursed', 'disbursed_first'):
            note = f"{args['amount']} {args['day']}" + (' 首贷' if row.note_id == 'disbursed_first' else '')
        else:
            note = EXPIRED[0]
        connection.execute(EVENTS.update().where(EVENTS.c.id == row.id).values(note=note))
    with op.batch_alter_table('application_events') as batch:
        batch.drop_column('note_args')
        batch.drop_column('note_id')
