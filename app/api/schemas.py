"""Request and response models of the API (pydantic v2): one model per request body both
validates the request (`parse`, `parse_form`) and gives its OpenAPI schema (`spec.doc`).

- A request model derives from `Body`: unknown fields are ignored, as the API always did.
  Types are coerced the lax pydantic way (`"12"` for a `Whole`, as a form sends it), except
  that `true` / `false` is never a number and an `Integer` (an id, a count) is a number in JSON.
- A wrong body answers 422 `validation_failed` naming the first bad field in `field` (a nested
  one dotted, `consent.days`; a list item as `categories[0]`) and every bad field in
  `fields`; a body that is not a JSON object answers 422 `invalid_json` (broken JSON is 400
  `invalid_json`, refused by `app.edge` before any view runs).
- A closed set of values comes from its one definition in the domain (`choice(SOURCES)`),
  never copied here.
- Money is `Money` (a `Decimal`; the services keep their own range checks and messages) and is
  answered as a decimal string, `MoneyText` in a response model.
- A query string is a `Query` model read with `read_query`: its fields are the operation's
  OpenAPI `parameters`, and a wrong value answers the same 422 `validation_failed` as a body
  (an empty value is absent, as a form's).
- A response model derives from `Shape`: it documents the dict a view builds, so the
  document is generated from the model. A view that builds its answer through the model
  (`answer(Model, data)`) cannot drift from it either; an answer built by a service shared
  with the web pages is checked against its model by the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from flask import request
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from sqlalchemy import Select

from app.errors import FieldErrors, ValidationFailed
from app.extensions import db
from app.paging import read_window

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
S = TypeVar("S", bound="Shape")


class Body(BaseModel):
    """A request body: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class Query(BaseModel):
    """A query string: unknown parameters are ignored; each value is text (`"12"` for a
    `Whole` or an `Integer`, `1` / `true` for a `bool`)."""

    model_config = ConfigDict(extra="ignore")


class Shape(BaseModel):
    """A response body as documented: a field with a default may be absent from the answer."""

    model_config = ConfigDict(extra="allow")


class ErrorDetail(Shape):
    code: str = Field(description="what went wrong, for a program: not_found, validation_failed…")
    message: str = Field(description="what went wrong, in the reader's language")
    field: str | None = Field(None, description="the (first) wrong field")
    fields: dict[str, str] | None = Field(
        None, description="every wrong field with its message (a body or query string refused)"
    )


class Error(Shape):
    """Every refusal: `{"error": {"code", "message"}}` with the HTTP status."""

    error: ErrorDetail


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _id(value: Any, info: ValidationInfo) -> Any:
    """JSON carries an id as a number; a form, where every value is text, as digits."""
    if isinstance(value, str) and not (info.context or {}).get("form"):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return _not_a_bool(value)


def _plain_number(value: Any) -> Any:
    """A decimal as people type it: thousands separators and blanks around are allowed."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "Input should be a valid decimal")
    if isinstance(value, str):
        return value.replace(",", "").strip()
    return value


def _plain_percent(value: Any) -> Any:
    """A rate as people type it: `4.35` or `4.35%`."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "Input should be a valid decimal")
    if isinstance(value, str):
        return value.strip().removesuffix("%").strip()
    return value


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """A day written YYYY-MM-DD: not a timestamp nor an instant, which pydantic would take."""
    if isinstance(value, str) and not _DAY.fullmatch(value.strip()):
        raise PydanticCustomError("date_parsing", "Input should be a date, YYYY-MM-DD")
    return value.strip() if isinstance(value, str) else value


