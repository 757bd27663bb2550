"""POST /api/v1/ingest/<source>: records or a file, answered with the summary."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.extensions import db
from app.ingest.models import ImportBatch, TaxRating
from tests.ingest.conftest import csv_text, grant


def _admin_token(factories):
    admin = factories.user("admin")
    token = factories.token(admin)
    db.session.commit()
    return admin, token


def test_push_records_answers_the_summary(api, factories):
    admin, token = _admin_token(factories)
    enterprise = factories.enterprise()
    grant(enterprise, ["tax_ratings"])
    db.session.commit()
    records = [
        {"uscc": enterprise.uscc, "year": 2023, "grade": "A"},
        {"统一社会信用代码": enterprise.uscc, "评价年度": "2024年", "纳税信用级别": "Z"},
    ]
    response = api.post("/api/v1/ingest/tax_ratings", json={"records": records}, token=token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["source"], body["inserted"], body["rejected"]) == ("tax_ratings", 1, 1)
    assert body["rejections"][0]["row"] == 2 and body["rejections"][0]["column"] == "grade"
    batch = db.session.get(ImportBatch, body["batch_id"])
    assert (batch.origin, batch.user_id, batch.status) == ("push", admin.id, "succeeded")
    assert db.session.scalar(select(TaxRating.grade)) == "A"


def test_push_a_file(api, factories):
    _admin, token = _admin_token(factories)
    enterprise = factories.enterprise()
    grant(enterprise, ["tax_ratings"])
    db.session.commit()
    data = csv_text(
        ["统一社会信用代码", "评价年度", "纳税信用级别"], [[enterprise.uscc, "2023", "M"]]
    )
    response = api.client.post(
        "/api/v1/ingest/tax_ratings",
        data={"file": (io.BytesIO(data.encode("gb18030")), "ratings.csv")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inserted"] == 1
    assert db.session.get(ImportBatch, response.get_json()["batch_id"]).filename == "ratings.csv"


def test_without_token_401_and_non_admin_403(api, factories):
    response = api.post("/api/v1/ingest/tax_ratings", json={"records": []})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_missing"
    officer = factories.user("bank_officer")
    token = factories.token(officer)
    db.session.commit()
    response = api.post("/api/v1/ingest/tax_ratings", json={"records": []}, token=token)
    assert response.status_code == 403
    assert db.session.scalars(select(ImportBatch)).all() == []


def test_unusable_input_422_unknown_source_404(api, factories):
    _admin, token = _admin_token(factories)
    response = api.post(
        "/api/v1/ingest/tax_ratings", json={"records": [{"uscc": "x", "year": "2023"}]}, token=token
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "missing_column" and "grade" in error["message"]
    assert db.session.scalars(select(TaxRating)).all() == []

    response = api.post("/api/v1/ingest/loans", json={"records": []}, token=token)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_source"

    response = api.post("/api/v1/ingest/tax_ratings", json={"rows": []}, token=token)
    assert response.status_code == 422

    response = api.client.post(
        "/api/v1/ingest/tax_ratings",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unsupported_type"


def test_the_route_is_in_the_openapi_document(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/ingest/{source}"]["post"]
    assert operation["x-roles"] == ["admin"]
