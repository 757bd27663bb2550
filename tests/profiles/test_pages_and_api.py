"""What the enterprise sees of its own profile, and what a bank sees under the guard:
the score only when the authorization covers every non-public source that fed it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.bankview.api import EnterpriseProfile
from app.clock import local_today
from app.extensions import db
from app.profiles import services
from app.profiles.api import OwnProfile
from tests.api.documented import documented
from tests.consent.test_guard import grant_query
from tests.profiles.conftest import recent_periods

CHART_DATA = re.compile(
    r'<script type="application/json" id="profile-chart-data">(.*?)</script>', re.S
)


@pytest.fixture
def scored(punctual, sources):
    """A punctual enterprise with a minor penalty, rebuilt and committed."""
    enterprise = punctual(name="秦川画像测试有限公司")
    sources.public(enterprise.uscc, "penalty", local_today() - timedelta(days=40),
                   amount="2000", severity="minor")  # fmt: skip
    services.rebuild([enterprise.id], trigger="manual")
    db.session.commit()
    return enterprise


def _login_enterprise(app, factories, enterprise):
    from tests.conftest import WebClient

    user = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    return client, user


def test_enterprise_page_shows_score_grade_reasons_and_chart_data(app, factories, scored):
    client, _user = _login_enterprise(app, factories, scored)
    snap = services.latest_profile(scored.id)
    response = client.get("/enterprise/profile")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'data-testid="score">{snap.score}<' in page
    assert f'data-testid="grade">{snap.grade}<' in page
    assert "近36个月有一般行政处罚" in page  # the reason, in Chinese by default
    assert "遵纪守法" in page and "履约践诺" in page  # dimension names from the version
    assert f"画像编号 {snap.id}" in page
    charts = json.loads(CHART_DATA.search(page).group(1))
    assert next(d["name"] for d in charts["dimensions"]) == "遵纪守法"
    assert len(charts["tax"]["periods"]) == 24 and charts["tax"]["amounts"][0] == 12000.0
    assert charts["tax"]["periods"] == sorted(charts["tax"]["periods"])  # oldest first
    assert charts["social"]["headcount"][-1] == 12
    assert list(charts["utilities"]["series"]) == ["electricity"]
    # vendored ECharts and the chart code from files: no inline script runs
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "/static/js/profile-charts.js" in page
    for tag in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page):
        assert 'type="application/json"' in tag
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    vendored = client.get("/static/vendor/echarts/echarts.min.js")
    assert vendored.status_code == 200
    vendored.close()
    # tables beside the charts: the same figures without JavaScript, money one way
    assert "¥12,000.00" in page and ">12000.00<" not in page
    # reasons in words only: no reason code beside them
    assert not re.search(r"\b(PENALTY|NO|SHORT)_[A-Z_]+\b", page)


def test_a_source_shows_its_newest_rows_and_opens_the_rest(app, factories, scored):
    """On the page (often a phone) each source shows its six newest months; the other 18
    of its 24 open under a summary, in the page without script. The PDF prints them all
    (tests/reports)."""
    client, user = _login_enterprise(app, factories, scored)
    page = client.get("/enterprise/profile").get_data(as_text=True)
    newest, *_, oldest = sorted(recent_periods(24), reverse=True)
    sixth, seventh = sorted(recent_periods(24), reverse=True)[5:7]
    tax = page[page.index("<h2>纳税记录</h2>") :]
    tax = tax[: tax.index("</section>")]
    shown, hidden = tax.split('<details class="more-rows">')
    assert "显示其余 18 条" in hidden and hidden.count("<tr>") == 1 + 18  # its header row
    assert shown.count("<tr>") == 1 + 6
    assert newest in shown and sixth in shown and seventh not in shown
    assert seventh in hidden and oldest in hidden
    user.locale = "en"
    db.session.commit()
    assert "Show the other 18 records" in client.get("/enterprise/profile").get_data(as_text=True)


def test_enterprise_page_in_english(app, factories, scored):
    client, user = _login_enterprise(app, factories, scored)
    user.locale = "en"
    db.session.commit()
    page = client.get("/enterprise/profile").get_data(as_text=True)
    assert "Administrative penalties in the last 36 months" in page
    assert "Compliance" in page


def test_enterprise_without_a_profile_yet(app, factories):
    client, _user = _login_enterprise(app, factories, factories.enterprise())
    page = client.get("/enterprise/profile").get_data(as_text=True)
    assert "尚未生成" in page and 'data-testid="score"' not in page


def test_home_and_nav_link_to_the_profile(app, factories, scored):
    client, _user = _login_enterprise(app, factories, scored)
    page = client.get("/enterprise").get_data(as_text=True)
    assert page.count('href="/enterprise/profile"') >= 2


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.BANK_OFFICER, Role.ADMIN])
def test_other_roles_cannot_open_the_enterprise_page(login_as, role, scored):
    client, _user = login_as(role)
    response = client.get("/enterprise/profile")
    assert response.status_code == 403
    assert str(services.latest_profile(scored.id).score) not in response.get_data(as_text=True)


# --- API: the enterprise's own ------------------------------------------------------------


def test_me_profile_api(api, factories, scored):
    user = factories.user(Role.ENTERPRISE, enterprise=scored)
    token = factories.token(user)
    db.session.commit()
    body = api.get("/api/v1/me/profile", token=token).get_json()
    snap = services.latest_profile(scored.id)
    assert body["uscc"] == scored.uscc and body["name"] == "秦川画像测试有限公司"
    assert (body["score"], body["grade"], body["model_version"]) == (snap.score, snap.grade, 1)
    assert body["snapshot_id"] == snap.id and body["computed_at"]
    assert next(d["code"] for d in body["dimensions"]) == "compliance"
    assert set(body["dimensions"][0]) == {"code", "name", "score", "weight"}
    assert {"code": "PENALTY_MINOR", "message": "近36个月有一般行政处罚"} in body["reasons"]
    assert body["coverage"]["tax_payments"] == 24
    assert body["features"]["penalties_minor"] == 1
    documented(api, "/api/v1/me/profile", OwnProfile, body)


def test_me_profile_api_before_any_profile_and_for_other_roles(api, factories):
    user = factories.user(Role.ENTERPRISE)
    officer = factories.user(Role.BANK_OFFICER)
    tokens = factories.token(user), factories.token(officer)
    db.session.commit()
    body = api.get("/api/v1/me/profile", token=tokens[0]).get_json()
    assert body["score"] is None and body["snapshot_id"] is None and body["reasons"] == []
    documented(api, "/api/v1/me/profile", OwnProfile, body)
    assert api.get("/api/v1/me/profile", token=tokens[1]).status_code == 403
    assert api.get("/api/v1/me/profile").status_code == 401


# --- banks, through the guard ---------------------------------------------------------------


@pytest.fixture
def bank_world(factories, scored):
    bank = factories.bank(code="SCOREBANK")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    token = factories.token(officer)
    db.session.commit()
    return bank, officer, token


def _log(enterprise, outcome):
    return db.session.scalar(
        select(func.count()).where(
            AccessLogEntry.enterprise_id == enterprise.id, AccessLogEntry.outcome == outcome
        )
    )


def _path(enterprise):
    return f"/api/v1/enterprises/{enterprise.uscc}/profile"


def test_bank_sees_the_score_when_every_fed_source_is_authorized(api, scored, bank_world):
    bank, _officer, token = bank_world
    grant_query(scored, bank, ["enterprises", "tax_payments", "utility_bills",
                               "social_insurance"])  # fmt: skip
    db.session.commit()
    body = api.get(_path(scored), token=token).get_json()
    snap = services.latest_profile(scored.id)
    assert (body["score"], body["grade"], body["snapshot_id"]) == (snap.score, snap.grade, snap.id)
    assert body["score_authorized"] is True and body["score_requires"] == []
    assert body["model_version"] == 1 and len(body["dimensions"]) == 6
    assert body["reasons"] and body["features"]["tax_months"] == 24
    # coverage only of the authorized sources (public credit was not asked for)
    assert body["coverage"] == {"social_insurance": 24, "tax_payments": 24, "utility_bills": 24}
    assert _log(scored, "allowed") == 1
    documented(api, "/api/v1/enterprises/{uscc}/profile", EnterpriseProfile, body)


def test_bank_without_every_fed_source_gets_no_score(api, scored, bank_world):
    bank, _officer, token = bank_world
    grant_query(scored, bank, ["enterprises", "tax_payments"])
    db.session.commit()
    response = api.get(_path(scored), token=token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["score"] is None and body["grade"] is None
    assert body["dimensions"] == [] and body["reasons"] == [] and body["features"] == {}
    assert body["score_authorized"] is False
    assert body["score_requires"] == ["social_insurance", "utility_bills"]
    assert body["coverage"] == {"tax_payments": 24}
    assert body["snapshot_id"] == services.latest_profile(scored.id).id
    documented(api, "/api/v1/enterprises/{uscc}/profile", EnterpriseProfile, body)
    assert _log(scored, "allowed") == 1


def test_bank_without_authorization_is_denied_and_logged(api, scored, bank_world):
    _bank, _officer, token = bank_world
    response = api.get(_path(scored), token=token)
    assert response.status_code == 403
    assert str(services.latest_profile(scored.id).score) not in json.dumps(response.get_json())
    assert _log(scored, "denied") == 1


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ENTERPRISE])
def test_non_banks_cannot_use_the_bank_profile_api(api, factories, scored, role):
    token = factories.token(factories.user(role))
    db.session.commit()
    assert api.get(_path(scored), token=token).status_code == 403


def test_bank_page_shows_score_or_what_is_missing(app, factories, scored, bank_world):
    from tests.conftest import WebClient

    bank, officer, _token = bank_world
    client = WebClient(app.test_client())
    client.login(officer)
    authorization = grant_query(scored, bank, ["enterprises", "tax_payments"])
    db.session.commit()
    page = client.get(f"/bank/enterprises/{scored.uscc}").get_data(as_text=True)
    snap = services.latest_profile(scored.id)
    assert 'data-testid="score"' not in page
    assert "本次授权未覆盖" in page and "社会保险缴纳" in page
    authorization.state = "revoked"
    grant_query(scored, bank, ["enterprises", "tax_payments", "utility_bills",
                               "social_insurance"])  # fmt: skip
    db.session.commit()
    page = client.get(f"/bank/enterprises/{scored.uscc}").get_data(as_text=True)
    assert f'data-testid="score">{snap.score}<' in page
    assert "近36个月有一般行政处罚" in page
    assert CHART_DATA.search(page)
    assert _log(scored, "allowed") == 2


def test_the_preview_before_granting_shows_the_score_the_bank_will_see(app, factories, scored):
    """The enterprise previews what a bank will be shown, score and reasons included when
    the ticked categories cover every source that fed the score, and says which are missing
    otherwise: the preview and the bank's page are one view (bankview.profile._shown)."""
    client, _user = _login_enterprise(app, factories, scored)
    bank = factories.bank(code="PBANK", name="预览银行")
    db.session.commit()
    snap = services.latest_profile(scored.id)
    fed = sorted(c for c, n in (snap.coverage or {}).items() if n and c != "enterprises")
    form = {"bank_id": bank.id, "purpose": "pre_loan", "days": 30}
    full = client.post("/consent/banks", {**form, "categories": ["enterprises", *fed]})
    page = full.get_data(as_text=True)
    assert full.status_code == 200
    assert f'data-testid="score">{snap.score}<' in page
    assert "近36个月有一般行政处罚" in page  # a reason, as the bank reads it
    partial = client.post("/consent/banks", {**form, "categories": ["enterprises"]})
    page = partial.get_data(as_text=True)
    assert 'data-testid="score"' not in page
    assert "评分由企业的多类数据计算，本次授权未覆盖" in page
    assert "纳税" in page  # the missing category named in words