# A calendar day, YYYY-MM-DD.
Day = Annotated[date, BeforeValidator(_iso_day)]
# An integer that `true` / `false` is not (lax pydantic would take `true` for 1); "12" is 12.
Whole = Annotated[int, BeforeValidator(_not_a_bool)]
# An integer that JSON carries as a number (`"7"` is refused), a form as digits: ids, counts.
Integer = Annotated[int, BeforeValidator(_id)]
# Money in yuan: a decimal string (or a JSON number); range checks stay with the services.
Money = Annotated[
    Decimal,
    BeforeValidator(_plain_number),
    WithJsonSchema({"type": "string", "description": "yuan, a decimal string"}),
]
# An annual rate in percent: a decimal string (or a JSON number); `"4.35%"` is 4.35.
Percent = Annotated[
    Decimal,
    BeforeValidator(_plain_percent),
    WithJsonSchema({"type": "string", "description": "annual percent, a decimal string"}),
]
# Files of a form (multipart/form-data), as `parse_form` hands them over.
Files = Annotated[
    list[Any], WithJsonSchema({"type": "array", "items": {"type": "string", "format": "binary"}})
]
# A file answered as it is (a PDF, an upload kept): what no model describes.
BINARY = {"type": "string", "format": "binary"}
# Money and rates as the API answers them: `str(Decimal)`.
MoneyText = Annotated[str, WithJsonSchema({"type": "string", "description": "yuan, decimal"})]
PercentText = Annotated[str, WithJsonSchema({"type": "string", "description": "annual percent"})]
# A ratio (0–1) or another figure the API answers as a decimal string.
DecimalText = Annotated[str, WithJsonSchema({"type": "string", "description": "a decimal"})]
# A day as the API answers it: `date.isoformat()`.
DayText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
# An instant as the API answers it: `datetime.isoformat()`, with its offset.
InstantText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def choice(values: Iterable[Any]):
    """One of `values` (an enum or a tuple from the domain: strings, or integers), documented
    as an `enum` of them: the one list stays where it is defined."""
    allowed = tuple(getattr(v, "value", v) for v in values)
    numbers = all(isinstance(v, int) for v in allowed)
    base: Any = Integer if numbers else str

    def check(value: Any) -> Any:
        if value not in allowed:
            raise PydanticCustomError(
                "enum",
                "Input should be one of {expected}",
                {"expected": ", ".join(map(str, allowed))},
            )
        return value

    documented = WithJsonSchema({"type": "integer" if numbers else "string", "enum": list(allowed)})
    return Annotated[base, AfterValidator(check), documented]


def checked_by_service(values: Iterable[Any]):
    """A string documented as one of `values` that the service checks itself, answering with
    its own code and words (the purposes of an authorization, named in Chinese)."""
    allowed = [getattr(v, "value", v) for v in values]
    return Annotated[str, WithJsonSchema({"type": "string", "enum": allowed})]


def text(max_length: int | None = None, description: str | None = None):
    """A string, at most `max_length` characters when given."""
    return Annotated[str, Field(max_length=max_length, description=description)]


# --- reading a request ---------------------------------------------------------------------


def _not_an_object() -> ValidationFailed:
    return ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")


def parse(model: type[M], *, empty_ok: bool = False) -> M:
    """The JSON body as `model`; `empty_ok`: no body at all reads as `{}`."""
    body = request.get_json(silent=True)
    if body is None and empty_ok and not request.data:
        body = {}
    if not isinstance(body, dict):
        raise _not_an_object()
    return validate(model, body)


def parse_form(model: type[M]) -> M:
    """The fields of a form (multipart/form-data) as `model`: an empty value is absent, the
    files of a name are a list (for a `Files` field)."""
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k and v.strip()}
    data |= {name: request.files.getlist(name) for name in request.files if name}
    return validate(model, data, form=True)


MAX_PAGE = 500  # rows one call of a list may return


