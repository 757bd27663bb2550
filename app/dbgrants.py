"""What the application's own database role may do (PostgreSQL).

The web and scheduler processes connect as a role that owns nothing: migrations run as a
separate owner role, and `flask dbgrants apply ROLE` grants the application role reading and
writing on every table except the append-only ones (`APPEND_ONLY`: the access log and its
signed checkpoints), where it may only read and insert. Owning a table is what lets a role
`ALTER TABLE … DISABLE TRIGGER` or drop it; without ownership and without UPDATE, DELETE and
TRUNCATE the application cannot rewrite or cut its own log, even if it is compromised.
`flask dbgrants check ROLE` says what is wrong with a role (exit 1).

Run `apply` after every `flask db upgrade` (new tables get no grants by themselves).
"""

from __future__ import annotations

from sqlalchemy import text

from app.audit.models import AccessLogEntry, AuditCheckpoint, AuditCheckpointLeaf
from app.extensions import db

APPEND_ONLY = (
    AccessLogEntry.__tablename__,
    AuditCheckpoint.__tablename__,
    AuditCheckpointLeaf.__tablename__,
)
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
READ_APPEND = "SELECT, INSERT"
NOT_ON_APPEND_ONLY = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


def _quote(name: str) -> str:
    return db.engine.dialect.identifier_preparer.quote(name)


def _tables() -> list[str]:
    return list(
        db.session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        )
    )


def statements(role: str) -> list[str]:
    """The GRANT / REVOKE statements that give `role` the application's rights, no more."""
    r = _quote(role)
    sql = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
    ]
    for table in _tables():
        if table == "alembic_version":
            sql.append(f"GRANT SELECT ON {_quote(table)} TO {r}")
        elif table in APPEND_ONLY:
            sql.append(f"GRANT {READ_APPEND} ON {_quote(table)} TO {r}")
        else:
            sql.append(f"GRANT {READ_WRITE} ON {_quote(table)} TO {r}")
    return sql


def apply(role: str) -> list[str]:
    """Grant `role` the application's rights (run as the tables' owner); returns the SQL."""
    if db.engine.dialect.name != "postgresql":
        raise RuntimeError("database roles are a PostgreSQL deployment's concern")
    sql = statements(role)
    for statement in sql:
        db.session.execute(text(statement))
    return sql


def problems(role: str) -> list[str]:
    """What would let `role` change or cut the log: empty when none."""
    found = []
    row = db.session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if row is None:
        return [f"role {role} does not exist"]
    if row.rolsuper:
        found.append(f"{role} is a superuser")
    for table in APPEND_ONLY:
        owner = db.session.scalar(
            text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = :t"),
            {"t": table},
        )
        if owner is None:
            continue
        member = db.session.scalar(
            text("SELECT pg_has_role(:r, :owner, 'MEMBER')"), {"r": role, "owner": owner}
        )
        if owner == role or member:
            found.append(f"{role} owns {table} (through {owner}): it could disable its triggers")
        for privilege in NOT_ON_APPEND_ONLY:
            if db.session.scalar(
                text("SELECT has_table_privilege(:r, :t, :p)"),
                {"r": role, "t": f"public.{table}", "p": privilege},
            ):
                found.append(f"{role} has {privilege} on {table}")
    return found
