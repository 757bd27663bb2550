"""access log: one round trip per append on PostgreSQL

`access_log_lock_tail(key)` takes the chain's transaction-scoped advisory lock and then
returns the last row's hash. It is a volatile PL/pgSQL function, so its SELECT runs with a
snapshot taken after the lock is granted and sees the row the previous holder committed; the
guard's INSERT calls it from a subquery, so lock, read and write are one statement.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION access_log_lock_tail(lock_key bigint) RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT row_hash FROM access_log ORDER BY id DESC LIMIT 1);
END $$;
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION access_log_lock_tail(bigint)")
