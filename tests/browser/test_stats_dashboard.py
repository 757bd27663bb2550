"""In Chromium, under the real CSP: the office's dashboard draws its charts with the vendored
ECharts, and a filter changes what the page shows."""

from __future__ import annotations

import pytest

from app.applications.models import Application
from app.auth.models import Role
from app.extensions import db
from app.products.models import Product
from app.stats import services
from tests.browser.conftest import answer_second_factor
from tests.factories import Factories

pytestmark = [pytest.mark.browser, pytest.mark.committing]
PASSWORD = "Qinling2026ok"


@pytest.fixture
def office(own_server):
    # Statistics count every application in the database, and the suppression of one bank's
    # row depends on the others: the journeys' leftovers would change what this page may show.
    app, base = own_server
    with app.app_context():
        factories = Factories()
        bank = factories.bank("BRSTAT", "浏览器统计银行")
        product = Product(bank_id=bank.id, name="浏览器信用贷", type="credit", tags=[],
                          description="", amount_min=10000, amount_max=9000000,
                          term_min_months=3, term_max_months=36, rate_min=4, rate_max=6,
                          regions="", industries="", status="published", version=1)  # fmt: skip
        db.session.add(product)
        db.session.flush()
        now = services.utcnow()
        enterprises = []
        for i, region in enumerate(["610113", "610113", "610104", "610302", "610302", "610303"]):
            e = factories.enterprise(industry_code="13")
            e.region_code = region
            enterprises.append(e)
            db.session.add(Application(
                enterprise_id=e.id, product_id=product.id, bank_id=bank.id, state="submitted",
                amount=100000 * (i + 1), term_months=12, purpose="浏览器", submitted_at=now,
                version=1, created_at=now, updated_at=now))  # fmt: skip
        factories.user(Role.REGULATOR, email="stats-office@example.test", password=PASSWORD)
        db.session.commit()
    return base  # the module's own database goes with its server


def test_dashboard_draws_charts_and_filters(office, page, tmp_path):
    base = office
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/login")
    page.get_by_label("邮箱").fill("stats-office@example.test")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    answer_second_factor(page, base, "stats-office@example.test")
    page.wait_for_url(base + "/office")
    page.get_by_role("link", name="融资统计").first.click()
    page.wait_for_url(base + "/stats")
    page.select_option("#f-bank", "BRSTAT")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**bank=BRSTAT**")
    for chart in ("trend", "breakdown"):
        canvas = page.locator(f'[data-stats-chart="{chart}"] canvas')
        canvas.first.wait_for(state="attached", timeout=10_000)
        assert canvas.first.bounding_box()["height"] > 100
    assert page.get_by_test_id("kpi-demand").inner_text() == "6"
    page.screenshot(path=str(tmp_path / "stats.png"), full_page=True)
    # Filter: 宝鸡市 only (two enterprises in 610302 and one in 610303 → 3, shown)
    page.select_option("#f-place", "610300")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**place=610300**")
    assert page.get_by_test_id("kpi-demand").inner_text() == "3"
    assert problems == []
