"""The validation layer (app/api/schemas.py): one model validates a body and is its schema."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import Field

from app.api.schemas import (
    Body,
    Day,
    Integer,
    Money,
    Query,
    Whole,
    choice,
    parse,
    parse_form,
    read_query,
    validate,
)
from app.auth.models import Role
from app.disputes.models import SOURCES
from app.errors import FieldErrors, ValidationFailed
from tests.products.helpers import DEFAULTS


class Inner(Body):
    days: Integer


class Sample(Body):
    source: choice(SOURCES)  # type: ignore[valid-type]
    count: Integer
    term: Whole = 1
    amount: Money | None = None
    inner: Inner | None = None
    tags: list[str] = Field(default_factory=list)


@pytest.fixture
def enterprise_token(factories):
    return factories.token(factories.user(Role.ENTERPRISE))


@pytest.fixture
def bank_admin_token(factories):
    return factories.token(factories.user(Role.BANK_ADMIN, bank=factories.bank()))


def _refused(response, field: str, status: int = 422) -> dict:
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("validation_failed", field)
    assert field in error["message"] and field in error["fields"]
    return error


def _dispute(api, token, **fields):
    body = {"source": "public_credit", "record_id": 1, "reason": "不是我们的", **fields}
    return api.post("/api/v1/me/disputes", {k: v for k, v in body.items() if v is not ...},
                    token=token)  # fmt: skip


def test_a_wrong_type_is_422_naming_the_field(api, enterprise_token):
    _refused(_dispute(api, enterprise_token, reason=5), "reason")
    _refused(_dispute(api, enterprise_token, record_id="7"), "record_id")


def test_a_missing_required_field_is_422_naming_it(api, enterprise_token):
    _refused(_dispute(api, enterprise_token, reason=...), "reason")


def test_a_value_outside_a_closed_set_is_422_listing_the_set(api, enterprise_token):
    error = _refused(_dispute(api, enterprise_token, source="enterprises"), "source")
    assert all(source in error["message"] for source in SOURCES)


def test_an_unknown_field_is_ignored(api, bank_admin_token):
    response = api.post("/api/v1/products", {**DEFAULTS, "colour": "red"}, token=bank_admin_token)
    assert response.status_code == 201 and "colour" not in response.json


@pytest.mark.parametrize("body", [[], "text", 42, None])
def test_a_body_that_is_not_an_object_is_422_invalid_json(api, bank_admin_token, body):
    response = api.client.post(
        "/api/v1/products", data=json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {bank_admin_token}"},
    )  # fmt: skip
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_json"


def test_no_body_is_422_invalid_json_unless_empty_is_allowed(app):
    with app.test_request_context("/api/v1/x", method="POST"):
        with pytest.raises(ValidationFailed) as refused:
            parse(Sample)
        assert refused.value.code == "invalid_json" and refused.value.status == 422
        with pytest.raises(FieldErrors) as missing:
            parse(Sample, empty_ok=True)
        assert missing.value.field == "source"


def test_every_bad_field_is_named_the_first_in_field(app):
    with app.test_request_context("/api/v1/x"), pytest.raises(FieldErrors) as refused:
        validate(Sample, {"source": "x", "count": True, "inner": {"days": "3"},
                          "tags": ["a", 5], "amount": "12abc"})  # fmt: skip
    assert refused.value.field == "source"
    assert set(refused.value.errors) == {"source", "count", "inner.days", "tags[1]", "amount"}


def test_types_as_people_type_them(app):
    with app.test_request_context("/api/v1/x"):
        sample = validate(Sample, {"source": SOURCES[0], "count": 3, "term": "12",
                                   "amount": " 1,390,000.50 "})  # fmt: skip
    assert (sample.term, str(sample.amount)) == (12, "1390000.50")


def test_a_form_carries_integers_as_digits(app):
    form = {"source": SOURCES[0], "count": "7", "term": ""}
    with app.test_request_context("/api/v1/x", method="POST", data=form):
        sample = parse_form(Sample)
    assert (sample.count, sample.term) == (7, 1)  # an empty value is absent


def test_the_document_takes_the_models_as_components(api):
    spec = api.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    create = spec["paths"]["/api/v1/applications"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/NewApplication"}
    new = schemas["NewApplication"]
    assert set(new["required"]) == {"amount", "term_months", "purpose"}
    assert new["properties"]["consent"]["allOf"] == [
        {"$ref": "#/components/schemas/ApplicationConsent"}
    ]
    assert new["properties"]["consent"]["nullable"] is True
    text = json.dumps(spec)
    assert '"type": "null"' not in text and "$defs" not in text  # OpenAPI 3.0, refs hoisted


class Asked(Query):
    day: Day | None = None
    count: Integer = 1
    flag: bool = False


def test_a_query_string_is_text_trimmed_and_an_empty_value_is_absent(app):
    with app.test_request_context("/api/v1/x?day=%202026-01-05%20&count=7&flag=1&other=&day2="):
        asked = read_query(Asked)
    assert (asked.day, asked.count, asked.flag) == (date(2026, 1, 5), 7, True)
    with app.test_request_context("/api/v1/x?day=&count="):
        assert read_query(Asked) == Asked()


@pytest.mark.parametrize("day", ["1700000000", "20260105", "2026-01-05T00:00:00", "2026-02-30"])
def test_a_day_is_written_out_never_a_timestamp(app, day):
    context = app.test_request_context(f"/api/v1/x?day={day}&count=x")
    with context, pytest.raises(FieldErrors) as refused:
        read_query(Asked)
    assert refused.value.field == "day" and "YYYY-MM-DD" in refused.value.errors["day"]
    assert set(refused.value.errors) == {"day", "count"}
