"""A hash chain per enterprise (issue 14): access-log rows carry their chain (the
enterprise's id; 0 for rows about no enterprise; -1, the default given to every existing
row, for the global chain written before), indexed with the id; an append locks only its
chain (`access_log_lock_chain`), so reads of different enterprises never wait for each
other. Checkpoints (version 2) sign the Merkle tree head of every chain's leaf; the leaves
that changed at each checkpoint are kept (append-only) in `audit_checkpoint_leaves`.

Revision ID: 0026_audit
Revises: 0025_lead
Create Date: 2026-12-05 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_audit'
down_revision = '0025_lead'
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION access_log_lock_chain(lock_key integer, chain_key bigint) RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key, chain_key::integer);
    RETURN (SELECT row_hash FROM access_log WHERE chain = chain_key ORDER BY id DESC LIMIT 1);
END $$;
"""
PG_TRIGGERS = """
CREATE FUNCTION audit_checkpoint_leaves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoint_leaves is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_checkpoint_leaves_no_update_delete BEFORE UPDATE OR DELETE
    ON audit_checkpoint_leaves FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_leaves_append_only();
CREATE TRIGGER audit_checkpoint_leaves_no_truncate BEFORE TRUNCATE ON audit_checkpoint_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_leaves_append_only();
"""
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_checkpoint_leaves_no_update BEFORE UPDATE ON audit_checkpoint_leaves "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoint_leaves is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_checkpoint_leaves_no_delete BEFORE DELETE ON audit_checkpoint_leaves "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoint_leaves is append-only: DELETE refused'); END",
]


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    # A constant default fills the existing rows without an UPDATE (the triggers stay quiet).
    op.add_column('access_log', sa.Column('chain', sa.BigInteger(), nullable=False, server_default='-1'))
    if postgres:
        op.execute("ALTER TABLE access_log ALTER COLUMN chain DROP DEFAULT")
    op.create_index('ix_access_log_chain_id', 'access_log', ['chain', 'id'], unique=False)
    op.add_column('audit_checkpoints', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('audit_checkpoints', sa.Column('chains', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('audit_checkpoint_leaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('chain', sa.BigInteger(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=True),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint_leaves'))
    )
    op.create_index(op.f('ix_audit_checkpoint_leaves_seq'), 'audit_checkpoint_leaves', ['seq'], unique=False)
    if postgres:
        op.execute(FUNCTION)
        op.execute(PG_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_leaves_no_truncate ON audit_checkpoint_leaves")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_leaves_no_update_delete ON audit_checkpoint_leaves")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoint_leaves_append_only()")
        op.execute("DROP FUNCTION IF EXISTS access_log_lock_chain(integer, bigint)")
    op.drop_index(op.f('ix_audit_checkpoint_leaves_seq'), table_name='audit_checkpoint_leaves')
    op.drop_table('audit_checkpoint_leaves')
    with op.batch_alter_table('audit_checkpoints') as batch:
        batch.drop_column('chains')
        batch.drop_column('version')
    op.drop_index('ix_access_log_chain_id', table_name='access_log')
    with op.batch_alter_table('access_log') as batch:
        batch.drop_column('chain')
