"""Migration 0055_log_heads fills each chain's head from the log it finds, and goes back."""

from __future__ import annotations

import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from config import TestConfig

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def test_heads_are_filled_from_the_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        AUDIT_SIGNING_KEY_FILE = str(tmp_path / "key.pem")

    app = create_app(Cfg)
    engine = create_engine(url)  # its own: the suite's session is bound elsewhere
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0054_totp")
        rows = [(1, 7, "a1"), (2, 8, "b1"), (3, 7, "a2"), (4, 0, "z1"), (5, 7, "a3")]
        with engine.begin() as conn:
            for row_id, chain, digest in rows:
                conn.execute(
                    text(
                        "INSERT INTO access_log (id, chain, at, requested, granted, purpose, "
                        "endpoint, channel, outcome, reason, prev_hash, row_hash) VALUES (:id, "
                        ":chain, '2026-01-01 00:00:00', '', '', '', '/x', 'web', 'allowed', '', "
                        "'p', :h)"
                    ),
                    {"id": row_id, "chain": chain, "h": digest},
                )
        upgrade(directory=MIGRATIONS, revision="0055_log_heads")
        with engine.connect() as conn:
            heads = conn.execute(
                text("SELECT chain, length, last_id, head FROM access_log_heads ORDER BY chain")
            ).all()
        assert [tuple(h) for h in heads] == [(0, 1, 4, "z1"), (7, 3, 5, "a3"), (8, 1, 2, "b1")]
        downgrade(directory=MIGRATIONS, revision="0054_totp")
        assert "access_log_heads" not in inspect(engine).get_table_names()
    engine.dispose()
