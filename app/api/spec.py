"""The OpenAPI 3 document, built from the registered API routes.

Each route's docstring gives its summary (first line) and description; `api_auth` records
the roles allowed; `doc()` adds request / response schemas. Nothing is listed by hand, so
the document cannot drift from the routes.
"""

from __future__ import annotations

import inspect
import re

from flask import Flask

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


def doc(*, request: dict | None = None, response: dict | None = None, params: list | None = None,
        tag: str | None = None, request_type: str = "application/json",
        status: int = 200, response_type: str = "application/json",
        also: dict[int, tuple[str, dict]] | None = None):  # fmt: skip
    """Attach OpenAPI details to an API view (`request_type` / `response_type`: the bodies'
    media types, e.g. multipart/form-data for an upload, application/pdf for a file;
    `status`: the status of a success, 201 for a view that creates; `also`: other successes,
    status → (description, JSON schema), e.g. 202 for work queued)."""

    def decorator(view):
        view.api_doc = {"request": request, "response": response, "params": params or [],
                        "tag": tag, "request_type": request_type, "status": status,
                        "response_type": response_type, "also": also or {}}  # fmt: skip
        return view

    return decorator


def _path_and_params(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match: re.Match) -> str:
        kind = "integer" if match["conv"] == "int" else "string"
        params.append(
            {"name": match["name"], "in": "path", "required": True, "schema": {"type": kind}}
        )
        return "{" + match["name"] + "}"

    return _CONVERTER.sub(repl, rule), params


def _json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_spec(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint in {"api.openapi", "api.docs"}:
            continue
        view = app.view_functions[rule.endpoint]
        path, path_params = _path_and_params(rule.rule)
        lines = inspect.cleandoc(view.__doc__ or rule.endpoint).splitlines()
        extra = getattr(view, "api_doc", {}) or {}
        roles = getattr(view, "api_roles", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict = {
                "operationId": f"{rule.endpoint.removeprefix('api.')}_{method.lower()}",
                "summary": lines[0],
                "tags": [extra.get("tag") or rule.rule.split("/")[3]],
                "parameters": path_params + list(extra.get("params", [])),
                "responses": {
                    str(extra.get("status", 200)): {
                        "description": "Created" if extra.get("status") == 201 else "OK",
                        "content": {
                            extra.get("response_type", "application/json"): {
                                "schema": extra.get("response") or {"type": "object"}
                            }
                        },
                    },
                    **{
                        str(code): _json_response(words, schema)
                        for code, (words, schema) in extra.get("also", {}).items()
                    },
                    "default": _json_response("Error", {"$ref": "#/components/schemas/Error"}),
                },
            }
            description = "\n".join(lines[1:]).strip()
            if roles is not None:
                allowed = ", ".join(roles) if roles else "any authenticated user"
                description = f"{description}\n\nRoles: {allowed}".strip()
                operation["security"] = [{"bearerAuth": []}]
                operation["x-roles"] = list(roles)
            else:
                operation["security"] = []
            if description:
                operation["description"] = description
            if extra.get("request") and method in {"POST", "PUT", "PATCH"}:
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        extra.get("request_type", "application/json"): {"schema": extra["request"]}
                    },
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Xinyidai (信易贷) API",
            "version": "1.0.0",
            "description": (
                "SME credit-financing platform. Authenticate with `Authorization: Bearer TOKEN` "
                "(make one on your settings page or with `flask users token EMAIL`). Errors are "
                '`{"error": {"code", "message"}}`. Money is a decimal string in yuan; rates are '
                "annual percent."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }
