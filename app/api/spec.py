"""The OpenAPI 3 document, built from the registered API routes.

Each route's docstring gives its summary (first line) and description; `api_auth` records
the roles allowed; `doc()` adds the request / response models (`app.api.schemas`), whose JSON
schemas go to `components/schemas`, and the query string's model, whose fields are the
`parameters`. Nothing is listed by hand, so the document cannot drift from the routes, nor
the schemas from what the views accept and answer.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Literal

from flask import Flask
from pydantic import BaseModel, TypeAdapter

from app.api.schemas import Error, Paged

_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
_REF = "#/components/schemas/{model}"


def doc(*, request: Any = None, response: Any = None, query: type[BaseModel] | None = None,
        tag: str | None = None, request_type: str = "application/json",
        status: int = 200, response_type: str = "application/json",
        also: dict[int, tuple[str, Any]] | None = None):  # fmt: skip
    """Attach OpenAPI details to an API view. `request`: the body's model (a `schemas.Body`);
    `response`: the answer's model or type (a `schemas.Shape`, `list[Shape]`), or a JSON
    schema dict for what no model describes (a file); `query`: the query string's model (a
    `schemas.Query`, read with `read_query`); `request_type` / `response_type`: the
    bodies' media types, e.g. multipart/form-data for an upload, application/pdf for a file;
    `status`: the status of a success, 201 for a view that creates; `also`: other successes,
    status → (description, model or schema), e.g. 202 for work queued."""

    def decorator(view):
        view.api_doc = {"request": request, "response": response, "query": query,
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


# A window's answer names the next and the one before (`schemas.Paged.read`).
PAGE_LINKS = {
    "description": 'RFC 8288: <…?limit=L&offset=O>; rel="next" when more rows follow, '
    'rel="prev" when some come before; the call\'s other parameters kept',
    "schema": {"type": "string"},
}


def query_params(model: type[BaseModel] | None) -> list[dict]:
    """The `parameters` of a query string's model: one per field, by its alias."""
    if model is None:
        return []
    found = model.model_json_schema(ref_template=_REF, mode="validation")
    if "$defs" in found:
        raise ValueError(f"{model.__name__}: a query parameter is text, not an object")
    required = set(found.get("required", []))
    params = []
    for name, schema in found.get("properties", {}).items():
        schema = openapi30(schema)
        schema.pop("nullable", None)  # absent, not null: a query string has no null
        if schema.get("default", ...) is None:
            del schema["default"]
        param = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if "description" in schema:
            param["description"] = schema.pop("description")
        params.append(param)
    return params


class Components:
    """The named schemas of the document: each model once, its nested models hoisted."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict] = {}

    def schema(self, what: Any, mode: Literal["validation", "serialization"]) -> dict:
        """A JSON schema (OpenAPI 3.0 dialect) for a model, a type or a schema dict."""
        if what is None:
            return {"type": "object"}
        if isinstance(what, dict):
            return what
        if isinstance(what, type) and issubclass(what, BaseModel):
            found = what.model_json_schema(ref_template=_REF, mode=mode)
            self._add(what.__name__, found)
            return {"$ref": _REF.format(model=what.__name__)}
        found = TypeAdapter(what).json_schema(ref_template=_REF, mode=mode)
        return openapi30(self._hoist(found))

    def _add(self, name: str, schema: dict) -> None:
        schema = openapi30(self._hoist(schema))
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two API schemas are named {name}: rename one of the models")

    def _hoist(self, schema: dict) -> dict:
        for name, nested in schema.pop("$defs", {}).items():
            self._add(name, nested)
        return schema


def openapi30(node: Any) -> Any:
    """Pydantic writes JSON Schema 2020-12; the document is OpenAPI 3.0: `X | None` becomes
    `nullable`, `const` an `enum` of one, `examples` its first `example`, and titles go (the
    names are the keys)."""
    if isinstance(node, list):
        return [openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: openapi30(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    options = node.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        node.pop("anyOf")
        if len(rest) > 1:
            inner = {"anyOf": rest}
        else:  # beside a $ref, 3.0 ignores every other keyword: wrap it
            inner = {"allOf": rest} if "$ref" in rest[0] else rest[0]
        node = {**inner, **node, "nullable": True}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("examples"), list) and node["examples"]:
        node["example"] = node.pop("examples")[0]
    return node


def _json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_spec(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    components = Components()
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
                "parameters": path_params + query_params(extra.get("query")),
                "responses": {
                    str(extra.get("status", 200)): {
                        "description": "Created" if extra.get("status") == 201 else "OK",
                        "content": {
                            extra.get("response_type", "application/json"): {
                                "schema": components.schema(extra.get("response"), "serialization")
                            }
                        },
                    },
                    **{
                        str(code): _json_response(words, components.schema(schema, "serialization"))
                        for code, (words, schema) in extra.get("also", {}).items()
                    },
                    "default": _json_response("Error", components.schema(Error, "serialization")),
                },
            }
            query = extra.get("query")
            if query is not None and issubclass(query, Paged):
                operation["responses"]["200"]["headers"] = {"Link": PAGE_LINKS}
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
                        extra.get("request_type", "application/json"): {
                            "schema": components.schema(extra["request"], "validation")
                        }
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
            "schemas": dict(sorted(components.schemas.items())),
        },
    }