class Paged(Query):
    """A list's window, in the list's order: `limit` rows from `offset`. One convention for
    every list that grows without end (the access log, applications, loans, products,
    objections, repairs): a bank's history is read a page at a time, and what a page names
    is all the guard logs."""

    limit: Whole = Field(100, description=f"at most {MAX_PAGE} (more reads as {MAX_PAGE})")
    offset: Whole = 0

    def window(self) -> tuple[int, int]:
        """(limit, offset) as read: the limit between 1 and MAX_PAGE, the offset from 0."""
        return min(max(self.limit, 1), MAX_PAGE), max(self.offset, 0)

    def read(self, fetch: Callable[[int, int], list[T]]) -> tuple[list[T], dict[str, str]]:
        """The window's rows, read by `fetch(limit, offset)` one row past the window (to
        know whether another page follows, without counting the list), and the answer's
        `Link` header (RFC 8288): `next` when rows follow, `prev` when some come before."""
        limit, offset = self.window()
        rows, more = read_window(fetch, limit, offset)
        links = []
        if more:
            links.append(f'<{_page_url(limit, offset + limit)}>; rel="next"')
        if offset:
            links.append(f'<{_page_url(limit, max(offset - limit, 0))}>; rel="prev"')
        return rows, {"Link": ", ".join(links)} if links else {}

    def read_rows(self, statement: Select[Any]) -> tuple[list[Any], dict[str, str]]:
        """`read` of an ordered query's rows."""
        return self.read(
            lambda limit, offset: list(db.session.scalars(statement.limit(limit).offset(offset)))
        )


def _page_url(limit: int, offset: int) -> str:
    """This request's path and query with another window."""
    args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
    return f"{request.path}?{urlencode({**args, 'limit': limit, 'offset': offset})}"


def read_query(model: type[M]) -> M:
    """The query string as `model`: values are text, blanks around them dropped, and an
    empty value is absent."""
    data = {k: v.strip() for k, v in request.args.items() if k and v.strip()}
    return validate(model, data, form=True)


def answer(model: type[S], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` as `model` documents it, ready for `jsonify`: an answer built through its model
    cannot drift from the document (a key the model does not name is kept as it is)."""
    return model.model_validate(data).model_dump(mode="json", by_alias=True, exclude_unset=True)


def validate(model: type[M], data: Mapping[str, Any], *, form: bool = False) -> M:
    """`data` as `model`, or 422 naming every bad field (the first one in `field`); `form`:
    the values are a form's text."""
    try:
        return model.model_validate(data, context={"form": form})
    except ValidationError as exc:
        raise field_errors(exc) from None


def field_errors(exc: ValidationError) -> ValidationFailed:
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = field_name(error["loc"])
        errors.setdefault(name, _message(name, error))
    errors.pop("", None)
    if not errors:
        return ValidationFailed(None, _message("", exc.errors(include_url=False)[0]))
    return FieldErrors(errors)


def field_name(loc: tuple[int | str, ...]) -> str:
    """`("consent", "days")` → `consent.days`; `("categories", 0)` → `categories[0]`."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name = f"{name}.{part}" if name else str(part)
    return name


def _message(name: str, error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _("请填写 %(name)s", name=name)
    if kind in {"string_type", "string_unicode"}:
        return _("%(name)s 应为字符串", name=name)
    if kind.startswith("int_"):
        return _("%(name)s 应为整数", name=name)
    if kind.startswith("decimal_") or kind.startswith("float_"):
        return _("%(name)s 应为数字", name=name)
    if kind.startswith("bool_"):
        return _("%(name)s 应为 true 或 false", name=name)
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("%(name)s 应为日期 YYYY-MM-DD", name=name)
    if kind in {"enum", "literal_error"}:
        return _("%(name)s 应为以下之一：%(all)s", name=name, all=ctx.get("expected", ""))
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("%(name)s 应为 JSON 对象", name=name)
    if kind == "list_type":
        return _("%(name)s 应为列表", name=name)
    if kind == "string_too_long":
        return _("%(name)s 最多 %(n)d 个字符", name=name, n=ctx.get("max_length", 0))
    if kind in {"greater_than_equal", "greater_than"}:
        return _("%(name)s 不能小于 %(n)s", name=name, n=ctx.get("ge", ctx.get("gt")))
    if kind in {"less_than_equal", "less_than"}:
        return _("%(name)s 不能大于 %(n)s", name=name, n=ctx.get("le", ctx.get("lt")))
    return _("%(name)s 的值无效", name=name)
