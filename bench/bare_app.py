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
