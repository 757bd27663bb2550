"""The enterprise's records and objections, the operator's queue and decision; every role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.disputes import services
from app.disputes.models import Dispute
from app.extensions import db
from app.ingest.models import RecordHistory, TaxPayment
from tests.conftest import CSRF_RE, WebClient


def _client(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.login(user)
    return client


def _open(web, path):
    """GET a page and keep its CSRF token for the next POST."""
    response = web.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    if match:
        web._csrf = match.group(1)
    return response


def _file_path(source, record):
    return f"/enterprise/records/{source}/{record.id}/dispute"


def _dispute(world, record=None, source="tax_payments"):
    dispute = services.file_dispute(
        world.enterprise.id, source, (record or world.unpaid_tax).id,
        reason="该月税款已缴清", user_id=world.owner.id)  # fmt: skip
    db.session.commit()
    return dispute


# --- the enterprise ----------------------------------------------------------------------


def test_records_page_lists_own_records_per_source_with_a_button(app, world):
    web = _client(app, world.owner)
    page = web.get("/enterprise/records?source=tax_payments").get_data(as_text=True)
    assert "2026-04" in page and "¥1,200.50" in page and "增值税" in page  # money one way
    assert _file_path("tax_payments", world.unpaid_tax) in page
    theirs = world.record(TaxPayment, world.other, period="2026-04")
    assert _file_path("tax_payments", theirs) not in page
    credit = web.get("/enterprise/records").get_data(as_text=True)  # public credit first
    assert "陕市监罚〔2026〕12号" in credit and "行政处罚" in credit
    assert "陕市监罚〔2026〕99号" not in credit  # the other enterprise's
    assert 'href="/enterprise/records"' in credit and 'href="/enterprise/disputes"' in credit
    assert web.get("/enterprise/records?source=enterprises").status_code == 404


def test_filing_from_the_page(app, world):
    web = _client(app, world.owner)
    path = _file_path("tax_payments", world.unpaid_tax)
    form = _open(web, path)
    assert form.status_code == 200 and "¥800.00" in form.get_data(as_text=True)
    response = web.post(path, {"reason": "已于5月12日缴清", "field": "paid_on",
                               "evidence": "完税证明 No.1"})  # fmt: skip
    assert response.status_code == 302
    dispute = db.session.scalars(select(Dispute)).one()
    assert (dispute.reason, dispute.field, dispute.filed_by_id) == (
        "已于5月12日缴清", "paid_on", world.owner.id)  # fmt: skip
    detail = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "已于5月12日缴清" in detail and "处理中" in detail
    assert dispute.deadline.isoformat() in detail
    records = web.get("/enterprise/records?source=tax_payments").get_data(as_text=True)
    assert records.count("提出异议</a>") == 1  # the disputed row has a status, not a button
    mine = web.get("/enterprise/disputes").get_data(as_text=True)
    assert "处理中" in mine and "剩 1 个工作日" in mine


def test_a_refused_form_keeps_what_was_typed(app, world):
    web = _client(app, world.owner)
    path = _file_path("tax_payments", world.unpaid_tax)
    _open(web, path)
    response = web.post(path, {"reason": "", "evidence": "银行回单 8848"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请填写异议理由" in page and "银行回单 8848" in page
    too_long = web.post(path, {"reason": "长" * 2001, "evidence": ""})
    assert too_long.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_a_second_objection_from_the_page_is_409_and_keeps_the_text(app, world):
    web = _client(app, world.owner)
    path = _file_path("tax_payments", world.unpaid_tax)
    _open(web, path)
    assert web.post(path, {"reason": "第一次"}).status_code == 302
    response = web.post(path, {"reason": "第二次的理由"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "已有一项正在处理的异议" in page
    assert "第二次的理由" not in page  # the page now shows the open dispute instead of a form
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_filing_without_csrf_is_refused(app, world):
    web = _client(app, world.owner)
    response = web.post(_file_path("tax_payments", world.unpaid_tax), {"reason": "x"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_another_enterprises_record_and_dispute_are_404(app, world):
    theirs = world.record(TaxPayment, world.other, period="2026-04")
    dispute = services.file_dispute(world.other.id, "tax_payments", theirs.id, reason="x",
                                    user_id=world.other_owner.id)  # fmt: skip
    db.session.commit()
    web = _client(app, world.owner)
    assert web.get(_file_path("tax_payments", theirs)).status_code == 404
    _open(web, "/enterprise/records")
    assert web.post(_file_path("tax_payments", theirs), {"reason": "x"}).status_code == 404
    assert web.get(f"/enterprise/disputes/{dispute.id}").status_code == 404
    assert "渭河" not in web.get("/enterprise/disputes").get_data(as_text=True)


# --- the operator ------------------------------------------------------------------------


def test_queue_shows_days_left_and_highlights_the_overdue(app, world):
    late = _dispute(world, world.bill, "utility_bills")
    late.deadline = date(2026, 1, 5)
    _dispute(world)
    db.session.commit()
    web = _client(app, world.admin)
    page = web.get("/admin/disputes").get_data(as_text=True)
    assert "badge-err" in page and "已逾期" in page and "剩 1 个工作日" in page
    assert page.index(f'/admin/disputes/{late.id}"') < page.index("剩 1 个工作日")
    assert "秦岭异议测试有限公司" in page
    assert 'href="/admin/disputes"' in page  # nav
    assert web.get("/admin/disputes?status=bogus").status_code == 404
    assert "没有符合条件的异议" in web.get("/admin/disputes?status=upheld").get_data(as_text=True)


def test_dispute_page_shows_record_history_and_events_then_corrects(app, world):
    dispute = _dispute(world)
    web = _client(app, world.admin)
    path = f"/admin/disputes/{dispute.id}"
    page = _open(web, path).get_data(as_text=True)
    assert "该月税款已缴清" in page and "¥800.00" in page and "该记录没有被更正过" in page
    assert 'name="value_amount"' in page and 'value="800.00"' in page
    response = web.post(path, {"outcome": "corrected", "note": "凭完税证明更正",
                               "value_amount": "800.00", "value_due_on": "2026-05-15",
                               "value_paid_on": "2026-05-12"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).status == "corrected"
    assert world.unpaid_tax.paid_on == date(2026, 5, 12)
    assert db.session.get(Dispute, dispute.id).corrected_values == {"paid_on": "2026-05-12"}
    after = web.get(path).get_data(as_text=True)
    assert "已更正" in after and "凭完税证明更正" in after and "被替换时间" in after
    assert 'name="outcome"' not in after  # no form on a resolved dispute
    assert db.session.scalar(select(func.count()).select_from(RecordHistory)) == 1
    assert web.post(path, {"outcome": "upheld", "note": "x"}).status_code == 409


def test_a_bad_resolution_keeps_what_was_typed(app, world):
    dispute = _dispute(world)
    web = _client(app, world.admin)
    path = f"/admin/disputes/{dispute.id}"
    _open(web, path)
    no_note = web.post(path, {"outcome": "withdrawn", "note": ""})
    assert no_note.status_code == 422 and "请填写处理说明" in no_note.get_data(as_text=True)
    bad = web.post(path, {"outcome": "corrected", "note": "更正金额",
                          "value_amount": "-12", "value_due_on": "2026-05-15"})  # fmt: skip
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'value="-12"' in page and "更正金额" in page
    unchanged = web.post(path, {"outcome": "corrected", "note": "无改动",
                                "value_amount": "800.00", "value_due_on": "2026-05-15"})  # fmt: skip
    assert unchanged.status_code == 422 and "请填写更正后的值" in unchanged.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).status == "open"
    assert world.unpaid_tax.amount == Decimal("800.00")


def test_upheld_and_withdrawn_from_the_page(app, world):
    upheld, withdrawn = _dispute(world), _dispute(world, world.penalty, "public_credit")
    web = _client(app, world.admin)
    _open(web, f"/admin/disputes/{upheld.id}")
    assert web.post(f"/admin/disputes/{upheld.id}",
                    {"outcome": "upheld", "note": "记录无误"}).status_code == 302  # fmt: skip
    assert web.post(f"/admin/disputes/{withdrawn.id}",
                    {"outcome": "withdrawn", "note": "处罚已撤销"}).status_code == 302  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Dispute, upheld.id).status == "upheld"
    assert db.session.get(Dispute, withdrawn.id).status == "withdrawn"
    owner = _client(app, world.owner)
    mine = owner.get("/enterprise/disputes").get_data(as_text=True)
    assert "维持原记录" in mine and "记录已撤销" in mine
    credit = owner.get("/enterprise/records").get_data(as_text=True)
    assert "记录已撤销" in credit  # the enterprise still sees it, marked
    assert "处罚已撤销" in owner.get(f"/enterprise/disputes/{withdrawn.id}").get_data(as_text=True)


# --- every role on every page --------------------------------------------------------------

PAGES = [
    ("/enterprise/records", Role.ENTERPRISE),
    ("/enterprise/records/tax_payments/{record}/dispute", Role.ENTERPRISE),
    ("/enterprise/disputes", Role.ENTERPRISE),
    ("/enterprise/disputes/{dispute}", Role.ENTERPRISE),
    ("/admin/disputes", Role.ADMIN),
    ("/admin/disputes/{dispute}", Role.ADMIN),
]


def _as(app, world, login_as, role) -> WebClient:
    if role == Role.ENTERPRISE:
        return _client(app, world.owner)
    if role == Role.ADMIN:
        return _client(app, world.admin)
    return login_as(role)[0]


@pytest.mark.parametrize(("path", "allowed"), PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_each_page_is_for_its_role_only(app, world, login_as, role, path, allowed):
    dispute = _dispute(world)
    path = path.format(record=world.unpaid_tax.id, dispute=dispute.id)
    web = _as(app, world, login_as, role)
    assert web.get(path).status_code == (200 if role == allowed else 403)


POSTS = [
    ("/enterprise/records/tax_payments/{record}/dispute", Role.ENTERPRISE),
    ("/admin/disputes/{dispute}", Role.ADMIN),
]


@pytest.mark.parametrize(("path", "allowed"), POSTS)
@pytest.mark.parametrize("role", [r for r in Role if r != Role.ENTERPRISE])
def test_other_roles_cannot_post(app, world, login_as, role, path, allowed):
    """Filing is the enterprise's (409 here: already open), deciding the operator's."""
    dispute = _dispute(world)
    web = _as(app, world, login_as, role)
    _open(web, "/")
    path = path.format(record=world.unpaid_tax.id, dispute=dispute.id)
    response = web.post(path, {"reason": "x", "outcome": "withdrawn", "note": "x"})
    assert response.status_code == (302 if role == allowed else 403)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1
    expected = "withdrawn" if role == allowed == Role.ADMIN else "open"
    assert db.session.get(Dispute, dispute.id).status == expected


@pytest.mark.parametrize("path", [p for p, _r in PAGES])
def test_anonymous_is_sent_to_login(web, world, path):
    response = web.get(path.format(record=1, dispute=1))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
