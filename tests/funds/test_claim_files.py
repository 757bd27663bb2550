"""Evidence files of a compensation claim: real files attached by the bank on the claim form,
checked by content (not by name), size-limited, kept outside the web root under a random
name, and served to the claiming bank and the financial office only."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import local_today
from app.extensions import db
from app.funds import services
from app.funds.models import Claim, ClaimFile
from app.loans import services as loans_services
from tests.conftest import WebClient
from tests.repairs import files


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


def _client(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.login(user)
    return client


@pytest.fixture
def claimable(loans):
    fund = loans.fund()
    loan = loans.disbursed(amount="200000")
    services.register(fund.code, loan.application_id, loans.officer)
    loans_services.report_status(loan.id, loans.officer, as_of=local_today(),
                                 status="non_performing", days_past_due=120,
                                 outstanding="200000")  # fmt: skip
    db.session.commit()
    return loan


def _fetch(client, url) -> tuple[int, bytes, str]:
    """(status, body, type) of a download, its file closed."""
    response = client.get(url)
    try:
        return response.status_code, response.data, response.mimetype
    finally:
        response.close()


def _file(data: bytes, name: str, content_type: str = "application/octet-stream"):
    return (io.BytesIO(data), name, content_type)


def test_files_are_kept_and_served_to_the_bank_and_the_office_only(
    app, loans, factories, claimable, evidence_dir
):
    bank = _client(app, loans.officer)
    pdf, png = files.pdf(), files.png()
    r = bank.post(f"/bank/loans/{claimable.id}/claim", {
        "loss_amount": "200000", "evidence": "起诉书与催收记录",
        "files": [_file(pdf, "起诉书.pdf", "application/pdf"), _file(png, "催收.png")],
    }, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 303, r.get_data(as_text=True)[:1500]
    claim = db.session.scalar(select(Claim).where(Claim.loan_id == claimable.id))
    assert [(f.filename, f.content_type, f.size) for f in claim.files] == [
        ("起诉书.pdf", "application/pdf", len(pdf)), ("催收.png", "image/png", len(png))]  # fmt: skip
    kept = sorted(p.name for p in evidence_dir.iterdir())
    assert kept == sorted(f.stored_name for f in claim.files)
    assert all("起诉书" not in name for name in kept)  # a random name, not the bank's
    assert (evidence_dir / claim.files[0].stored_name).read_bytes() == pdf
    url = f"/claims/{claim.id}/files/{claim.files[0].id}"
    page = bank.get(f"/bank/loans/{claimable.id}").get_data(as_text=True)
    assert url in page and "起诉书.pdf" in page
    assert _fetch(bank, url) == (200, pdf, "application/pdf")
    office = _client(app, loans.office)
    assert url in office.get(f"/office/claims/{claim.id}").get_data(as_text=True)
    assert _fetch(office, url)[1] == pdf

    # denial: another bank's officer and admin, the operator, the borrower, a stranger
    other_bank = factories.bank()
    others = [
        factories.user(Role.BANK_OFFICER, bank=other_bank),
        factories.user(Role.BANK_ADMIN, bank=other_bank),
        factories.user(Role.ADMIN),
        factories.user(Role.ENTERPRISE, enterprise=claimable.enterprise),
    ]
    db.session.commit()
    for user in others:
        status, body, _type = _fetch(_client(app, user), url)
        assert status in (403, 404) and body != pdf, user.role
    # a file id under another claim's number is not found either
    assert bank.get(f"/claims/{claim.id + 1}/files/{claim.files[0].id}").status_code == 404
    assert WebClient(app.test_client()).get(url).status_code in (302, 401)


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: _file(b"MZ\x90\x00 not a pdf", "起诉书.pdf", "application/pdf"), "不是 PDF、JPEG 或 PNG"),
    (lambda: _file(files.png(), "伪装.pdf", "application/pdf"), "内容与其类型不符"),
    (lambda: _file(b"", "空.pdf"), "是空的"),
    (lambda: _file(b"%PDF-" + b"0" * 4096, "大.pdf"), "超过"),
])  # fmt: skip
def test_a_wrong_file_is_refused_and_nothing_is_kept(app, loans, claimable, evidence_dir,
                                                      monkeypatch, upload, message):  # fmt: skip
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_MB", 0.002)  # 2 KB: no spooled upload
    bank = _client(app, loans.officer)
    r = bank.post(f"/bank/loans/{claimable.id}/claim", {
        "loss_amount": "200000", "evidence": "保留的说明", "files": [upload()],
    }, content_type="multipart/form-data")  # fmt: skip
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and message in text and "保留的说明" in text
    assert 'id="files-error"' in text
    assert db.session.scalar(select(Claim).where(Claim.loan_id == claimable.id)) is None
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())
    assert db.session.scalar(select(ClaimFile.id)) is None


def test_the_api_takes_evidence_files_and_serves_them_to_the_bank_and_the_office(
    app, loans, claimable, evidence_dir, api, factories
):
    other_bank = factories.bank("OTHERB")
    stranger = factories.user(Role.BANK_OFFICER, bank=other_bank)
    tokens = {who: factories.token(user) for who, user in (
        ("bank", loans.officer), ("office", loans.office), ("stranger", stranger),
        ("operator", factories.user(Role.ADMIN)),
    )}  # fmt: skip
    db.session.commit()
    pdf = files.pdf()
    r = api.post(
        "/api/v1/funds/XYD1/claims", token=tokens["bank"],
        data={"loan_id": str(claimable.id), "loss_amount": "200000", "evidence": "起诉书",
              "files": [_file(pdf, "起诉书.pdf", "application/pdf")]},
        content_type="multipart/form-data", json=None,
    )  # fmt: skip
    assert r.status_code == 201, r.get_json()
    claim = r.get_json()
    [listed] = claim["files"]
    assert (listed["filename"], listed["content_type"], listed["size"]) == (
        "起诉书.pdf",
        "application/pdf",
        len(pdf),
    )
    url = listed["url"]
    assert url == f"/api/v1/claims/{claim['id']}/files/{listed['id']}"
    for who in ("bank", "office"):
        status, body, mimetype = _fetch_api(api, url, tokens[who])
        assert (status, body, mimetype) == (200, pdf, "application/pdf")
    assert _fetch_api(api, url, tokens["stranger"])[0] == 404  # another bank's claim
    assert _fetch_api(api, url, tokens["operator"])[0] == 403  # sees claims, not their files
    seen = api.get(f"/api/v1/claims/{claim['id']}", token=tokens["operator"]).get_json()
    assert seen["files"] == []
    assert api.get(f"/api/v1/claims/{claim['id']}", token=tokens["office"]).get_json()["files"] == [
        listed
    ]


def test_the_api_refuses_a_disguised_file_and_keeps_nothing(
    loans, claimable, evidence_dir, api, factories
):
    token = factories.token(loans.officer)
    db.session.commit()
    r = api.post(
        "/api/v1/funds/XYD1/claims", token=token,
        data={"loan_id": str(claimable.id), "loss_amount": "200000", "evidence": "起诉书",
              "files": [_file(files.png(), "伪装.pdf", "application/pdf")]},
        content_type="multipart/form-data", json=None,
    )  # fmt: skip
    assert r.status_code == 422
    assert "files" in str(r.get_json()["error"]) and "内容与其类型不符" in str(r.get_json())
    assert db.session.scalar(select(Claim).where(Claim.loan_id == claimable.id)) is None
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())


def _fetch_api(api, url, token) -> tuple[int, bytes, str]:
    response = api.get(url, token=token)
    try:
        return response.status_code, response.data, response.mimetype
    finally:
        response.close()
