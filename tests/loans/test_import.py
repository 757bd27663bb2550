"""The `loan_status` source: a bank's monthly file of its loans' status through the import
path, judged by the rules of a single report (app.loans.services.report_problems)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.auth.models import Role
from app.clock import local_today
from app.errors import Conflict
from app.extensions import db
from app.ingest.models import ImportBatch
from app.ingest.services import UnusableInput, ingest_file
from app.loans import services
from app.loans.models import Loan, LoanReport
from tests.funds.conftest import Loans
from tests.ingest.conftest import csv_text

HEADER = ["贷款编号", "报告日期", "贷款状态", "逾期天数", "贷款余额"]


@pytest.fixture
def loans(factories) -> Loans:
    return Loans(factories)


@pytest.fixture
def write(tmp_path):
    def _write(rows, name="loans.csv", encoding="gb18030", header=HEADER):
        path = tmp_path / name
        path.write_bytes(csv_text(header, rows).encode(encoding))
        return path

    return _write


def _reports(loan) -> int:
    return db.session.scalar(
        select(func.count()).select_from(LoanReport).where(LoanReport.loan_id == loan.id)
    )


def _day(days_ago: int = 0) -> str:
    return (local_today() - timedelta(days=days_ago)).isoformat()


def test_a_gb18030_file_loads_its_good_rows_and_names_each_bad_one(loans, write):
    earlier = local_today() - timedelta(days=60)
    good, overdue, settled, wrong = (loans.disbursed(on=earlier) for _ in range(4))
    path = write([
        [good.id, _day(1), "正常", "", "190000"],
        [overdue.id, _day(1), "逾期", "15", "200,000.00"],
        [settled.id, _day(1), "结清", "0", "0"],
        [wrong.id, _day(1), "逾期", "0", "300000"],  # 3: no days past due, above principal
        [wrong.id + 1000, _day(1), "正常", "0", "1"],  # no such loan
        ["x", "2026-13-01", "迟延", "", ""],  # nothing readable
    ])  # fmt: skip
    summary = ingest_file("loan_status", path, user_id=loans.officer.id)
    db.session.commit()
    assert (summary.rows, summary.inserted, summary.updated, summary.unchanged) == (6, 3, 0, 0)
    assert summary.rejected == 3
    found = {(r["row"], r["column"], r["code"]) for r in summary.rejections}
    assert found >= {
        (5, "逾期天数", "days_past_due_missing"),
        (5, "贷款余额", "outstanding_range"),
        (6, "贷款编号", "loan_not_found"),
        (7, "贷款编号", "invalid_number"),
        (7, "报告日期", "invalid_period"),
        (7, "贷款状态", "not_in_list"),
        (7, "贷款余额", "missing_value"),
    }
    reasons = {r["code"]: r["reason"] for r in summary.rejections}
    assert reasons["days_past_due_missing"] == "逾期的贷款应填写逾期天数"
    for loan in (good, overdue, settled, wrong):
        db.session.refresh(loan)
    assert (good.status, good.outstanding, good.as_of) == (
        "normal", Decimal("190000.00"), local_today() - timedelta(days=1))  # fmt: skip
    assert (overdue.status, overdue.days_past_due) == ("overdue", 15)
    assert settled.status == "settled" and settled.outstanding == 0
    assert wrong.status == "normal" and wrong.as_of is None and _reports(wrong) == 0
    report = db.session.scalars(select(LoanReport).where(LoanReport.loan_id == good.id)).one()
    assert report.origin == "file" and report.user_id == loans.officer.id


def test_an_xlsx_file_with_month_and_chinese_labels(loans, tmp_path):
    loan = loans.disbursed(on=local_today() - timedelta(days=70))
    book = Workbook()
    sheet = book.active
    sheet.append(["loan_id", "报告月份", "status", "days_past_due", "outstanding"])
    month = local_today().replace(day=1) - timedelta(days=1)  # last month's end
    sheet.append([loan.id, month.strftime("%Y-%m"), "次级", 95, 150000.5])
    sheet.append([loan.id, month.strftime("%Y-%m") + "-01", "SPECIAL_MENTION", None, 190000])
    path = tmp_path / "loans.xlsx"
    book.save(path)
    summary = ingest_file("loan_status", path, user_id=loans.officer.id)
    db.session.commit()
    assert (summary.inserted, summary.rejected) == (2, 0), summary.rejections
    db.session.refresh(loan)  # the month's end is the newer day: the loan's status
    assert (loan.status, loan.days_past_due, loan.as_of) == ("non_performing", 95, month)
    assert loan.outstanding == Decimal("150000.50") and _reports(loan) == 2


def test_another_banks_loan_is_rejected_like_a_missing_one(loans, factories, write):
    theirs = loans.disbursed(on=local_today() - timedelta(days=30))
    other_bank = factories.bank()
    other = factories.user(Role.BANK_OFFICER, bank=other_bank)
    path = write([[theirs.id, _day(1), "逾期", "5", "100"], [10**6, _day(1), "正常", "", "1"]])
    summary = ingest_file("loan_status", path, user_id=other.id)
    db.session.commit()
    assert summary.rejected == 2 and summary.inserted == 0
    first, second = summary.rejections
    assert (first["code"], first["reason"]) == (second["code"], second["reason"])
    assert first["code"] == "loan_not_found"
    db.session.refresh(theirs)
    assert theirs.status == "normal" and _reports(theirs) == 0
    # the operator's command line may report any bank's loan
    summary = ingest_file("loan_status", path)
    assert summary.inserted == 1 and summary.rejected == 1


def test_closed_loans_and_future_days_are_rejected_naming_the_rule(loans, write):
    loan = loans.disbursed(on=local_today() - timedelta(days=60))
    fresh = loans.disbursed(on=local_today() - timedelta(days=2))
    services.report_status(loan.id, loans.officer, as_of=_day(10), status="settled",
                           outstanding="0")  # fmt: skip
    db.session.commit()
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    path = write([
        [loan.id, _day(5), "正常", "0", "100"],  # after the settlement
        [loan.id, _day(20), "关注", "0", "100"],  # before it: history only
        [fresh.id, tomorrow, "正常", "", "1"],
        [fresh.id, _day(3), "正常", "", "1"],  # before the disbursement
    ])  # fmt: skip
    summary = ingest_file("loan_status", path, user_id=loans.officer.id)
    db.session.commit()
    codes = {(r["row"], r["code"]) for r in summary.rejections}
    assert codes == {(2, "loan_closed"), (4, "future_as_of"), (5, "before_disbursement")}
    assert summary.inserted == 1
    db.session.refresh(loan)
    assert loan.status == "settled" and _reports(loan) == 2
    # the web form and the API say the same of the same report
    with pytest.raises(Conflict):
        services.report_status(loan.id, loans.officer, as_of=_day(5), status="normal",
                               outstanding="100")  # fmt: skip


def test_rows_of_one_loan_apply_in_day_order(loans, write):
    loan = loans.disbursed(on=local_today() - timedelta(days=90))
    path = write([
        [loan.id, _day(1), "正常", "", "100"],  # after the settlement below: closed
        [loan.id, _day(30), "结清", "", "0"],
        [loan.id, _day(60), "逾期", "10", "150000"],
    ])  # fmt: skip
    summary = ingest_file("loan_status", path, user_id=loans.officer.id)
    db.session.commit()
    assert summary.inserted == 2 and [r["code"] for r in summary.rejections] == ["loan_closed"]
    db.session.refresh(loan)
    assert (loan.status, loan.as_of) == ("settled", local_today() - timedelta(days=30))


def test_reimporting_the_same_file_counts_unchanged_and_a_correction_is_updated(loans, write):
    loan = loans.disbursed(on=local_today() - timedelta(days=60))
    rows = [[loan.id, _day(1), "逾期", "12", "180000"], [loan.id, _day(1), "逾期", "12", "180000"]]
    first = ingest_file("loan_status", write(rows), user_id=loans.officer.id)
    db.session.commit()
    assert (first.inserted, first.unchanged) == (1, 1)
    again = ingest_file("loan_status", write(rows), user_id=loans.officer.id)
    db.session.commit()
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert _reports(loan) == 1
    corrected = ingest_file(
        "loan_status", write([[loan.id, _day(1), "逾期", "13", "180000"]]),
        user_id=loans.officer.id,
    )  # fmt: skip
    db.session.commit()
    assert (corrected.inserted, corrected.updated) == (0, 1) and _reports(loan) == 2
    db.session.refresh(loan)
    assert loan.days_past_due == 13
    conflicting = ingest_file(
        "loan_status",
        write([[loan.id, _day(2), "正常", "", "1"], [loan.id, _day(2), "关注", "", "1"]]),
        user_id=loans.officer.id,
    )
    assert [r["code"] for r in conflicting.rejections] == ["duplicate_conflict"] * 2
    history = db.session.scalars(
        select(ImportBatch).where(ImportBatch.source == "loan_status").order_by(ImportBatch.id)
    ).all()
    assert [b.inserted for b in history] == [1, 0, 0, 0] and history[2].updated == 1


def test_a_file_without_a_required_column_writes_nothing(loans, write):
    loan = loans.disbursed(on=local_today() - timedelta(days=30))
    path = write([[loan.id, _day(1), "正常"]], header=HEADER[:3])
    db.session.commit()  # a failed batch rolls back the caller's transaction
    with pytest.raises(UnusableInput):
        ingest_file("loan_status", path, user_id=loans.officer.id)
    assert db.session.scalar(select(func.count()).select_from(LoanReport)) == 0
    failed = db.session.scalars(select(ImportBatch)).one()
    assert failed.status == "failed" and failed.source == "loan_status"
    assert db.session.get(Loan, loan.id).as_of is None


def _client(app, user):
    from tests.conftest import WebClient

    client = WebClient(app.test_client())
    client.login(user)
    return client


def test_the_bank_uploads_its_file_and_only_it_sees_the_batch(app, loans, factories):
    loan = loans.disbursed(on=local_today() - timedelta(days=30))
    other = factories.user(Role.BANK_OFFICER, bank=factories.bank())
    owner = factories.user(Role.ENTERPRISE, enterprise=loan.enterprise)
    db.session.commit()
    bank = _client(app, loans.officer)
    assert bank.get("/bank/loans/import").status_code == 200
    rows = [[loan.id, _day(1), "逾期", "0", "1"], [loan.id, _day(2), "关注", "", "150000"]]
    data = csv_text(HEADER, rows).encode("gb18030")
    r = bank.post("/bank/loans/import", {"file": (io.BytesIO(data), "十一月.csv")},
                  content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    page = bank.get(r.headers["Location"]).get_data(as_text=True)
    assert "逾期的贷款应填写逾期天数" in page and "十一月.csv" in page
    assert "十一月.csv" in bank.get("/bank/loans/import").get_data(as_text=True)
    db.session.refresh(loan)
    assert loan.status == "special_mention"
    # another bank sees neither the batch nor its name; the enterprise has no such page
    stranger = _client(app, other)
    assert stranger.get(r.headers["Location"]).status_code == 404
    assert "十一月.csv" not in stranger.get("/bank/loans/import").get_data(as_text=True)
    assert _client(app, owner).get("/bank/loans/import").status_code == 403
    # a file of another type is refused with the form shown again, nothing written
    r = bank.post("/bank/loans/import", {"file": (io.BytesIO(b"x"), "loans.txt")},
                  content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 422 and "只接受 CSV 或 XLSX 文件" in r.get_data(as_text=True)


def test_the_operator_sees_loan_status_batches_in_the_history(app, loans, factories, write):
    loan = loans.disbursed(on=local_today() - timedelta(days=30))
    admin = factories.user(Role.ADMIN)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["ingest", "file", "loan_status", str(write([[loan.id, _day(1), "正常", "", "5"]]))]
    )
    assert result.exit_code == 0, result.output
    assert "1 inserted" in result.output
    page = _client(app, admin).get("/admin/ingest/batches").get_data(as_text=True)
    assert "贷款状态报送" in page and "loans.csv" in page


def test_the_bank_pushes_records_or_a_file_through_the_api(api, loans, factories):
    mine = loans.disbursed(on=local_today() - timedelta(days=30))
    theirs = Loans(factories).disbursed(on=local_today() - timedelta(days=30))
    token = factories.token(loans.officer)
    owner = factories.token(factories.user(Role.ENTERPRISE, enterprise=mine.enterprise))
    db.session.commit()
    records = [
        {"loan_id": mine.id, "as_of": _day(1), "status": "逾期", "days_past_due": 3,
         "outstanding": "199000"},
        {"贷款编号": theirs.id, "报告日期": _day(1), "贷款状态": "正常", "贷款余额": "1"},
    ]  # fmt: skip
    r = api.post("/api/v1/loans/status", json={"records": records}, token=token)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["source"], body["inserted"], body["rejected"]) == ("loan_status", 1, 1)
    assert (body["rejections"][0]["row"], body["rejections"][0]["code"]) == (2, "loan_not_found")
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert (mine.status, mine.days_past_due) == ("overdue", 3) and theirs.as_of is None
    data = csv_text(HEADER, [[mine.id, _day(1), "逾期", "3", "199000"]]).encode("gb18030")
    r = api.post("/api/v1/loans/status", data={"file": (io.BytesIO(data), "m.csv")},
                 token=token, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200 and r.get_json()["unchanged"] == 1
    r = api.post("/api/v1/loans/status", json={"rows": []}, token=token)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "records"
    assert api.post("/api/v1/loans/status", json={"records": records},
                    token=owner).status_code == 403  # fmt: skip
    assert api.post("/api/v1/loans/status", json={"records": records}).status_code == 401
