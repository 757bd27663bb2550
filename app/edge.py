"""Bad input stopped at the edge, before any view runs, the same way for every route.

- `<int:…>` in a route accepts 0 … 2³¹−1 (an integer column's range): a larger id is a 404,
  never a database error.
- A NUL byte in the path, a query or form value, or a JSON string is refused (400):
  PostgreSQL cannot store it in text.
- A JSON body must be an object, nested at most `MAX_JSON_DEPTH` deep, with every `id` /
  `…_id` a whole number in the id range (422 naming the field); so must every non-empty
  `id` / `…_id` of an API form (an upload).

(A value too large for its column that a parser let through, `"1e27"` for a decimal or 2⁶³
for an integer, is answered 422 by the app's error handlers, not 500.)
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.errors import ServiceError, ValidationFailed

MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to the id range (the default converter has no upper bound)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before the blueprints are registered: their rules compile with this converter."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)


def _nul(field: str | None = None) -> ServiceError:
    return ServiceError(_("请求中含有不允许的空字符"), code="nul_character", field=field)


def check_request() -> None:
    if "\x00" in request.path or any(
        _has_nul(key, value) for key, value in request.args.items(multi=True)
    ):
        raise _nul()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if _has_nul(key, value):
                raise _nul(key or None)
            # An API form (an upload) names its ids like a JSON body; an empty one is absent.
            if request.path.startswith("/api/") and key and value.strip():
                _check_id(key, key, value)
    if request.is_json and request.content_length != 0:
        _check_json()


def _has_nul(key: str | None, value: str) -> bool:
    """A part without a name (werkzeug gives it the key None) has nothing to check there."""
    return "\x00" in (key or "") or "\x00" in value


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise ServiceError(_("JSON 嵌套过深（最多 %(n)d 层）", n=MAX_JSON_DEPTH), code="too_deep")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ServiceError(_("请求体不是有效的 JSON"), code="invalid_json") from None
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    _check_values(body, "")


def _check_values(value: Any, path: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise _nul(path or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise _nul(path or None)
            field = f"{path}.{key}" if path else key
            _check_id(key, field, item)
            _check_values(item, field)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_values(item, f"{path}[{i}]")


def _check_id(key: str, field: str, value: Any) -> None:
    """An `id` or `…_id` must be an id (422 naming the field)."""
    if (key == "id" or key.endswith("_id")) and not _id_like(value):
        raise ValidationFailed(field, _("编号应为 0 至 %(max)d 的整数", max=MAX_ID))


def _id_like(value: Any) -> bool:
    """None, or a whole number (or its digits) in the id range."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) < 20 else MAX_ID + 1
    return isinstance(value, int) and 0 <= value <= MAX_ID
