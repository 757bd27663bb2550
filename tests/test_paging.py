"""Lists that grow without end, a page at a time (`app.paging`): counted, clamped to the
pages there are, and read a page only; the pages show a pager that keeps their filter."""

from __future__ import annotations

import re

from app.auth.models import Role
from app.extensions import db
from app.i18n import later
from app.ingest.models import ImportBatch
from app.notifications import services as notifications
from app.paging import PER_PAGE, page_of, read_page


def test_page_of_clamps_to_the_pages_there_are():
    assert page_of(0, 1, 20) == (1, 1)  # nothing: one empty page
    assert page_of(41, 0, 20) == (1, 3)
    assert page_of(41, 3, 20) == (3, 3)
    assert page_of(41, 99, 20) == (3, 3)
    assert page_of(40, 99, 20) == (2, 2)


def test_a_page_reads_its_rows_of_the_ordered_list(app, factories):
    user = factories.user(Role.ENTERPRISE)
    made = [notifications.notify("x", later("第 %(n)s 条", n=i), user_id=user.id).id
            for i in range(PER_PAGE * 2 + 5)]  # fmt: skip
    db.session.commit()
    newest_first = made[::-1]
    with app.test_request_context("/notifications?page=2"):
        second = read_page(notifications.for_user(user))
    assert (second.page, second.pages, second.total) == (2, 3, len(made))
    assert [n.id for n in second.rows] == newest_first[PER_PAGE : PER_PAGE * 2]
    with app.test_request_context("/notifications?page=abc"):
        assert read_page(notifications.for_user(user)).page == 1
    last = read_page(notifications.for_user(user), page=99)
    assert last.page == 3 and [n.id for n in last.rows] == newest_first[PER_PAGE * 2 :]


def test_the_pages_show_a_pager_that_keeps_their_filter(login_as, factories):
    client, user = login_as(Role.ENTERPRISE)
    for i in range(PER_PAGE + 1):
        notifications.notify("x", later("第 %(n)s 条", n=i), user_id=user.id)
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "第 1 / 2 页" in page and 'href="/notifications?page=2"' in page
    assert "第 0 条" not in page  # the oldest, on page 2
    assert "第 0 条" in client.get("/notifications?page=2").get_data(as_text=True)

    operator, _admin = login_as(Role.ADMIN)
    for _ in range(PER_PAGE + 1):
        db.session.add(ImportBatch(source="tax_payments", status="succeeded"))
    db.session.add(ImportBatch(source="utility_bills", status="succeeded"))
    db.session.commit()
    batches = operator.get("/admin/ingest/batches?source=tax_payments").get_data(as_text=True)
    assert "第 1 / 2 页" in batches
    assert 'href="/admin/ingest/batches?page=2&amp;source=tax_payments"' in batches
    assert "纳税记录" in batches and ">tax_payments<" not in batches  # words, not the code
    other = operator.get("/admin/ingest/batches?source=utility_bills").get_data(as_text=True)
    assert not re.search(r'class="pager"', other)  # one page: no pager


def test_the_access_log_pages_without_counting(login_as, factories):
    """The enterprise's log grows with every look: its page reads one row past the page to
    know whether another follows, and says 第 N 页 without counting them all."""
    from app.audit import services as audit
    from app.audit.routes import ENTRIES_PER_PAGE

    client, owner = login_as(Role.ENTERPRISE)
    bank = factories.bank(code="PGLOG")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    for _ in range(ENTRIES_PER_PAGE + 1):
        audit.append(user_id=officer.id, bank_id=bank.id, enterprise_id=owner.enterprise_id,
                     outcome="denied", requested=["tax_payments"], reason="no_authorization",
                     endpoint="/t", channel="web", ip=None)  # fmt: skip
    db.session.commit()
    first = client.get("/enterprise/access-log?outcome=denied").get_data(as_text=True)
    assert "第 1 页" in first and "上一页" not in first
    assert 'href="/enterprise/access-log?page=2&amp;outcome=denied"' in first
    second = client.get("/enterprise/access-log?outcome=denied&page=2").get_data(as_text=True)
    assert "第 2 页" in second and "上一页" in second and "下一页" not in second
    assert second.count('<span class="badge badge-err">已拒绝</span>') == 1  # the 51st


def test_the_account_history_pages_past_its_newest(login_as):
    """The account history showed its newest 200 events and no more: every event is on a
    page, the oldest on the last."""
    from app.identity.models import EventKind
    from app.identity.services import record_event

    client, user = login_as(Role.ENTERPRISE)
    for i in range(PER_PAGE + 1):
        record_event(user, EventKind.LOGIN, f"记录-{i:02d}")
    db.session.commit()
    first = client.get("/account/history").get_data(as_text=True)
    assert 'href="/account/history?page=2"' in first
    assert f"记录-{PER_PAGE:02d}" in first and "记录-00" not in first
    last = client.get("/account/history?page=99").get_data(as_text=True)  # clamped: the last
    assert "记录-00" in last and "下一页" not in last


def test_the_operators_leads_page_one_row_per_account(login_as, factories):
    """The leads for a transfer read the newest 100 claim events and kept one per account:
    an account that proved a phone a hundred times hid every other lead. Each account is
    one row, every one on a page of its own pager (`claims_page`)."""
    from app.identity.models import EventKind
    from app.identity.services import record_event

    operator, _admin = login_as(Role.ADMIN)
    claimants = [factories.user(Role.ENTERPRISE, verified=False) for _ in range(PER_PAGE + 1)]
    for user in claimants:
        record_event(user, EventKind.CLAIM_PROVEN, "139****5678")
    for _ in range(3):  # the newest account proved it again
        record_event(claimants[-1], EventKind.CLAIM_PROVEN, "139****5678")
    db.session.commit()
    first = operator.get("/admin/transfers").get_data(as_text=True)
    assert first.count(claimants[-1].email) == 1
    assert claimants[0].email not in first  # the oldest lead, on page 2
    assert 'href="/admin/transfers?claims_page=2&amp;page=1"' in first
    second = operator.get("/admin/transfers?claims_page=2").get_data(as_text=True)
    assert claimants[0].email in second and claimants[-1].email not in second


def test_a_banks_loan_imports_page_past_the_fiftieth(login_as):
    """The bank's loan-status imports showed its newest 50: a bank reporting weekly lost
    its first year's from the page."""
    client, officer = login_as(Role.BANK_OFFICER)
    for i in range(PER_PAGE + 1):
        db.session.add(ImportBatch(source="loan_status", status="succeeded", user_id=officer.id,
                                   filename=f"loans-{i:02d}.csv"))  # fmt: skip
    db.session.commit()
    first = client.get("/bank/loans/import").get_data(as_text=True)
    assert "loans-20.csv" in first and "loans-00.csv" not in first
    assert 'href="/bank/loans/import?page=2"' in first
    assert "loans-00.csv" in client.get("/bank/loans/import?page=2").get_data(as_text=True)
