"""JSON error responses for everything under /api/."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from app.errors import ServiceError
from app.extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    response = jsonify(body)
    response.status_code = status
    return response


def service_error_response(exc: ServiceError):
    db.session.rollback()
    extra = {k: v for k, v in exc.to_dict().items() if k not in ("code", "message")}
    return error_response(exc.status, exc.code, exc.message, **extra)


def http_error_response(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    response = error_response(exc.code or 500, code, exc.description or exc.name or "error")
    if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response
