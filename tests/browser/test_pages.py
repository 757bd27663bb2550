"""In Chromium, on the demo data: the main pages of every role at a phone's width (390×844)
and a laptop's (1366×768). No page scrolls sideways; the screenshots go to test-artifacts/
for a person to look at. axe-core finds no serious or critical accessibility violation. And
the phone's menu: folded behind a button that says whether it is open, usable from the
keyboard, and a plain open list when the page runs no script."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from app.applications.models import Application
from app.auth.services import get_user_by_email
from app.demo.services import DEMO_PASSWORD, load_demo_data
from app.extensions import db
from app.products.models import Product
from tests.browser.conftest import answer_second_factor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committing,
    pytest.mark.frozen_at("2026-11-18T10:00:00+08:00"),
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
SIZES = {"phone": (390, 844), "laptop": (1366, 768)}
LOGINS = {
    "public": None,
    "enterprise": "sme@demo.xyd",
    "bank_officer": "officer@demo.xyd",
    "bank_admin": "bankadmin@demo.xyd",
    "regulator": "office@demo.xyd",
    "admin": "admin@demo.xyd",
}
_SITE: dict[str, dict[str, list[str]]] = {}


@pytest.fixture
def site(own_server):
    """The demo data in the module's own database (loaded once), and the pages to look at."""
    app, base = own_server
    if not _SITE:
        with app.app_context():
            load_demo_data(enterprises=20, months=6)
            db.session.commit()
            enterprise = get_user_by_email(LOGINS["enterprise"]).enterprise_id
            officer = get_user_by_email(LOGINS["bank_officer"]).bank_id
            own = db.session.scalar(select(Application.id).where(Application.enterprise_id == enterprise))  # fmt: skip
            banks = db.session.scalar(select(Application.id).where(Application.bank_id == officer))
            product = db.session.scalar(select(Product.id).where(Product.status == "published"))
            assert own and banks and product, "the demo data has applications and products"
            with app.test_request_context():
                _SITE["pages"] = {
                    "public": [url_for("main.index"), url_for("market.index"),
                               url_for("market.product", product_id=product),
                               url_for("notices.index"), url_for("auth.register"),
                               url_for("api.docs")],
                    "enterprise": [url_for("main.enterprise_home"), url_for("matching.index"),
                                   url_for("applications.detail", application_id=own),
                                   url_for("profiles.enterprise_profile"), url_for("loans.mine"),
                                   url_for("consent.collection")],
                    "bank_officer": [url_for("main.bank_home"), url_for("applications.inbox"),
                                     url_for("applications.detail", application_id=banks),
                                     url_for("loans.bank_list"), url_for("products.index")],
                    "regulator": [url_for("main.office_home"), url_for("stats.index"),
                                  url_for("stats.loans"), url_for("funds.index")],
                    "admin": [url_for("main.admin_home"), url_for("ingest.batches"),
                              url_for("sources.index"), url_for("scheduler.index"),
                              url_for("notices.manage")],
                }  # fmt: skip
    return base, _SITE["pages"]


def _context(browser, base: str, role: str, size: str, **options):
    width, height = SIZES[size]
    context = browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": height}, **options
    )
    email = LOGINS[role]
    if email is not None and "storage_state" not in options:  # else signed in already
        page = context.new_page()
        page.goto(base + "/login")
        page.get_by_label("邮箱").fill(email)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        answer_second_factor(page, base, email)
        page.wait_for_url(lambda url: "/login" not in url)
        page.close()
    return context


def _sideways(page) -> str | None:
    """What sticks out past the right edge when the page scrolls sideways, else None."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          if (root.scrollWidth <= root.clientWidth) return null;
          const wide = [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
            .slice(0, 3).map((e) => e.outerHTML.slice(0, 120));
          return `${root.scrollWidth} > ${root.clientWidth}: ${wide.join(" | ")}`;
        }"""
    )


