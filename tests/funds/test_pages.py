"""The pages: the bank's loans (status, registration, claim, recovery), the enterprise's
loans, the office's funds, queue, decision and dashboard."""

from __future__ import annotations

from app.auth.models import Role
from app.clock import local_today
from app.extensions import db
from app.funds import services
from tests.conftest import WebClient


def _client(app, user) -> WebClient:
    client = WebClient(app.test_client())
    client.login(user)
    return client


def test_the_whole_journey_on_the_web(app, loans, factories):
    loan = loans.disbursed(amount="300000")
    db.session.commit()
    office = _client(app, loans.office)
    r = office.post("/office/funds", {
        "code": "web1", "name": "网页基金", "capital": "2000000", "share": "50",
        "cap_per_loan": "120000", "leverage": "10", "register_within_days": "30",
        "claim_after_days": "90", "decide_working_days": "10", "credit_only": "1",
        "sizes": ["small", "micro"]})  # fmt: skip
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    bank = _client(app, loans.officer)
    page = bank.get("/bank/loans").get_data(as_text=True)
    assert f"/bank/loans/{loan.id}" in page and "¥300,000.00" in page
    page = bank.get(f"/bank/loans/{loan.id}").get_data(as_text=True)
    assert "网页基金" in page and "仅限信用贷款" in page and "在 网页基金 备案" in page
    assert bank.post(f"/bank/loans/{loan.id}/register", {"fund": "WEB1"}).status_code == 303
    # a wrong report keeps what was typed and names the fields
    r = bank.post(f"/bank/loans/{loan.id}/status", {
        "as_of": local_today().isoformat(), "status": "overdue", "days_past_due": "0",
        "outstanding": "290000"})  # fmt: skip
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "逾期的贷款应填写逾期天数" in text and "290000" in text
    r = bank.post(f"/bank/loans/{loan.id}/status", {
        "as_of": local_today().isoformat(), "status": "non_performing", "days_past_due": "95",
        "outstanding": "290000"})  # fmt: skip
    assert r.status_code == 303
    r = bank.post(f"/bank/loans/{loan.id}/claim", {"loss_amount": "290000",
                                                   "evidence": "起诉书及执行裁定"})  # fmt: skip
    assert r.status_code == 303
    claim = services.claims(fund=services.get_fund("WEB1"))[0]
    page = office.get("/office/funds").get_data(as_text=True)
    assert f"/office/claims/{claim.id}" in page and "剩 10 个工作日" in page
    page = office.get(f"/office/claims/{claim.id}").get_data(as_text=True)
    assert "¥120,000.00" in page  # 50 % of 290,000 = 145,000, capped at 120,000
    r = office.post(f"/office/claims/{claim.id}", {"outcome": "rejected", "note": ""})
    assert r.status_code == 422 and "驳回时请说明理由" in r.get_data(as_text=True)
    r = office.post(f"/office/claims/{claim.id}", {"outcome": "approved", "note": "同意"})
    assert r.status_code == 303
    page = office.get("/office/funds/WEB1").get_data(as_text=True)
    assert "¥1,880,000.00" in page and "¥120,000.00" in page  # balance, paid
    r = bank.post(
        f"/bank/claims/{claim.id}/recover",
        {"amount": "29000", "recovered_on": local_today().isoformat()},
    )
    assert r.status_code == 303
    assert services.figures(services.get_fund("WEB1"))["recovered"] == 12000  # 120/290 of it
    owner = factories.user(Role.ENTERPRISE, enterprise=loan.enterprise)
    db.session.commit()
    mine = _client(app, owner)
    assert f"/loans/{loan.id}" in mine.get("/loans").get_data(as_text=True)
    page = mine.get(f"/loans/{loan.id}").get_data(as_text=True)
    assert "不良" in page and "还款计划" in page


