"""The OpenAPI document states the real status and shape of a success."""

from __future__ import annotations

import pytest

from app.auth.models import Role
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
