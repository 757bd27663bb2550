"""log_heads: each access-log chain's end kept in `access_log_heads` (length, last id, last
hash), moved by the append in the same statement, under the chain's advisory lock as before;
the append reads the chain's last hash from its head row instead of the log. A checkpoint
then reads the chains' leaves from this table instead of grouping the whole log. Existing
chains are filled in from the log.

Revision ID: 0055_log_heads
Revises: 0054_totp
"""

import sqlalchemy as sa
from alembic import op

revision = "0055_log_heads"
down_revision = "0054_totp"
branch_labels = None
depends_on = None

# The chain's lock (as before: a transaction-scoped advisory lock on that chain alone) and
# its last hash, now read from its head row (a fresh snapshot, taken after the lock).
HEAD_FUNCTION = """
CREATE FUNCTION access_log_chain_head(lock_key integer, chain_key bigint) RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key, chain_key::integer);
    RETURN (SELECT head FROM access_log_heads WHERE chain = chain_key);
END $$;
"""
OLD_FUNCTION = """
CREATE FUNCTION access_log_lock_chain(lock_key integer, chain_key bigint) RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key, chain_key::integer);
    RETURN (SELECT row_hash FROM access_log WHERE chain = chain_key ORDER BY id DESC LIMIT 1);
END $$;
"""
FILL = """
INSERT INTO access_log_heads (chain, length, last_id, head)
SELECT ends.chain, ends.n, ends.last_id, access_log.row_hash
FROM (SELECT chain, count(*) AS n, max(id) AS last_id FROM access_log GROUP BY chain) AS ends
JOIN access_log ON access_log.id = ends.last_id
"""


def upgrade():
    op.create_table(
        "access_log_heads",
        sa.Column("chain", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=True),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_access_log_heads")),
    )
    op.execute(FILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(HEAD_FUNCTION)
        op.execute("DROP FUNCTION IF EXISTS access_log_lock_chain(integer, bigint)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS access_log_chain_head(integer, bigint)")
        op.execute(OLD_FUNCTION)
    op.drop_table("access_log_heads")
