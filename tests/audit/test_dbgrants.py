"""PostgreSQL: the application's role can read and append to the access log, but cannot
change, cut, truncate, disable the triggers of or drop it; the owner role could."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from app import dbgrants
from app.audit import services
from app.auth.models import Role
from app.extensions import db

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
ROLE = "xyd_app_under_test"  # created inside the test's transaction, rolled back with it


@pytest.fixture
def app_role(factories):
    officer = factories.user(Role.BANK_OFFICER)
    enterprise = factories.enterprise()
    db.session.execute(text(f"CREATE ROLE {ROLE} NOLOGIN"))
    assert dbgrants.problems(ROLE) == []  # a new role may do nothing at all
    dbgrants.apply(ROLE)
    return officer, enterprise


def _as_app(statement: str, **params):
    """Run `statement` as the application role in a savepoint; the error, if any."""
    with db.session.begin_nested():
        db.session.execute(text(f"SET LOCAL ROLE {ROLE}"))
        try:
            with db.session.begin_nested():
                db.session.execute(text(statement), params)
        except ProgrammingError as exc:
            return exc
        finally:
            db.session.execute(text("RESET ROLE"))
    return None


def test_the_application_role_appends_but_cannot_rewrite_or_cut_the_log(app_role):
    officer, enterprise = app_role
    with db.session.begin_nested():
        db.session.execute(text(f"SET LOCAL ROLE {ROLE}"))
        entry = services.append(
            user_id=officer.id, bank_id=officer.bank_id, enterprise_id=enterprise.id,
            endpoint="/t", channel="api", outcome="allowed",
        )  # fmt: skip
        db.session.execute(text("RESET ROLE"))
    assert entry.id is not None
    for statement in (
        "UPDATE access_log SET outcome = 'denied'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
        "ALTER TABLE access_log DISABLE TRIGGER ALL",
        "DROP TABLE access_log",
        "UPDATE audit_checkpoints SET signature = ''",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER",
        "UPDATE audit_checkpoint_leaves SET length = 0",
        "DELETE FROM audit_checkpoint_leaves",
    ):
        error = _as_app(statement)
        assert error is not None, statement
        assert re.search("permission denied|must be owner", str(error.orig)), statement
    # Everything else is ordinary work for it.
    assert _as_app("UPDATE enterprises SET name = name WHERE id = :i", i=enterprise.id) is None
    assert _as_app("SELECT count(*) FROM access_log") is None
    assert dbgrants.problems(ROLE) == []


def test_check_names_a_role_that_owns_or_may_change_the_log(app_role):
    owner = db.session.scalar(
        text("SELECT tableowner FROM pg_tables WHERE tablename = 'access_log'")
    )
    db.session.execute(text(f"GRANT UPDATE ON access_log TO {ROLE}"))
    assert f"{ROLE} has UPDATE on access_log" in dbgrants.problems(ROLE)
    db.session.execute(text(f"GRANT {owner} TO {ROLE}"))
    assert any("owns access_log" in p for p in dbgrants.problems(ROLE))
    assert dbgrants.problems("no_such_role_here") == ["role no_such_role_here does not exist"]
