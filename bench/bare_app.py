"""The `serving` benchmark's baseline: a bare Flask endpoint that runs one query.

Same database, same driver and pool settings as the app (SQLAlchemy engine over psycopg),
no blueprints, no session, no authentication: what the hardware and the stack give before any
of our code runs.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
_QUERY = text("SELECT count(*) FROM enterprises WHERE id = 1")


@app.get("/bare")
def bare():
    with engine.connect() as conn:
        value = conn.execute(_QUERY).scalar()
    return jsonify(value=value)


# --- the floor: a guarded profile read's database work, with none of the app's code --------
#
# `/floor/<uscc>` sends the statements a bank's profile read must send, written by hand and run
# on the bare engine, in one transaction: the token with its user; the enterprise; the cached
# profile material (`profile_cache`); its authorizations to the bank, locked; the day's reads
# under the one used; the log row appended to the enterprise's chain (the very statement
# `app.audit.services.append` sends, advisory lock and server-side hash); the commit that
# makes the row durable before any data leaves; the material decoded and sent back as JSON.
# What the profile API costs beyond this is the app's own: framework, ORM, the decision's
# logic and the view's shaping.

import hashlib  # noqa: E402
import json  # noqa: E402

from flask import request  # noqa: E402

from app.audit.chain import canonical  # noqa: E402
from app.audit.services import _PG_APPEND_SQL, ADVISORY_LOCK_CLASS  # noqa: E402
from app.clock import utcnow  # noqa: E402

_TOKEN = text(
    "SELECT u.id, u.bank_id, u.role, u.active, t.expires_at FROM api_tokens t "
    "JOIN users u ON u.id = t.user_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL"
)
_ENTERPRISE = text("SELECT id, uscc, name FROM enterprises WHERE uscc = :uscc")
_AUTHORIZATIONS = text(
    "SELECT a.id, a.purpose, a.reads_per_day, s.category FROM authorizations a "
    "JOIN authorization_scopes s ON s.authorization_id = a.id "
    "WHERE a.kind = 'query' AND a.enterprise_id = :enterprise AND a.grantee_bank_id = :bank "
    "AND a.state = 'active' AND a.valid_from <= :now "
    "AND (a.valid_until IS NULL OR a.valid_until > :now) "
    "ORDER BY a.id FOR NO KEY UPDATE OF a"
)
_READS_TODAY = text(
    "SELECT count(*) FROM (SELECT id FROM access_log WHERE authorization_id = :authorization "
    "AND at >= :start AND enterprise_id = :enterprise AND bank_id = :bank "
    "AND outcome = 'allowed' LIMIT :cap) AS reads"
)
_APPEND = text(_PG_APPEND_SQL)
_MATERIAL = text(
    "SELECT c.body FROM profile_cache c WHERE c.enterprise_id = :enterprise AND c.version = "
    "coalesce((SELECT v.version FROM profile_data_versions v "
    "WHERE v.enterprise_id = :enterprise), 0)"
)


@app.get("/floor/<uscc>")
def floor(uscc: str):
    now = utcnow()
    plaintext = request.headers["Authorization"].removeprefix("Bearer ")
    with engine.connect() as conn:
        user = conn.execute(_TOKEN, {"hash": hashlib.sha256(plaintext.encode()).hexdigest()}).one()
        enterprise = conn.execute(_ENTERPRISE, {"uscc": uscc}).one()
        body = conn.execute(_MATERIAL, {"enterprise": enterprise.id}).scalar()
        scopes = conn.execute(
            _AUTHORIZATIONS, {"enterprise": enterprise.id, "bank": user.bank_id, "now": now}
        ).all()
        used = scopes[0]
        conn.execute(
            _READS_TODAY,
            {"authorization": used.id, "start": now.replace(hour=0), "enterprise": enterprise.id,
             "bank": user.bank_id, "cap": used.reads_per_day},
        ).scalar()  # fmt: skip
        fields = {
            "at": now, "user_id": user.id, "bank_id": user.bank_id,
            "enterprise_id": enterprise.id, "authorization_id": used.id,
            "requested": ",".join(sorted({s.category for s in scopes})),
            "granted": ",".join(sorted({s.category for s in scopes})), "purpose": used.purpose,
            "endpoint": request.path, "channel": "api", "ip": request.remote_addr,
            "outcome": "allowed", "reason": "",
        }  # fmt: skip
        conn.execute(
            _APPEND,
            {**fields, "key": ADVISORY_LOCK_CLASS, "chain": enterprise.id,
             "canonical": canonical(fields)},
        ).one()  # fmt: skip
        conn.commit()
    return jsonify(json.loads(body))  # none kept: a 500, and the run says so
