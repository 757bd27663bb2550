"""The JSON API under /api/v1/, authenticated with `Authorization: Bearer TOKEN`.

One module per domain (`app/api/<domain>.py`) adds its routes to `bp`; every handler
parses, calls a service and returns JSON. Errors are `{"error": {"code", "message"}}`.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def load_routes() -> None:
    """Import the route modules (called once by the app factory)."""
    from app.api import (  # noqa: F401
        applications,
        audit,
        authorizations,
        core,
        disputes,
        docs,
        enterprises,
        funds,
        ingest,
        loans,
        matching,
        products,
        profiles,
        records,
        repairs,
        reports,
        stats,
        verification,
    )
