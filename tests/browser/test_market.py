"""In Chromium, without logging in: the product supermarket filters, opens a product and leads
to the login for "check whether I qualify"; at phone and desktop widths nothing scrolls sideways."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from app.banks.models import Bank
from app.extensions import db
from app.products.models import Product
from tests.factories import Factories

pytestmark = [pytest.mark.browser, pytest.mark.committing]


@pytest.fixture
def shelf(live_server):
    app, base = live_server
    with app.app_context():
        bank = Factories().bank("BRMARKET", "浏览器超市银行")
        for name, kind, low, high in (
            ("超市信用贷", "credit", 100000, 3000000),
            ("超市抵押贷", "collateral", 500000, 10000000),
        ):
            db.session.add(Product(bank_id=bank.id, name=name, type=kind, tags=["信易贷"],
                                   description="", amount_min=low, amount_max=high,
                                   term_min_months=6, term_max_months=36, rate_min=3.6,
                                   rate_max=6, regions="", industries="", min_years=2,
                                   status="published", version=1))  # fmt: skip
        db.session.commit()
        bank_id = bank.id
    yield base
    with app.app_context():
        db.session.execute(delete(Product).where(Product.bank_id == bank_id))
        db.session.execute(delete(Bank).where(Bank.id == bank_id))
        db.session.commit()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_browse_filter_and_check_qualification(shelf, browser, tmp_path):
    base = shelf
    for width, height in ((390, 844), (1366, 768)):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{base}/")
        page.get_by_role("link", name="金融产品超市").first.click()
        page.wait_for_url("**/market")
        assert page.get_by_role("link", name="超市信用贷").is_visible()
        assert no_sideways_scroll(page), width
        page.select_option("#type", "collateral")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url(lambda url: "type=collateral" in url)
        assert page.get_by_role("link", name="超市抵押贷").is_visible()
        assert page.get_by_role("link", name="超市信用贷").count() == 0
        page.get_by_role("link", name="超市抵押贷").click()
        assert page.locator("#conditions").inner_text().count("成立满 2 年") == 1
        assert no_sideways_scroll(page), width
        page.screenshot(path=str(tmp_path / f"market-{width}.png"), full_page=True)
        page.get_by_role("link", name="测一测我是否符合条件").click()
        page.wait_for_url(lambda url: "/login?next=" in url)
        context.close()
