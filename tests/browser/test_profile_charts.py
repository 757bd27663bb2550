"""In Chromium, on a phone-sized screen, under the real CSP: the profile page draws its charts
with the vendored ECharts (canvas in each container) and nothing is blocked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth.models import Role
from app.extensions import db
from app.profiles import services
from tests.factories import Factories
from tests.profiles.conftest import paid_day, recent_periods
from tests.scoring.conftest import Sources

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PASSWORD = "Qinling2026ok"


@pytest.fixture
def scored_login(own_server):
    app, base = own_server  # its own database: nothing to clean up for the other journeys
    with app.app_context():
        factories, sources = Factories(), Sources()
        enterprise = factories.enterprise(name="浏览器画像测试有限公司")
        for period in recent_periods(24):
            due, paid = paid_day(period)
            sources.tax(enterprise.uscc, period, "8000.00", due_on=due, paid_on=paid)
            sources.utility(enterprise.uscc, period, "500.00", "500.00", due_on=due, paid_on=paid)
            sources.social(enterprise.uscc, period, 8, "6000.00", "6000.00", paid_on=paid)
        factories.user(Role.ENTERPRISE, enterprise=enterprise, email="chart@example.test",
                              password=PASSWORD)  # fmt: skip
        services.rebuild([enterprise.id], trigger="manual")
        db.session.commit()
    return base


def test_profile_page_draws_the_charts(scored_login, page, tmp_path):
    base = scored_login
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base + "/login")
    page.get_by_label("邮箱").fill("chart@example.test")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/enterprise")
    page.get_by_role("link", name="查看我的信用画像").click()
    page.wait_for_url(base + "/enterprise/profile")
    for chart in ("dimensions", "tax", "utilities", "social"):
        canvas = page.locator(f'[data-chart="{chart}"] canvas')
        canvas.first.wait_for(state="attached", timeout=10_000)
        assert canvas.first.bounding_box()["height"] > 100
    expect(page.get_by_test_id("grade")).to_be_visible()
    page.screenshot(path=str(tmp_path / "profile.png"), full_page=True)
    assert problems == []
