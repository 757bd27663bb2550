"""The JSON API under /api/v1/, authenticated with `Authorization: Bearer TOKEN`.

Each domain owns its endpoints (`app/<domain>/api.py`, beside its `routes.py`), which add
their routes to `bp`; this package holds what they share: token authentication (`auth`),
request and answer models (`schemas`), the OpenAPI document (`spec`, `docs`), JSON errors
(`errors`) and evidence files (`kept_files`).
Every handler parses, calls a service and returns JSON; the request's unit of work commits
or rolls back (`app.unit_of_work`). Errors are `{"error": {"code", "message"}}`.
"""

from importlib import import_module

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# The modules that add routes to `bp`, each domain's own first.
ROUTE_MODULES = (
    "app.applications.api",
    "app.audit.api",
    "app.auth.api",
    "app.banks.api",
    "app.bankview.api",
    "app.consent.api",
    "app.disputes.api",
    "app.disputes.records_api",
    "app.enterprises.api",
    "app.funds.api",
    "app.identity.api",
    "app.ingest.api",
    "app.loans.api",
    "app.matching.api",
    "app.products.api",
    "app.profiles.api",
    "app.repairs.api",
    "app.reports.api",
    "app.stats.api",
    "app.api.docs",
)


def load_routes() -> None:
    """Import the route modules (called once by the app factory)."""
    for name in ROUTE_MODULES:
        import_module(name)
