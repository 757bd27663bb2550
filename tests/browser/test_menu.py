"""The phone menu starts folded: it is never painted open while the menu script loads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_phone_menu_is_folded_before_its_script_runs(live_server, page):
    _app, base = live_server
    held = []
    page.route("**/static/js/nav.js*", lambda route: held.append(route))  # not answered yet
    page.goto(base + "/", wait_until="commit")
    nav = page.locator("#site-nav")
    nav.wait_for(state="attached")
    page.wait_for_function("document.readyState !== 'loading'")  # parsed and laid out
    assert held, "nav.js is held back, so only what ran before it shapes the page"
    expect(nav).to_be_hidden()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()

    held[0].continue_()  # the script arrives: the button opens and closes the menu
    page.wait_for_load_state("load")
    page.get_by_role("button", name="菜单").click()
    expect(nav).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
