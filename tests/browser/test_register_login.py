"""In Chromium, on a phone-sized screen: register a business, log out, log in, switch language."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from app.demo.uscc import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.committing]


def test_register_login_and_switch_language(live_server, page, tmp_path):
    _app, base = live_server
    uscc = make_uscc("610113", random.Random(7), kind="91")
    wrong = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")

    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="企业注册").first.click()

    page.get_by_label("统一社会信用代码").fill(wrong)
    page.get_by_label("企业名称").fill("西安浏览器测试有限公司")
    page.get_by_label("联系人").fill("赵六")
    page.get_by_label("邮箱").fill("browser@example.test")
    page.get_by_label("密码", exact=True).fill("Qinling2026ok")
    page.get_by_label("确认密码").fill("Qinling2026ok")
    page.get_by_role("button", name="注册").click()
    # The wrong check character is refused in Chinese, and the typed name is kept.
    expect(page.get_by_text("统一社会信用代码校验位不正确")).to_be_visible()
    assert page.get_by_label("企业名称").input_value() == "西安浏览器测试有限公司"

    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("密码", exact=True).fill("Qinling2026ok")
    page.get_by_label("确认密码").fill("Qinling2026ok")
    page.get_by_role("button", name="注册").click()
    # A new account claims the company; it is the company only once verified.
    page.wait_for_url(base + "/account/verification")
    expect(page.get_by_text("待核验").first).to_be_visible()
    page.goto(base + "/enterprise")
    expect(page.get_by_role("heading", name="西安浏览器测试有限公司")).to_be_visible()
    expect(page.get_by_text("待核验").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "enterprise-home.png"), full_page=True)

    page.get_by_role("button", name="菜单").click()  # the header menu is folded on a phone
    page.get_by_role("button", name="退出").click()
    # Logged out, the new page folds its menu again: wait for it, then open it to log in.
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("navigation").get_by_role("link", name="登录").click()
    page.get_by_label("邮箱").fill("browser@example.test")
    page.get_by_label("密码").fill("Qinling2026ok")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/enterprise")

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text("Pending verification").first).to_be_visible()

    # Remembered for the user: a new browser context logs in and gets English.
    context = page.context.browser.new_context(locale="zh-CN")
    other = context.new_page()
    other.goto(base + "/login")
    other.get_by_label("邮箱").fill("browser@example.test")
    other.get_by_label("密码").fill("Qinling2026ok")
    other.get_by_role("button", name="登录").click()
    other.wait_for_url(base + "/enterprise")
    assert other.locator("html").get_attribute("lang") == "en"
    context.close()