def test_others_see_nothing_of_a_loan(app, loans, factories):
    loan = loans.disbursed()
    other_bank = factories.user(Role.BANK_OFFICER)
    stranger = factories.user(Role.ENTERPRISE)
    db.session.commit()
    assert _client(app, other_bank).get(f"/bank/loans/{loan.id}").status_code == 404
    assert _client(app, stranger).get(f"/loans/{loan.id}").status_code == 404
    assert _client(app, loans.officer).get("/office/funds").status_code == 403


def test_a_refused_fund_form_keeps_what_was_typed(app, loans):
    office = _client(app, loans.office)
    r = office.post(
        "/office/funds",
        {
            "code": "ok1",
            "name": "保留输入",
            "capital": "-5",
            "share": "50",
            "cap_per_loan": "1",
            "leverage": "2",
        },
    )
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "资金规模应为大于 0 的金额" in text and "保留输入" in text


def test_english_pages(app, loans):
    loans.disbursed()
    loans.fund("EN1")
    db.session.commit()
    office = _client(app, loans.office)
    office.post("/lang", {"locale": "en"})
    page = office.get("/office/funds").get_data(as_text=True)
    assert (
        "Risk-mitigation funds" in page
        and "Set up a fund" in page
        and "设立基金" not in page
        and "待决定" not in page
    )


def test_the_dashboard_exports_its_tables(app, loans):
    import io

    from openpyxl import load_workbook

    fund = loans.fund("EXP1")
    loan = loans.disbursed(amount="300000")
    services.register(fund.code, loan.application_id, loans.officer)
    db.session.commit()
    office = _client(app, loans.office)
    csv = office.get("/office/funds/EXP1/export.csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.status_code == 200 and "300000.00" in text and loans.bank.name in text
    xlsx = office.get("/office/funds/EXP1/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert loans.bank.name in values and "按月份" in values
    assert _client(app, loans.officer).get("/office/funds/EXP1/export.csv").status_code == 403


def test_the_banks_loans_come_a_page_at_a_time_and_only_the_page_is_looked_up(
    app, api, factories, loans
):
    """A bank's book grows without end: twenty loans a page, newest disbursement first, with
    a pager; the borrowers the guard looks up (and logs) are the page's, not the book's.
    Before, the page stopped silently at 500 loans and logged every one of them."""
    from sqlalchemy import func, select

    from app.audit.models import AccessLogEntry
    from app.paging import PER_PAGE as LOANS_PER_PAGE

    made = [loans.disbursed(amount=str(100000 + i)) for i in range(LOANS_PER_PAGE + 3)]
    db.session.commit()
    newest_first = sorted(made, key=lambda loan: (loan.disbursed_on, loan.id), reverse=True)
    bank = _client(app, loans.officer)

    def looked_up(path: str) -> tuple[str, set[int]]:
        mark = db.session.scalar(select(func.coalesce(func.max(AccessLogEntry.id), 0)))
        page = bank.get(path).get_data(as_text=True)
        rows = db.session.scalars(
            select(AccessLogEntry.enterprise_id).where(AccessLogEntry.id > mark)
        )
        return page, set(rows)

    first, logged = looked_up("/bank/loans")
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    assert logged == {loan.enterprise_id for loan in newest_first[:LOANS_PER_PAGE]}
    for loan in newest_first[:LOANS_PER_PAGE]:
        assert f"/bank/loans/{loan.id}" in first
    assert f'/bank/loans/{newest_first[-1].id}"' not in first

    second, logged = looked_up("/bank/loans?page=2")
    assert "第 2 / 2 页" in second and 'rel="prev"' in second
    assert logged == {loan.enterprise_id for loan in newest_first[LOANS_PER_PAGE:]}
    assert "第 2 / 2 页" in bank.get("/bank/loans?page=99").get_data(as_text=True)
    assert bank.get("/bank/loans?page=x").status_code == 200

    # The API as the access log reads: `limit` from `offset`, the same order.
    token = factories.token(loans.officer)
    db.session.commit()
    listed = api.get("/api/v1/loans?limit=5&offset=2", token=token).get_json()
    assert [loan["id"] for loan in listed] == [loan.id for loan in newest_first[2:7]]
    assert len(api.get("/api/v1/loans", token=token).get_json()) == len(made)
