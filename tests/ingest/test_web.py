"""Operator pages: upload, batch history, batch detail, rejections CSV, corrections."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.extensions import db
from app.ingest.models import ImportBatch
from tests.conftest import CSRF_RE
from tests.ingest.conftest import csv_text

HEADER = ["统一社会信用代码", "企业名称", "成立日期", "行政区划代码", "行业代码"]


def _upload(client, source, name, data):
    page = client.get("/admin/ingest/upload").get_data(as_text=True)
    match = CSRF_RE.search(page)
    form = {"source": source, "file": (io.BytesIO(data), name)}
    if match:  # non-admins get no form (403): post without a token, still 403
        form["csrf_token"] = match.group(1)
    return client.post("/admin/ingest/upload", form, csrf=False, content_type="multipart/form-data")


def test_admin_uploads_a_file_and_sees_the_batch(login_as, factories):
    client, admin = login_as("admin")
    rows = [
        [factories.uscc(), "一号公司", "2020-01-01", "610113", "C"],
        [factories.uscc(), "二号公司", "2020-01-01", "999999", "C"],
    ]
    db.session.commit()
    response = _upload(
        client, "enterprises", "企业名录.csv", csv_text(HEADER, rows).encode("utf-8-sig")
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "企业名录.csv" in page and "行政区划代码不在陕西省区划代码表中" in page
    assert "<dd>文件上传</dd>" in page and "<dd>file</dd>" not in page
    assert admin.email in page
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.inserted, batch.rejected, batch.user_id) == (1, 1, admin.id)
    assert len(batch.checksum) == 64

    history = client.get("/admin/ingest/batches").get_data(as_text=True)
    assert batch.checksum[:12] in history and "企业名录.csv" in history

    download = client.get(f"/admin/ingest/batches/{batch.id}/rejections.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.data.startswith(b"\xef\xbb\xbf")
    lines = download.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,code,value,reason_zh,reason_en"
    assert lines[1].startswith("3,行政区划代码,unknown_region,999999,")


def test_an_unusable_upload_keeps_the_form_and_says_why(login_as, factories):
    client, _admin = login_as("admin")
    data = csv_text(HEADER[:2], [[factories.uscc(), "一号公司"]]).encode()
    response = _upload(client, "enterprises", "bad.csv", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "缺少必填列" in page
    failed = db.session.scalar(select(ImportBatch))
    assert failed.status == "failed" and failed.rows == 0
    listing = client.get("/admin/ingest/batches").get_data(as_text=True)
    assert "bad.csv" in listing


def test_wrong_file_type_is_refused(login_as):
    client, _admin = login_as("admin")
    response = _upload(client, "enterprises", "notes.txt", b"hello")
    assert response.status_code == 422
    assert db.session.scalars(select(ImportBatch)).all() == []


def test_corrections_page_filters_by_uscc(login_as, factories, load):
    client, _admin = login_as("admin")
    enterprise = factories.enterprise()
    old_name = enterprise.name
    header = ["uscc", "name", "established_on", "region_code", "industry_code"]
    load("enterprises", header, [[enterprise.uscc, "新名字有限公司", "2015-06-01", "610113", "C"]])
    db.session.commit()
    page = client.get(f"/admin/ingest/history?uscc={enterprise.uscc}").get_data(as_text=True)
    assert old_name in page  # the old name is kept
    # in words, not the stored JSON: the column's heading, the source's name
    assert f"企业名称 {old_name}" in page and '{"' not in page and "企业登记信息" in page
    other = client.get(f"/admin/ingest/history?uscc={factories.uscc()}").get_data(as_text=True)
    assert old_name not in other


def test_non_admins_get_403(login_as):
    client, _user = login_as("bank_admin")
    for path in (
        "/admin/ingest/upload",
        "/admin/ingest/batches",
        "/admin/ingest/history",
        "/admin/ingest/batches/1",
        "/admin/ingest/batches/1/rejections.csv",
    ):
        assert client.get(path).status_code == 403
    assert _upload(client, "enterprises", "a.csv", b"uscc\n").status_code == 403


def test_missing_batch_404(login_as):
    client, _admin = login_as("admin")
    assert client.get("/admin/ingest/batches/999999").status_code == 404
