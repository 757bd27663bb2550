"""The officer's workbench: counts of new, due today and overdue in Chinese working days,
newest first, search by name or code (never matching an anonymous applicant's name),
filters and paging."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.applications import queries, services
from app.applications.models import Application
from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db
from app.workcalendar import services as workdays
from tests.consent.test_guard import grant_query
from tests.products.helpers import make_product


@pytest.fixture
def product(factories):
    return make_product(factories.bank(name="秦岭银行"))


@pytest.fixture
def desk(factories, product):
    """25 applications to one bank: 2 due today, 3 overdue, one applicant authorized."""
    officer = factories.user(Role.BANK_OFFICER, bank=product.bank)
    apps = []
    for i in range(25):
        owner = factories.user(Role.ENTERPRISE)
        if i == 0:
            owner.enterprise.name = "秦岭工作台检索有限公司"
            grant_query(owner.enterprise, product.bank, ["enterprises"])
        if i == 1:
            owner.enterprise.name = "匿名不可检索有限公司"
        apps.append(services.create_application(
            owner.enterprise_id, product_id=product.id, amount="100000", term_months=12,
            purpose="备货", user_id=owner.id,
        ))  # fmt: skip
    now = utcnow()
    for app in apps[2:4]:  # due today: the deadline's day is today
        app.respond_by = now + timedelta(minutes=5)
    for app in apps[4:7]:  # overdue
        app.respond_by = now - timedelta(days=10)
    db.session.commit()
    return officer, apps


def _bench(officer, **kw):
    return queries.workbench(officer, endpoint="/bank/inbox", channel="web", ip=None, **kw)


def test_counts_newest_first_and_paging(desk):
    officer, apps = desk
    bench = _bench(officer)
    assert bench.counts == {"all": 25, "new": 25, "due_today": 2, "overdue": 3, "review": 0,
                            "decided": 0}  # fmt: skip
    assert bench.tab == "all"
    assert [r.application.id for r in bench.rows] == sorted(
        (a.id for a in apps), reverse=True)[: queries.PAGE_SIZE]  # fmt: skip
    assert (bench.page, bench.pages, bench.total) == (1, 2, 25)
    second = _bench(officer, page=2)
    assert len(second.rows) == 25 - queries.PAGE_SIZE
    assert _bench(officer, page=99).page == 2  # clamped


def test_due_filters_follow_working_days(desk):
    officer, apps = desk
    today = {r.application.id for r in _bench(officer, due="today").rows}
    overdue = {r.application.id for r in _bench(officer, due="overdue").rows}
    assert today == {a.id for a in apps[2:4]}
    assert overdue == {a.id for a in apps[4:7]}
    for row in _bench(officer, due="overdue").rows:
        assert row.days_left == workdays.working_days_left(row.application.respond_by, utcnow())
        assert row.days_left < 0


def test_search_by_name_code_and_number_never_an_anonymous_name(desk):
    officer, apps = desk
    found = _bench(officer, q="工作台检索").rows
    assert [r.application.id for r in found] == [apps[0].id]
    by_code = _bench(officer, q=apps[0].enterprise.uscc.lower()).rows
    assert [r.application.id for r in by_code] == [apps[0].id]
    assert _bench(officer, q="匿名不可检索").rows == []  # not authorized: its name is unknown
    by_number = _bench(officer, q=str(apps[7].id)).rows
    assert apps[7].id in [r.application.id for r in by_number]
    assert all(r.identified for r in by_number if r.application.id != apps[7].id)


def test_the_page_shows_counts_search_and_pager(app, factories, desk):
    from tests.conftest import WebClient

    officer, _apps = desk
    client = WebClient(app.test_client())
    client.login(officer)
    page = client.get("/bank/inbox").get_data(as_text=True)
    assert 'data-testid="count-new">25<' in page
    assert 'data-testid="count-due-today">2<' in page and 'data-testid="count-overdue">3<' in page
    assert "第 1 / 2 页" in page and "下一页" in page
    assert "今日到期" in page and "已超时" in page
    hit = client.get("/bank/inbox?q=工作台检索").get_data(as_text=True)
    assert "秦岭工作台检索有限公司" in hit and 'value="工作台检索"' in hit
    assert client.get("/bank/inbox?tab=bogus&page=abc&due=x").status_code == 200
    assert client.get("/bank/inbox?q=916100009999999999999").status_code == 200  # no number
    review = client.get("/bank/inbox?tab=review").get_data(as_text=True)
    assert 'id="tab-review"' in review and "暂无" in review
    assert db.session.query(Application).count() == 25


def test_the_bank_home_page_starts_the_day_with_the_same_counts(app, desk):
    """The home page counts by the inbox's rules, and looks up no applicant to do it: the
    access log gains no row, where the inbox logs each applicant it shows by name."""
    from sqlalchemy import func, select

    from app.audit.models import AccessLogEntry
    from tests.conftest import WebClient

    officer, apps = desk
    client = WebClient(app.test_client())
    client.login(officer)
    logged = select(func.count()).select_from(AccessLogEntry)
    before = db.session.scalar(logged)
    home = client.get("/bank").get_data(as_text=True)
    assert db.session.scalar(logged) == before
    assert 'data-testid="count-new">25<' in home
    assert 'data-testid="count-due-today">2<' in home and 'data-testid="count-overdue">3<' in home
    assert 'href="/bank/inbox?tab=new&amp;due=overdue"' in home
    client.get("/bank/inbox")
    assert db.session.scalar(logged) > before  # the authorized applicant, shown by name
    assert queries.inbox_counts(officer.bank_id) == _bench(officer).counts
    # Past the new ones, counted by state in the database: the same as the inbox's tabs.
    services.accept(apps[10].id, officer)
    services.accept(apps[11].id, officer)
    services.reject(apps[11].id, officer, reason="资料不全")
    db.session.commit()
    counts = queries.inbox_counts(officer.bank_id)
    assert (counts["new"], counts["review"], counts["decided"]) == (23, 1, 1)
    assert counts == _bench(officer).counts


def test_the_inbox_logs_the_applicants_of_its_page_only(desk):
    """A page of twenty is twenty looks, not one per application in the bank's history:
    the enterprises logged are those of the rows shown, each once, anonymous ones as
    denials; a search by name finds the authorized applicant on the second page without
    looking up anyone else."""
    from sqlalchemy import func, select

    from app.audit.models import AccessLogEntry

    officer, apps = desk

    def logged_since(mark: int) -> list[tuple[int, str]]:
        rows = db.session.execute(
            select(AccessLogEntry.enterprise_id, AccessLogEntry.outcome).where(
                AccessLogEntry.id > mark, AccessLogEntry.bank_id == officer.bank_id
            )
        )
        return sorted(rows)

    def mark() -> int:
        return db.session.scalar(select(func.coalesce(func.max(AccessLogEntry.id), 0)))

    before = mark()
    first = _bench(officer)
    shown = {r.application.enterprise_id for r in first.rows}
    assert len(shown) == queries.PAGE_SIZE
    assert [e for e, _outcome in logged_since(before)] == sorted(shown)
    assert apps[0].enterprise_id not in shown  # the oldest: on page 2, not looked up

    before = mark()
    found = _bench(officer, q="工作台检索")
    assert [r.application.id for r in found.rows] == [apps[0].id] and found.rows[0].identified
    assert logged_since(before) == [(apps[0].enterprise_id, "allowed")]

    before = mark()
    second = _bench(officer, page=2)
    assert logged_since(before) == sorted(
        (r.application.enterprise_id, "allowed" if r.identified else "denied") for r in second.rows
    )


def test_the_api_lists_a_window_and_logs_only_what_it_returns(api, factories, desk):
    """`GET /applications` as the access log reads: `limit` from `offset`, 100 by default,
    at most 500; each applicant returned is looked up (and logged), no other."""
    from sqlalchemy import func, select

    from app.audit.models import AccessLogEntry

    officer, apps = desk
    token = factories.token(officer)
    demands = []  # open demands that fit the bank: listed first, anonymous, no look logged
    for _ in range(3):
        owner = factories.user(Role.ENTERPRISE)
        demands.append(services.create_application(
            owner.enterprise_id, product_id=None, amount="100000", term_months=12,
            purpose="备货", user_id=owner.id,
        ))  # fmt: skip
    db.session.commit()

    def call(query: str) -> tuple[list[int], set[int]]:
        mark = db.session.scalar(select(func.coalesce(func.max(AccessLogEntry.id), 0)))
        response = api.get(f"/api/v1/applications{query}", token=token)
        assert response.status_code == 200, response.get_json()
        logged = set(
            db.session.scalars(select(AccessLogEntry.enterprise_id).where(AccessLogEntry.id > mark))
        )
        return [a["id"] for a in response.get_json()], logged

    listed = [*sorted((d.id for d in demands), reverse=True),
              *sorted((a.id for a in apps), reverse=True)]  # fmt: skip
    by_id = {a.id: a for a in apps}
    everything, _ = call("")
    assert everything == listed  # 28: under the default of 100
    window, logged = call("?limit=10&offset=5")
    assert window == listed[5:15]
    assert logged == {by_id[i].enterprise_id for i in window}
    # windows across the demands and the bank's own read as slices of the whole list
    for limit, offset in [(2, 0), (2, 2), (5, 1), (3, 27), (4, 26), (1, 3)]:
        assert call(f"?limit={limit}&offset={offset}")[0] == listed[offset : offset + limit]
    first, logged = call("?limit=3")
    assert first == listed[:3] and logged == set()  # the demands only: nobody looked up
    assert call("?limit=9999")[0] == listed  # read as 500
    assert call("?offset=27")[0] == listed[27:]
    wrong = api.get("/api/v1/applications?limit=x&offset=-", token=token)
    assert wrong.status_code == 422 and set(wrong.get_json()["error"]["fields"]) == {
        "limit",
        "offset",
    }
    # Following `Link: rel="next"` from the first window reads the whole list once, and
    # looks up each applicant once: the row read past a window to know that more follow is
    # neither returned nor logged.
    mark = db.session.scalar(select(func.coalesce(func.max(AccessLogEntry.id), 0)))
    path, followed, pages = "/api/v1/applications?limit=8", [], []
    while path:
        response = api.get(path, token=token)
        followed += [a["id"] for a in response.get_json()]
        links = response.headers.get("Link", "")
        pages.append(links)
        path = next((part.split(">")[0].lstrip(" <") for part in links.split(",")
                     if 'rel="next"' in part), None)  # fmt: skip
    assert followed == listed and len(pages) == 4  # 28 rows: 8 + 8 + 8 + 4
    assert 'rel="prev"' not in pages[0] and "offset=8" in pages[0]
    assert pages[3] == '</api/v1/applications?limit=8&offset=16>; rel="prev"'
    looks = db.session.scalars(select(AccessLogEntry.enterprise_id).where(AccessLogEntry.id > mark))
    assert sorted(looks) == sorted(by_id[i].enterprise_id for i in listed if i in by_id)


def test_a_window_reads_its_limit_between_one_and_the_most():
    from app.api.schemas import MAX_PAGE, Paged

    assert Paged(limit=9999).window() == (MAX_PAGE, 0)
    assert Paged(limit=0, offset=-3).window() == (1, 0)
    assert Paged().window() == (100, 0)


def test_a_page_reads_its_rows_not_the_banks_history(factories, desk):
    """A bank's history grows without end: a page of the inbox loads its own twenty rows
    and the applications waiting to be accepted (their deadlines count in working days),
    not the decided ones of other pages; open demands that fit stand among the bank's own
    by number."""
    from sqlalchemy import event

    from app.auth.models import User

    officer, apps = desk
    for app in apps:
        services.accept(app.id, officer)
        services.reject(app.id, officer, reason="资料不全")
    owner = factories.user(Role.ENTERPRISE)
    demand = services.create_application(
        owner.enterprise_id, product_id=None, amount="100000", term_months=12, purpose="备货",
        user_id=owner.id,
    )  # fmt: skip
    db.session.commit()
    demand_id = demand.id
    ids = [a.id for a in apps]
    officer_id = officer.id
    db.session.expunge_all()
    officer = db.session.get(User, officer_id)
    loaded: list[int] = []

    def count(target, _context):
        loaded.append(target.id)

    event.listen(Application, "load", count)
    try:
        first = _bench(officer)
    finally:
        event.remove(Application, "load", count)
    expected = sorted([demand_id, *ids], reverse=True)[: queries.PAGE_SIZE]
    assert [r.application.id for r in first.rows] == expected
    assert first.counts["new"] == 1 and first.counts["decided"] == 25 and first.total == 26
    assert set(loaded) == set(expected)  # the five oldest decided are never read
    second = _bench(officer, tab="decided", page=2)
    assert [r.application.id for r in second.rows] == sorted(ids)[:5][::-1]


def test_every_waiting_open_demand_reaches_the_banks_it_fits(factories, desk, monkeypatch):
    """Past the newest 200 too: a waiting demand is judged against the bank's products
    however many others wait (in chunks of `INBOX_CHUNK`), so none is shown to no bank."""
    from app.matching import services as matching

    officer, _apps = desk
    monkeypatch.setattr(matching, "INBOX_CHUNK", 50)
    demands = []
    for _ in range(205):
        owner = factories.user(Role.ENTERPRISE)
        demands.append(services.create_application(
            owner.enterprise_id, product_id=None, amount="100000", term_months=12,
            purpose="备货", user_id=owner.id,
        ).id)  # fmt: skip
    db.session.commit()
    listed = queries.open_demands_for_bank(officer.bank_id)
    assert [d.id for d in listed] == sorted(demands, reverse=True)
    assert queries.inbox_counts(officer.bank_id)["new"] == 25 + 205
