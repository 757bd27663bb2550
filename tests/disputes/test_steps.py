"""Objections that serve the enterprise: evidence files checked by content, the step of
forwarding to the authority that holds the record with its own clock, a notification at
every step, and a bank that sees 有异议 while it is open and 已更正 after a correction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.bankview.profile import read_section
from app.disputes import services
from app.disputes.models import Dispute, DisputeFile
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.notifications.models import Notification
from tests.disputes.test_pages import _client, _file_path, _open
from tests.repairs import files


class Upload:
    """What Werkzeug hands the service: a name, a declared type and a stream."""

    def __init__(self, filename: str, data: bytes, mimetype: str | None = None):
        self.filename, self.mimetype, self.stream = filename, mimetype, io.BytesIO(data)


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


def _notes(enterprise_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.enterprise_id == enterprise_id)
            .order_by(Notification.id)
        )
    )


def test_evidence_files_are_kept_and_a_lying_file_keeps_nothing(world, evidence_dir):
    with pytest.raises(ValidationFailed) as refused:
        services.file_dispute(
            world.enterprise.id, "tax_payments", world.unpaid_tax.id, reason="已缴清",
            files=[Upload("凭证.pdf", files.pdf()), Upload("截图.png", b"<html>not a png")],
            user_id=world.owner.id,
        )  # fmt: skip
    assert refused.value.field == "files"
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())
    assert db.session.scalar(select(Dispute.id)) is None

    dispute = services.file_dispute(
        world.enterprise.id, "tax_payments", world.unpaid_tax.id, reason="已缴清",
        files=[Upload("完税证明.pdf", files.pdf(), "application/pdf"),
               Upload("回单.png", files.png())],
        user_id=world.owner.id,
    )  # fmt: skip
    kept = db.session.scalars(select(DisputeFile).order_by(DisputeFile.id)).all()
    assert [(f.filename, f.content_type) for f in kept] == [
        ("完税证明.pdf", "application/pdf"), ("回单.png", "image/png"),
    ]  # fmt: skip
    assert sorted(p.read_bytes() for p in evidence_dir.iterdir()) == sorted(
        [files.pdf(), files.png()]
    )
    assert all(f.stored_name != f.filename for f in kept)  # never the enterprise's name
    assert _notes(world.enterprise.id) == [
        f"您对记录提出的异议 #{dispute.id} 已受理，平台将在 {dispute.deadline.isoformat()} "
        "前转交来源机关核查或直接处理"
    ]


def test_forward_then_correct_tells_the_enterprise_and_marks_the_bank_view(world):
    dispute = services.file_dispute(
        world.enterprise.id, "public_credit", world.penalty.id, reason="罚款已撤销",
        user_id=world.owner.id,
    )  # fmt: skip
    marks = services.dispute_marks(world.enterprise.uscc, ["public_credit"])
    [row] = [r for r in read_section("public_credit", world.enterprise, marks["public_credit"])["records"]
             if r["ref_no"] == world.penalty.ref_no]  # fmt: skip
    assert row.get("disputed") is True and "corrected" not in row

    forwarded = services.forward(dispute.id, user_id=world.admin.id, authority=None)
    assert forwarded.forwarded_to == world.penalty.authority  # the authority on the record
    assert forwarded.status == "open" and forwarded.forwarded
    with pytest.raises(Conflict):
        services.forward(dispute.id, user_id=world.admin.id, authority="another")
    assert "已转交" in forwarded.events[-1].note

    services.resolve(
        dispute.id, "corrected", user_id=world.admin.id, note="来源机关已更正罚款金额",
        corrected_values={"penalty_amount": "0"},
    )  # fmt: skip
    marks = services.dispute_marks(world.enterprise.uscc, ["public_credit"])
    [row] = [r for r in read_section("public_credit", world.enterprise, marks["public_credit"])["records"]
             if r["ref_no"] == world.penalty.ref_no]  # fmt: skip
    assert row.get("corrected") is True and "disputed" not in row
    notes = _notes(world.enterprise.id)
    assert len(notes) == 3
    assert f"已转交 {world.penalty.authority} 核查" in notes[1]
    assert "记录已更正" in notes[2] and "来源机关已更正罚款金额" in notes[2]
    with pytest.raises(Conflict):
        services.forward(dispute.id, user_id=world.admin.id, authority="x")


def test_filing_with_a_file_from_the_page_and_forwarding_from_the_queue(app, world, evidence_dir):
    web = _client(app, world.owner)
    path = _file_path("tax_payments", world.unpaid_tax)
    _open(web, path)
    bad = web.post(path, {"reason": "已缴清", "files": (io.BytesIO(b"MZ\x90"), "凭证.pdf")},
                   content_type="multipart/form-data")  # fmt: skip
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "已缴清" in page and "PDF" in page
    ok = web.post(path, {"reason": "已缴清", "files": (io.BytesIO(files.pdf()), "凭证.pdf")},
                  content_type="multipart/form-data")  # fmt: skip
    assert ok.status_code == 302
    dispute = db.session.scalars(select(Dispute)).one()
    detail = web.get(f"/enterprise/disputes/{dispute.id}").get_data(as_text=True)
    assert "凭证.pdf" in detail and "待转交来源机关" in detail
    [kept] = dispute.files
    download = web.get(f"/disputes/{dispute.id}/files/{kept.id}")
    assert download.status_code == 200 and download.data == files.pdf()
    download.close()
    other = _client(app, world.other_owner)
    assert other.get(f"/disputes/{dispute.id}/files/{kept.id}").status_code == 404

    admin = _client(app, world.admin)
    _open(admin, f"/admin/disputes/{dispute.id}")
    empty = admin.post(f"/admin/disputes/{dispute.id}/forward", {"authority": ""})
    assert empty.status_code == 422 and "请填写来源机关" in empty.get_data(as_text=True)
    done = admin.post(f"/admin/disputes/{dispute.id}/forward",
                      {"authority": "国家税务总局西安市税务局", "note": "请核实缴款日期"})  # fmt: skip
    assert done.status_code == 302
    page = admin.get(f"/admin/disputes/{dispute.id}").get_data(as_text=True)
    assert "已转交 国家税务总局西安市税务局 核查" in page and "来源机关答复期限" in page
    served = admin.get(f"/disputes/{dispute.id}/files/{kept.id}")
    assert served.status_code == 200
    served.close()


def test_api_files_with_evidence_and_forwards(app, world, api, factories, evidence_dir):
    token = factories.token(world.owner)
    response = api.client.post(
        "/api/v1/me/disputes",
        data={"source": "tax_payments", "record_id": str(world.unpaid_tax.id), "reason": "已缴清",
              "files": (io.BytesIO(files.jpeg()), "receipt.jpg")},
        headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json
    body = response.json
    assert [f["content_type"] for f in body["files"]] == ["image/jpeg"]
    assert body["forwarded_to"] is None
    admin_token = factories.token(world.admin)
    unnamed = api.post(f"/api/v1/disputes/{body['id']}/forward", json={}, token=admin_token)
    assert unnamed.status_code == 422  # a tax payment names no authority: the operator must
    assert unnamed.json["error"]["field"] == "authority"
    forwarded = api.post(f"/api/v1/disputes/{body['id']}/forward",
                         json={"authority": "国家税务总局西安市税务局", "note": "请核实"},
                         token=admin_token)  # fmt: skip
    assert forwarded.status_code == 200
    assert forwarded.json["forwarded_to"] == "国家税务总局西安市税务局"
    again = api.post(f"/api/v1/disputes/{body['id']}/forward", json={}, token=admin_token)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_forwarded"
    assert api.post(f"/api/v1/disputes/{body['id']}/forward", json={},
                    token=token).status_code == 403  # fmt: skip
