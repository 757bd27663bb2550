"""The migration to several people per enterprise: the first verified account of each
enterprise becomes its administrator, any other verified one staff, the rest nothing."""

from __future__ import annotations

import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from app import create_app
from config import TestConfig

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def test_existing_accounts_get_their_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        AUDIT_SIGNING_KEY_FILE = str(tmp_path / "key.pem")

    app = create_app(Cfg)
    # Its own engine: the suite's session is bound to the test database's connection.
    engine = create_engine(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0042_lead")
        conn = engine.connect()
        for n in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO enterprises (id, uscc, name, legal_rep, verified, created_at, updated_at) "
                    "VALUES (:n, :uscc, :name, '王五', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"n": n, "uscc": f"9161000000000000{n}X", "name": f"企业{n}"},
            )
        rows = [  # id, enterprise, role, state
            (10, 1, "enterprise", "unverified"),
            (11, 1, "enterprise", "verified"),
            (12, 1, "enterprise", "verified"),
            (13, 2, "enterprise", "verified"),
            (14, None, "admin", "unverified"),
        ]
        for uid, enterprise, role, state in rows:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, display_name, "
                    "enterprise_id, active, password_changed_at, session_version, created_at, "
                    "verification_state) VALUES (:id, :email, 'x', :role, '', :e, 1, "
                    "'2026-01-01 00:00:00', 1, '2026-01-01 00:00:00', :state)"
                ),
                {"id": uid, "email": f"u{uid}@m.test", "role": role, "e": enterprise,
                 "state": state},
            )  # fmt: skip
        conn.commit()
        conn.close()
        upgrade(directory=MIGRATIONS, revision="0043_identity")  # this one only
        with engine.connect() as conn:
            places = dict(conn.execute(text("SELECT id, enterprise_role FROM users")).all())
        assert places == {10: None, 11: "admin", 12: "staff", 13: "admin", 14: None}
        downgrade(directory=MIGRATIONS, revision="0042_lead")  # and back
    engine.dispose()
