"""The phone menu starts folded, and its button works from the moment it is painted: no
script that loads later (deferred, or lost on a slow network) is needed to open it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_phone_menu_works_before_any_deferred_script_runs(live_server, page):
    _app, base = live_server
    held = []

    def hold(route):
        if route.request.url.split("?")[0].endswith("/early.js"):
            route.continue_()
        else:
            held.append(route)  # not answered yet

    page.route("**/static/js/*", hold)
    page.goto(base + "/", wait_until="commit")
    nav = page.locator("#site-nav")
    nav.wait_for(state="attached")
    page.locator(".site-footer").wait_for(state="attached")  # parsed to the end
    assert held, "the deferred scripts are held back: only early.js has run"
    expect(nav).to_be_hidden()
    toggle = page.get_by_role("button", name="菜单")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()

    for route in held:  # the rest arrives; the menu still opens once per click
        route.continue_()
    page.wait_for_load_state("load")
    toggle.click()
    expect(nav).to_be_visible()
    toggle.click()
    expect(nav).to_be_hidden()
