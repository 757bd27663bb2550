"""Credit repair: applying (evidence checked by content, nothing kept from a refusal), the
working-day deadlines across holidays, deciding, and a repaired record gone from every
reader at once."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.disputes.records import own_records
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.facts import services as facts
from app.ingest.models import PublicCreditRecord
from app.ingest.services import ingest_records
from app.profiles.services import latest_profile
from app.repairs import services
from app.repairs.models import Repair, RepairFile
from app.util import SHANGHAI
from tests.consent.test_guard import grant_query
from tests.repairs import files

PENALTY_REF = "陕市监罚〔2026〕12号"  # the world's penalty: 一般, 2026-03-05 (repairable 06-05)


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


def _record(world, ref=PENALTY_REF, enterprise=None) -> PublicCreditRecord:
    return world.record(PublicCreditRecord, enterprise, ref_no=ref)


def _black_list(uscc, ref="黑名单-2024", decided_on="2024-12-01"):
    ingest_records(
        "public_credit",
        [{"uscc": uscc, "category": "严重失信", "ref_no": ref, "authority": "陕西省发展改革委",
          "decided_on": decided_on, "content": "拒不履行"}],
        origin="push",
    )  # fmt: skip


class Upload:
    """What the services take from a request: a name, a declared type, a stream."""

    def __init__(self, data: bytes, filename: str, mimetype: str = ""):
        self.filename, self.mimetype, self.stream = filename, mimetype, BytesIO(data)


def _apply(world, record=None, *, uploads=None, now=None, **kw):
    kw.setdefault("statement", "罚款已于 2026-03-20 缴清，已按要求补报年报")
    kw.setdefault("commitment_version", 1)
    return services.apply(
        world.enterprise.id,
        (record or _record(world)).id,
        files=uploads if uploads is not None else [Upload(files.pdf(), "完税证明.pdf")],
        user_id=world.owner.id,
        now=now,
        **kw,
    )


def _decide(world, repair, outcome, note="经核实", **kw):
    return services.decide(repair.id, outcome, user_id=world.admin.id, note=note, **kw)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _nothing_kept(folder: Path) -> bool:
    kept = list(folder.rglob("*")) if folder.exists() else []
    return not kept and db.session.scalar(select(func.count()).select_from(Repair)) == 0


# --- applying ----------------------------------------------------------------------------


def test_an_application_through_the_api(api, world, factories, evidence_dir):
    token = factories.token(world.owner)
    db.session.commit()
    record = _record(world)
    response = api.post(
        "/api/v1/me/repairs",
        token=token,
        data={"record_id": str(record.id), "statement": "罚款已缴清", "commitment_version": "1",
              "evidence": [(BytesIO(files.pdf()), "receipt.pdf"),
                           (BytesIO(files.jpeg()), "photo.JPG", "image/jpeg"),
                           (BytesIO(files.png()), "scan.png")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["record_id"], body["status"]) == (record.id, "pending")
    assert body["deadline"] == "2026-11-23"  # Wed 18 + 3 working days (Thu, Fri, Mon)
    assert body["working_days_left"] == 3 and body["overdue"] is False
    assert [f["content_type"] for f in body["files"]] == [
        "application/pdf", "image/jpeg", "image/png"
    ]  # fmt: skip
    kept = sorted(p.name for p in evidence_dir.iterdir())
    assert len(kept) == 3 and not any("receipt" in name for name in kept)
    stored = db.session.scalars(select(RepairFile).order_by(RepairFile.id)).all()
    assert (evidence_dir / stored[0].stored_name).read_bytes() == files.pdf()
    repair = db.session.get(Repair, body["id"])
    assert repair.commitment_sha256 == services.current_commitment("zh").sha256
    listed = api.get("/api/v1/me/repairs", token=token).get_json()
    assert [r["id"] for r in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: Upload(files.png(), "证明.pdf"), "file_type_mismatch"),  # a PNG named .pdf
        (lambda: Upload(files.pdf(), "证明.pdf", "image/png"), "file_type_mismatch"),
        (lambda: Upload(b"<html>not a pdf</html>", "证明.pdf"), "unsupported_file"),
        (lambda: Upload(b"MZ\x90\x00" + b"\x00" * 60, "证明.png"), "unsupported_file"),
        (lambda: Upload(b"", "证明.pdf"), "empty_file"),
        (lambda: Upload(files.pdf() + b"\x00" * 2048, "证明.pdf"), "file_too_large"),
    ],
)
def test_files_that_lie_are_empty_or_too_large_are_refused_and_nothing_kept(
    app, world, evidence_dir, monkeypatch, upload, code
):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_MB", 2 / 1024)  # 2 KB
    good = Upload(files.jpeg(), "ok.jpg")  # checked first and fine: still not kept
    with pytest.raises(ValidationFailed) as refused:
        _apply(world, uploads=[good, upload()])
    assert refused.value.code == code and refused.value.field == "evidence"
    assert "证明." in refused.value.message  # names the file
    db.session.rollback()
    assert _nothing_kept(evidence_dir)


def test_the_api_refuses_a_lying_file_with_a_clear_message(api, world, factories, evidence_dir):
    token = factories.token(world.owner)
    db.session.commit()
    response = api.post(
        "/api/v1/me/repairs",
        token=token,
        data={"record_id": str(_record(world).id), "statement": "已缴清", "commitment_version": "1",
              "evidence": [(BytesIO(files.png()), "invoice.pdf")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("file_type_mismatch", "evidence")
    assert "invoice.pdf" in error["message"]
    assert _nothing_kept(evidence_dir)


def test_no_file_no_statement_or_an_old_commitment_is_refused(world, evidence_dir):
    with pytest.raises(ValidationFailed) as missing:
        _apply(world, uploads=[])
    assert missing.value.field == "evidence"
    with pytest.raises(ValidationFailed) as silent:
        _apply(world, statement="  ")
    assert silent.value.field == "statement"
    services.publish_commitment("新版承诺书正文", title="信用承诺书")
    with pytest.raises(Conflict) as stale:
        _apply(world, commitment_version=1)
    assert stale.value.code == "stale_commitment"
    assert _apply(world, commitment_version=2).commitment_version == 2


def test_not_before_the_minimum_period_and_only_for_shown_graded_records(world, evidence_dir):
    ingest_records(
        "public_credit",
        [{"uscc": world.enterprise.uscc, "category": "行政处罚", "ref_no": "新罚-1",
          "authority": "西安市税务局", "decided_on": "2026-10-01", "severity": "一般"}],
        origin="push",
    )  # fmt: skip
    recent = _record(world, "新罚-1")
    with pytest.raises(Conflict) as early:
        _apply(world, recent)
    assert "2027-01-01" in early.value.message
    # the first day it may: the minimum period's anniversary
    assert _apply(world, recent, now=_at("2027-01-01T09:00")).status == "pending"
    with pytest.raises(Conflict):  # a licence is not graded
        _apply(world, _record(world, "许可-001"))
    with pytest.raises(NotFound):  # another enterprise's penalty
        _apply(world, _record(world, "陕市监罚〔2026〕99号", world.other))
    with pytest.raises(Forbidden):
        services.apply(world.other.id, _record(world, "陕市监罚〔2026〕99号", world.other).id,
                       statement="x", commitment_version=1, files=[], user_id=world.owner.id)  # fmt: skip


def test_one_standing_application_per_record(world, evidence_dir):
    first = _apply(world)
    with pytest.raises(Conflict):
        _apply(world)
    _decide(world, first, "rejected", note="缴款凭证与处罚决定不符")
    again = _apply(world)  # after a rejection the enterprise may try again
    _decide(world, again, "approved")
    with pytest.raises(Conflict) as repaired:
        _apply(world)
    assert "已完成" in repaired.value.message


# --- deadlines in working days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("filed", "deadline", "extended"),
    [
        # Spring Festival 2026: off 15–23 Feb, Sat 14 and Sat 28 Feb worked (调休)
        ("2026-02-13T16:00", date(2026, 2, 25), date(2026, 2, 28)),
        # National Day 2026: off 1–7 Oct, Sat 10 Oct worked
        ("2026-09-30T10:00", date(2026, 10, 10), date(2026, 10, 14)),
    ],
)
def test_deadlines_count_chinese_working_days(world, evidence_dir, filed, deadline, extended):
    _black_list(world.enterprise.uscc)  # serious: repairable from 2025-12-01
    record = _record(world, "黑名单-2024")
    repair = _apply(world, record, now=_at(filed))
    assert repair.deadline == deadline
    _decide(world, repair, "extended", note="需向认定机关核实", now=_at(filed))
    db.session.refresh(repair)
    assert (repair.status, repair.deadline, repair.extension_note) == (
        "extended", extended, "需向认定机关核实"
    )  # fmt: skip
    with pytest.raises(Conflict) as twice:
        _decide(world, repair, "extended")
    assert twice.value.code == "already_extended"


def test_the_queue_puts_the_overdue_first(world, evidence_dir, _clock):
    _black_list(world.enterprise.uscc)
    late = _apply(world, _record(world, "黑名单-2024"), now=_at("2026-11-09T10:00"))
    fresh = _apply(world)
    assert late.deadline == date(2026, 11, 12)
    assert [r.id for r in services.list_repairs(pending=True)] == [late.id, fresh.id]
    assert services.is_overdue(late) and services.working_days_left(late) == -4
    assert not services.is_overdue(fresh)
    # Every status: the open ones by deadline, then the decided ones newest first (one
    # ORDER BY, so that the list pages in SQL).
    _black_list(world.enterprise.uscc, ref="黑名单-2023")
    decided = _apply(world, _record(world, "黑名单-2023"), now=_at("2026-11-02T10:00"))
    _decide(world, decided, "rejected", note="材料不全")
    _decide(world, late, "rejected", note="材料不全")
    assert [r.id for r in services.list_repairs()] == [fresh.id, late.id, decided.id]
    assert [r.id for r in services.list_repairs(limit=2)] == [fresh.id, late.id]


# --- deciding ----------------------------------------------------------------------------


def test_an_approved_record_is_gone_from_the_bank_the_score_and_the_facts_at_once(
    api, world, bank, evidence_dir
):
    the_bank, _officer, token = bank
    _black_list(world.enterprise.uscc)
    grant_query(world.enterprise, the_bank, ["public_credit"])
    db.session.commit()
    path = f"/api/v1/enterprises/{world.enterprise.uscc}/profile"
    before = api.get(path, token=token).get_json()
    refs = {r["ref_no"] for r in before["sections"]["public_credit"]["records"]}
    assert {PENALTY_REF, "黑名单-2024"} <= refs and before["facts"]["black_listed"] is True
    assert latest_profile(world.enterprise.id).features["penalties_minor"] == 1

    penalty_repair = _apply(world)
    black_repair = _apply(world, _record(world, "黑名单-2024"))
    _decide(world, penalty_repair, "approved")
    approved = _decide(world, black_repair, "approved", note="已履行全部义务")
    db.session.commit()
    assert (approved.status, approved.repaired_on) == ("approved", date(2026, 11, 18))

    after = api.get(path, token=token).get_json()
    refs = {r["ref_no"] for r in after["sections"]["public_credit"]["records"]}
    assert PENALTY_REF not in refs and "黑名单-2024" not in refs and "许可-001" in refs
    assert after["facts"]["black_listed"] is False  # what matching reads
    assert not facts.facts_of(world.enterprise.id).black_listed
    profile = latest_profile(world.enterprise.id)
    assert profile.trigger == "repair"
    assert (profile.features["penalties_minor"], profile.features["black_listed"]) == (0, False)
    # the enterprise still sees its records, marked
    rows = {r.id: r for r in own_records(world.enterprise.id, "public_credit")}
    mine = rows[_record(world).id]
    assert (mine.shown, mine.repaired, mine.publicity) == (False, True, "repaired")
    assert services.repaired_ids([_record(world).id]) == {_record(world).id}


def test_a_rejection_carries_its_reason_and_only_the_operator_decides(world, evidence_dir):
    repair = _apply(world)
    with pytest.raises(Forbidden):
        services.decide(repair.id, "approved", user_id=world.owner.id, note="自己批准")
    with pytest.raises(ValidationFailed):
        _decide(world, repair, "approved", note=" ")
    with pytest.raises(ValidationFailed):
        _decide(world, repair, "maybe")
    rejected = _decide(world, repair, "rejected", note="未提供缴款凭证原件")
    assert (rejected.status, rejected.decision_note) == ("rejected", "未提供缴款凭证原件")
    assert [e.to_status for e in rejected.events] == ["pending", "rejected"]
    with pytest.raises(Conflict):
        _decide(world, repair, "approved")
    assert _record(world).id not in services.repaired_ids([_record(world).id])


def test_the_operator_decides_through_the_api(api, world, factories, evidence_dir):
    repair = _apply(world)
    admin_token = factories.token(world.admin)
    owner_token = factories.token(world.owner)
    db.session.commit()
    path = f"/api/v1/repairs/{repair.id}/decide"
    assert (
        api.post(path, {"outcome": "approved", "note": "x"}, token=owner_token).status_code == 403
    )
    assert api.post(path, {"outcome": "approved"}, token=admin_token).status_code == 422
    decided = api.post(path, {"outcome": "approved", "note": "凭证齐全"}, token=admin_token)
    assert decided.status_code == 200
    assert (decided.get_json()["status"], decided.get_json()["repaired_on"]) == (
        "approved", "2026-11-18"
    )  # fmt: skip
    again = api.post(path, {"outcome": "rejected", "note": "x"}, token=admin_token)
    assert again.status_code == 409
    queue = api.get("/api/v1/repairs?pending=1", token=admin_token).get_json()
    assert queue == []


def test_the_cli_lists_and_decides(app, world, evidence_dir):
    repair = _apply(world)
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["repairs", "list", "--pending"])
    assert listed.exit_code == 0 and f"{repair.id}\tpending\t2026-11-23 (+3)" in listed.output
    missing = runner.invoke(args=["repairs", "decide", str(repair.id), "--note", "x"])
    assert missing.exit_code != 0
    decided = runner.invoke(
        args=["repairs", "decide", str(repair.id), "--approve", "--note", "凭证齐全",
              "--by", world.admin.email]
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert "approved" in decided.output
    db.session.expire_all()
    assert db.session.get(Repair, repair.id).decided_by_id == world.admin.id
    twice = runner.invoke(args=["repairs", "decide", str(repair.id), "--reject", "--note", "x"])
    assert twice.exit_code != 0 and "已处理" in twice.output


# --- the pages -------------------------------------------------------------------------


def test_the_whole_journey_on_the_web(app, world, bank, api, factories, evidence_dir):
    from tests.disputes.test_pages import _client, _open

    the_bank, _officer, token = bank
    grant_query(world.enterprise, the_bank, ["public_credit"])
    db.session.commit()
    record = _record(world)
    owner = _client(app, world.owner)
    records_page = owner.get("/enterprise/records?source=public_credit").get_data(as_text=True)
    apply_path = f"/enterprise/records/public_credit/{record.id}/repair"
    assert apply_path in records_page
    page = _open(owner, apply_path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "信用修复免费" in text and "信用承诺书" in text

    refused = owner.post(apply_path, {"statement": "已缴清", "commitment_version": "1",
                                      "agree": "y", "evidence": (BytesIO(files.png()), "x.pdf")},
                         content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422 and "内容与其类型不符" in refused.get_data(as_text=True)
    assert "已缴清" in refused.get_data(as_text=True)  # what was typed is kept
    done = owner.post(apply_path, {"statement": "罚款已缴清", "commitment_version": "1",
                                   "agree": "y", "evidence": (BytesIO(files.pdf()), "回单.pdf")},
                      content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    repair = db.session.scalars(select(Repair)).one()

    stored = repair.files[0]
    file_path = f"/repairs/{repair.id}/files/{stored.id}"
    with owner.get(file_path) as download:
        assert download.status_code == 200 and download.data == files.pdf()
        assert download.mimetype == "application/pdf"
    assert _client(app, world.other_owner).get(file_path).status_code == 404
    officer = factories.user(Role.BANK_OFFICER, bank=the_bank)
    db.session.commit()
    assert _client(app, officer).get(file_path).status_code == 403

    admin = _client(app, world.admin)
    queue = admin.get("/admin/repairs").get_data(as_text=True)
    assert f"/admin/repairs/{repair.id}" in queue and "剩 3 个工作日" in queue
    with admin.get(file_path) as download:
        assert download.status_code == 200
    _open(admin, f"/admin/repairs/{repair.id}")
    decided = admin.post(f"/admin/repairs/{repair.id}", {"outcome": "approved",
                                                          "note": "凭证齐全"})  # fmt: skip
    assert decided.status_code == 302
    body = api.get(f"/api/v1/enterprises/{world.enterprise.uscc}/profile", token=token).get_json()
    assert PENALTY_REF not in {r["ref_no"] for r in body["sections"]["public_credit"]["records"]}
    mine = owner.get(f"/enterprise/repairs/{repair.id}").get_data(as_text=True)
    assert "已修复" in mine and "凭证齐全" in mine


# --- the banks that read it are told ---------------------------------------------------


def test_exactly_the_banks_that_read_the_record_in_six_months_are_notified(
    api, world, factories, evidence_dir, _clock
):
    from app.notifications.models import Notification

    record = _record(world)
    record.created_at = _at("2026-03-06T09:00")  # imported the day after the decision
    banks = {}
    for code in ("READER", "OLDREADER", "TAXONLY", "NOGRANT", "OTHERFIRM"):
        bank = factories.bank(code=code)
        banks[code] = (bank, factories.token(factories.user(Role.BANK_OFFICER, bank=bank)))
    db.session.commit()

    def read(code, categories, at, enterprise=None):
        _clock.move_to(_at(at))
        bank, token = banks[code]
        if categories:
            grant_query(enterprise or world.enterprise, bank, categories)
            db.session.commit()
        who = (enterprise or world.enterprise).uscc
        api.get(f"/api/v1/enterprises/{who}/profile", token=token)

    read("OLDREADER", ["public_credit"], "2026-05-10T10:00")  # over six months ago
    read("READER", ["public_credit", "tax_payments"], "2026-06-01T10:00")
    read("TAXONLY", ["tax_payments"], "2026-10-01T10:00")  # never given public credit
    read("NOGRANT", None, "2026-10-02T10:00")  # denied
    read("OTHERFIRM", ["public_credit"], "2026-10-03T10:00", world.other)
    _clock.move_to(_at("2026-11-18T10:00"))

    repair = _apply(world)
    _decide(world, repair, "approved")
    told = db.session.scalars(
        select(Notification.bank_id).where(Notification.kind == "record_repaired")
    ).all()
    assert told == [banks["READER"][0].id]
    note = db.session.scalars(
        select(Notification).where(Notification.kind == "record_repaired")
    ).one()
    assert PENALTY_REF in note.text and world.enterprise.uscc in note.link
    # The notice names the enterprise to the bank: it is in the enterprise's access log.
    from app.audit.models import AccessLogEntry

    logged = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.reason == "repair_notice")
    ).all()
    assert [(e.bank_id, e.enterprise_id, e.channel, e.outcome) for e in logged] == [
        (banks["READER"][0].id, world.enterprise.id, "notice", "allowed")
    ]
    own = db.session.scalars(
        select(Notification).where(Notification.enterprise_id == world.enterprise.id)
    ).all()
    assert [n.kind for n in own] == ["repair_approved"]


def test_the_enterprise_is_told_of_a_rejection_with_its_reason(world, evidence_dir):
    from app.notifications.models import Notification

    _decide(world, _apply(world), "rejected", note="凭证模糊，请重新上传")
    note = db.session.scalars(
        select(Notification).where(Notification.enterprise_id == world.enterprise.id)
    ).one()
    assert note.kind == "repair_rejected" and "凭证模糊" in note.text
    assert not db.session.scalars(
        select(Notification).where(Notification.kind == "record_repaired")
    ).all()


def test_the_openapi_document_describes_the_upload(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    apply = spec["paths"]["/api/v1/me/repairs"]["post"]
    assert apply["x-roles"] == ["enterprise"]
    ref = apply["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    body = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert body["required"] == ["record_id", "statement", "commitment_version", "evidence"]
    decide = spec["paths"]["/api/v1/repairs/{repair_id}/decide"]["post"]
    assert decide["x-roles"] == ["admin"]
    assert "application/json" in decide["requestBody"]["content"]
