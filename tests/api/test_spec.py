"""The OpenAPI document states the real status and shape of a success."""

from __future__ import annotations

import re
from typing import get_args, get_origin

import pytest

from app.api.schemas import BINARY, Error, Query, Shape
from app.api.spec import query_params
from app.audit.models import OUTCOMES
from app.auth.models import Role
from app.consent.models import KINDS
from app.disputes.models import SOURCES, STATUSES
from app.enterprises.size import SIZES
from app.products.models import PRODUCT_TYPES
from app.stats import loan_quality
from app.stats.services import ALIASES, GROUPINGS
from tests.products.helpers import DEFAULTS


def _success(api, path: str, method: str) -> tuple[str, dict]:
    """The success status and schema of an operation, its `$ref`s to components resolved."""
    spec = api.get("/api/v1/openapi.json").json
    operation = spec["paths"][path][method]
    (status,) = [s for s in operation["responses"] if s != "default"]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return status, _resolved(schema, spec["components"]["schemas"])


def _resolved(schema, components: dict):
    if isinstance(schema, list):
        return [_resolved(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _resolved(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    return {key: _resolved(value, components) for key, value in schema.items()}


@pytest.mark.parametrize(
    ("path", "role"),
    [("/api/v1/regions", Role.ENTERPRISE), ("/api/v1/industries", Role.ENTERPRISE),
     ("/api/v1/banks", Role.ADMIN)],
)  # fmt: skip
def test_reference_lists_are_documented_as_the_arrays_they_are(api, factories, path, role):
    status, schema = _success(api, path, "get")
    assert (status, schema["type"]) == ("200", "array")
    factories.bank()
    response = api.get(path, token=factories.token(factories.user(role)))
    assert response.status_code == 200 and isinstance(response.json, list) and response.json
    assert set(schema["items"]["required"]) == set(response.json[0])


def test_a_post_that_creates_is_documented_201_and_answers_201(api, factories):
    status, _schema = _success(api, "/api/v1/products", "post")
    assert status == "201"
    token = factories.token(factories.user(Role.BANK_ADMIN))
    assert api.post("/api/v1/products", DEFAULTS, token=token).status_code == 201
    for path in ("/api/v1/applications", "/api/v1/authorizations", "/api/v1/me/disputes",
                 "/api/v1/me/repairs"):  # fmt: skip
        assert _success(api, path, "post")[0] == "201"


ERROR = {"$ref": "#/components/schemas/Error"}


def _operations(app):
    """(path, method, operation, view) of every documented operation."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    views = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
            for method in rule.methods or ():
                views[path, method.lower()] = app.view_functions[rule.endpoint]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation, views[path, method]


def _inline_objects(node, where: str = ""):
    """The places of a schema written out as an object with properties (not a `$ref`)."""
    if isinstance(node, dict):
        if "properties" in node:
            yield where
        for key, value in node.items():
            yield from _inline_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _inline_objects(item, f"{where}/{i}")


def test_every_answer_is_documented_by_a_model(app):
    """Each success answer is a component generated from a response model (`Shape`), or a
    list of them; only a file (a PDF, an upload kept) is a bare binary string. No object
    schema is written out inside an operation."""
    for path, method, operation, view in _operations(app):
        name = f"{method.upper()} {path}"
        assert not list(_inline_objects(operation)), name
        documented = view.api_doc["response"]
        for status, answered in operation["responses"].items():
            if status == "default":
                assert answered["content"]["application/json"]["schema"] == ERROR, name
                continue
            ((media, content),) = answered["content"].items()
            schema = content["schema"]
            if media != "application/json":
                assert schema == BINARY, name
                continue
            item = schema["items"] if schema.get("type") == "array" else schema
            assert set(item) == {"$ref"}, name
        model = get_args(documented)[0] if get_origin(documented) is list else documented
        success = operation["responses"][str(view.api_doc["status"])]["content"]
        if "application/json" in success:
            assert isinstance(model, type) and issubclass(model, Shape), name
            assert success["application/json"]["schema"] in (
                {"$ref": f"#/components/schemas/{model.__name__}"},
                {"type": "array", "items": {"$ref": f"#/components/schemas/{model.__name__}"}},
            ), name


def test_every_query_parameter_comes_from_a_query_model(app):
    """The parameters of a query string are the fields of the view's `Query` model."""
    for path, method, operation, view in _operations(app):
        found = [p for p in operation["parameters"] if p["in"] == "query"]
        model = view.api_doc["query"]
        if model is None:
            assert not found, f"{method.upper()} {path}"
            continue
        assert issubclass(model, Query) and found == query_params(model)


def test_every_windowed_list_documents_its_link_header(app):
    """A list read a window at a time (`Paged`) says so, and answers with the Link it names."""
    from app.api.schemas import Paged

    windowed = {(path, method) for path, method, _op, view in _operations(app)
                if view.api_doc["query"] and issubclass(view.api_doc["query"], Paged)}  # fmt: skip
    assert {(path, "get") for path in ("/api/v1/applications", "/api/v1/loans",
            "/api/v1/me/access-log", "/api/v1/products", "/api/v1/disputes",
            "/api/v1/repairs")} <= windowed  # fmt: skip
    for path, method, operation, _view in _operations(app):
        headers = operation["responses"].get("200", {}).get("headers", {})
        assert ("Link" in headers) == ((path, method) in windowed), (path, method)


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [("/api/v1/stats/summary", "group_by", [*GROUPINGS, *ALIASES]),
     ("/api/v1/stats/summary", "product_type", list(PRODUCT_TYPES)),
     ("/api/v1/stats/loans", "group_by", [*loan_quality.GROUPINGS, *ALIASES]),
     ("/api/v1/stats/loans", "size", list(SIZES)),
     ("/api/v1/me/access-log", "outcome", list(OUTCOMES)),
     ("/api/v1/me/records", "source", list(SOURCES)),
     ("/api/v1/disputes", "status", list(STATUSES)),
     ("/api/v1/authorizations", "kind", list(KINDS))],
)  # fmt: skip
def test_closed_sets_of_a_query_are_the_domains_own(api, path, name, values):
    spec = api.get("/api/v1/openapi.json").json
    (param,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert param["schema"]["enum"] == values


@pytest.mark.parametrize(
    ("path", "role", "query", "fields"),
    [("/api/v1/me/records", Role.ENTERPRISE, "", {"source"}),
     ("/api/v1/me/matches", Role.ENTERPRISE, "amount=lots&term_months=12&limit=0",
      {"amount", "limit"}),
     ("/api/v1/authorizations", Role.ENTERPRISE, "kind=all", {"kind"}),
     ("/api/v1/disputes", Role.ADMIN, "status=closed", {"status"}),
     ("/api/v1/repairs", Role.ADMIN, "pending=maybe", {"pending"}),
     ("/api/v1/stats/loans", Role.REGULATOR, "size=tiny&group_by=month", {"size", "group_by"})],
)  # fmt: skip
def test_a_wrong_query_is_422_naming_every_field(api, factories, path, role, query, fields):
    """A query string is refused as a body is: `validation_failed`, `field` and `fields`."""
    token = factories.token(factories.user(role))
    response = api.get(f"{path}?{query}", token=token)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == fields
    assert error["field"] in fields and error["field"] in error["message"]
    Error.model_validate(response.json)
