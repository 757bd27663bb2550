from __future__ import annotations

from flask import current_app, jsonify, render_template

from app.api import bp
from app.api.spec import build_spec


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(build_spec(current_app))


@bp.route("/docs")
def docs():
    """A readable page of the same document, rendered here (no outside assets)."""
    return render_template("api/docs.html", spec=build_spec(current_app))
