"""Check a real answer against the OpenAPI document: the operation's success schema is the
model's component (so the document is the model), the answer validates through the model,
and it carries no key the model does not name (at any depth the model describes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.spec import Components


def documented(api, path: str, model: type[BaseModel], body: Any, *, method: str = "get"):
    """`body` (an answer of `method path`, an object or a list of them) as `model`."""
    spec = api.get("/api/v1/openapi.json").json
    operation = spec["paths"][path][method]
    (status,) = [s for s in operation["responses"] if s != "default"]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    assert schema == (ref if isinstance(body, dict) else {"type": "array", "items": ref})
    components = Components()
    components.schema(model, "serialization")
    for name, generated in components.schemas.items():
        assert spec["components"]["schemas"][name] == generated, name
    items = [body] if isinstance(body, dict) else body
    assert items, "no answer to check"
    for item in items:
        undocumented(model.model_validate(item))
    return body


def undocumented(found: Any, where: str = "") -> None:
    """Fail on the first key of an answer that its model does not name."""
    if isinstance(found, BaseModel):
        extra = sorted(found.model_extra or {})
        assert not extra, f"undocumented keys at {where or 'the top'}: {extra}"
        for name in type(found).model_fields:
            undocumented(getattr(found, name), f"{where}.{name}".lstrip("."))
    elif isinstance(found, list):
        for i, item in enumerate(found):
            undocumented(item, f"{where}[{i}]")