def _serious(results: dict) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["html"][:120] for node in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("role", [role for role in LOGINS if role != "bank_admin"])
def test_main_pages_fit_a_phone_and_a_laptop_and_pass_axe(site, browser, role):
    base, pages = site
    axe = Axe()
    problems: list[str] = []
    for size in SIZES:
        context = _context(browser, base, role, size)
        page = context.new_page()
        for path in pages[role]:
            page.goto(base + path)
            assert "/login" not in page.url, f"{role} was sent to log in from {path}"
            where = f"{role} {size} {path}"
            if (sticking_out := _sideways(page)) is not None:
                problems.append(f"{where} scrolls sideways: {sticking_out}")
            name = f"{role}-{size}-{path.strip('/').replace('/', '-') or 'index'}.png"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            problems += [f"{where} axe {v}" for v in _serious(axe.run(page).response)]
        context.close()
    assert not problems, "\n".join(problems)


def test_phone_menu_folds_behind_a_button_usable_from_the_keyboard(site, browser):
    base, _pages = site
    axe = Axe()
    context = _context(browser, base, "enterprise", "phone")
    page = context.new_page()
    page.goto(base + "/enterprise")
    toggle = page.get_by_role("button", name="菜单")
    menu = page.get_by_role("navigation", name="主导航")
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 80, header  # one row, not three
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not menu.get_by_role("link", name="我的申请").is_visible()

    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert menu.get_by_role("link", name="我的申请").is_visible()
    assert not _serious(axe.run(page).response)
    page.keyboard.press("Tab")  # the first entry of the open menu comes next
    assert page.evaluate("document.activeElement.textContent.trim()") == "产品超市"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    assert not menu.get_by_role("link", name="我的申请").is_visible()

    page.keyboard.press("Space")
    menu.get_by_role("link", name="我的申请").click()
    page.wait_for_url("**/applications")
    # The header scrolls away with the page on a phone instead of covering it.
    page.mouse.wheel(0, 600)
    page.wait_for_function("window.scrollY > 0")
    box = page.locator(".site-header").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 0, box
    # The same signed-in session in the next two browsers: this test is about the menu, and
    # signing the same user in again within a second or two was seen to come back to the
    # login page once in CI (not reproduced in eight runs here; see the closing note).
    signed_in = context.storage_state()
    context.close()

    # Without script there is no button, and the menu is an open list.
    context = _context(browser, base, "enterprise", "phone", java_script_enabled=False,
                       storage_state=signed_in)  # fmt: skip
    page = context.new_page()
    page.goto(base + "/enterprise")
    assert not page.get_by_role("button", name="菜单").is_visible()
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的申请").is_visible()  # fmt: skip
    assert _sideways(page) is None
    context.close()

    # On a laptop the menu is a row of links and the button is gone.
    context = _context(browser, base, "enterprise", "laptop", storage_state=signed_in)
    page = context.new_page()
    page.goto(base + "/enterprise")
    assert not page.get_by_role("button", name="菜单").is_visible()
    assert page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的申请").is_visible()  # fmt: skip
    context.close()


def test_tables_become_cards_labelled_by_their_columns_on_a_phone(site, browser):
    base, _pages = site
    context = _context(browser, base, "bank_officer", "phone")
    page = context.new_page()
    page.goto(base + "/bank/inbox?tab=all")
    first = page.locator("table.reflow tbody tr").first
    amount = first.locator("td").nth(3)
    assert amount.get_attribute("data-label") == "金额"
    label = amount.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"金额"'
    assert not page.locator("table.reflow thead").is_visible()
    row, cell = first.bounding_box(), amount.bounding_box()
    assert row and cell and cell["width"] > 0.8 * row["width"], (row, cell)  # one cell a line
    context.close()


def test_a_destructive_button_asks_before_any_deferred_script_runs(site, browser):
    """停用 (retire a product for good) asks first, even when the page's deferred scripts
    have not arrived: the question is early.js's, heard on the document from the first paint.
    Dismissed, nothing is sent."""
    base, _pages = site
    context = _context(browser, base, "bank_admin", "phone")
    page = context.new_page()
    held = []

    def hold(route):
        if route.request.url.split("?")[0].endswith("/early.js"):
            route.continue_()
        else:
            held.append(route)  # never answered

    page.route("**/static/js/*", hold)
    page.goto(base + "/bank/products", wait_until="commit")
    page.locator(".site-footer").wait_for(state="attached")  # parsed to the end
    asked, posted = [], []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)  # fmt: skip
    retire = page.get_by_role("button", name="停用").first
    retire.click()
    assert held and asked and "确定停用" in asked[0]
    assert not posted
    expect(retire).to_be_visible()
    context.close()
