"""Verification by the operator's review of the business licence: upload (checked by content),
the queue with deadlines in working days, the decision on web and CLI, who may see the files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.identity import review
from app.identity.models import AccountEvent, VerificationReview
from app.util import to_local
from app.workcalendar.services import add_working_days
from tests.conftest import WebClient
from tests.repairs.files import pdf, png


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


@pytest.fixture
def claimant(app, factories):
    user = factories.user(verified=False)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    return client, user


def _submit(client, *, licence=None, letter=None, legal_rep=False):
    data = {"licence": (io.BytesIO(licence if licence is not None else pdf()), "执照.pdf")}
    if letter is not None:
        data["authorization"] = (io.BytesIO(letter), "授权委托书.png")
    if legal_rep:
        data["legal_rep"] = "y"
    return client.post("/account/verification/review", data, content_type="multipart/form-data")


def _kinds(user) -> list[str]:
    query = select(AccountEvent.kind).where(AccountEvent.user_id == user.id)
    return list(db.session.scalars(query.order_by(AccountEvent.id)))


def test_a_file_that_claims_to_be_a_pdf_but_is_not_is_refused(claimant, evidence_dir):
    client, _user = claimant
    answer = _submit(client, licence=b"MZ\x90\x00 not a pdf at all", legal_rep=True)
    assert answer.status_code == 422
    assert "不是 PDF、JPEG 或 PNG 文件" in answer.get_data(as_text=True)
    assert db.session.scalar(select(VerificationReview)) is None
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())


def test_without_being_the_legal_representative_a_letter_is_required(claimant):
    client, user = claimant
    answer = _submit(client)
    assert answer.status_code == 422
    assert "请上传证明材料" in answer.get_data(as_text=True)
    assert _submit(client, letter=png()).status_code == 303
    found = db.session.scalar(
        select(VerificationReview).where(VerificationReview.user_id == user.id)
    )
    assert sorted(f.kind for f in found.files) == ["authorization", "licence"]


def test_approval_verifies_and_the_queue_shows_working_days_left(claimant, login_as):
    client, user = claimant
    assert _submit(client, legal_rep=True).status_code == 303
    db.session.refresh(user)
    assert user.verification_state == "pending"
    page = client.get("/account/verification").get_data(as_text=True)
    assert "平台将在" in page  # the pending notice with its deadline
    assert client.post("/account/verification/review").status_code == 422  # not twice

    operator, _admin = login_as("admin")
    queue = operator.get("/admin/verifications").get_data(as_text=True)
    # Due three Chinese working days after the day it was submitted (the frozen today).
    assert user.enterprise.name in queue and "剩余 3 个工作日" in queue
    found = db.session.scalar(select(VerificationReview))
    due = to_local(found.due_at).date()  # type: ignore[union-attr]
    assert due == add_working_days(local_today(), 3)
    file_id = found.files[0].id
    served = operator.get(f"/verification-reviews/{found.id}/files/{file_id}")
    assert served.status_code == 200 and served.data == pdf()
    served.close()
    own = client.get(f"/verification-reviews/{found.id}/files/{file_id}")
    assert own.status_code == 200
    own.close()

    refused = operator.post(f"/admin/verifications/{found.id}", {"decision": "reject"})
    assert refused.status_code == 422 and "请填写不通过的理由" in refused.get_data(as_text=True)
    done = operator.post(f"/admin/verifications/{found.id}", {"decision": "approve"})
    assert done.status_code == 303
    db.session.refresh(user)
    assert (user.verification_state, user.verification_method) == ("verified", "review")
    assert _kinds(user)[-2:] == ["evidence_submitted", "verified"]


def test_another_enterprise_cannot_see_the_files(claimant, login_as):
    client, _user = claimant
    _submit(client, legal_rep=True)
    found = db.session.scalar(select(VerificationReview))
    stranger, _other = login_as("enterprise")
    url = f"/verification-reviews/{found.id}/files/{found.files[0].id}"
    assert stranger.get(url).status_code == 404
    officer, _o = login_as("bank_officer")
    assert officer.get(url).status_code == 403
    # Another claimant of the same code is not yet the enterprise.
    rival, _r = login_as("enterprise", enterprise=_user.enterprise, verified=False)
    assert rival.get(url).status_code == 404


def test_rejection_with_a_reason_is_shown_and_allows_another_try(claimant, app):
    client, user = claimant
    _submit(client, legal_rep=True)
    found = db.session.scalar(select(VerificationReview))
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["verifications", "list", "--pending"])
    assert (
        listed.exit_code == 0
        and f"{found.id}\tpending" in listed.output
        and "+3wd" in listed.output
    )
    bad = runner.invoke(args=["verifications", "decide", str(found.id), "--reject"])
    assert bad.exit_code == 1 and "请填写不通过的理由" in bad.output
    result = runner.invoke(
        args=["verifications", "decide", str(found.id), "--reject", "--reason", "执照照片不清晰"]
    )
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.verification_state == "rejected"
    page = client.get("/account/verification").get_data(as_text=True)
    assert "执照照片不清晰" in page
    assert _submit(client, legal_rep=True).status_code == 303  # a new try
    again = runner.invoke(args=["verifications", "decide", str(found.id), "--approve"])
    assert again.exit_code == 1 and "已处理" in again.output
    assert runner.invoke(args=["verifications", "list", "--pending"]).output.count("pending") == 1


def test_the_deadline_counts_working_days_only(app, factories, _clock):
    _clock.move_to("2026-09-30T10:00:00+08:00")  # before the National Day week
    user = factories.user(verified=False)

    class Upload:
        def __init__(self, name, data):
            self.filename, self.mimetype, self.stream = name, "application/pdf", io.BytesIO(data)

    found = review.submit(user, licence=[Upload("l.pdf", pdf())], authorization=[], legal_rep=True)
    local = found.due_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.date().isoformat() == "2026-10-10"  # Oct 1–7 off; Sat 10-10 is worked
