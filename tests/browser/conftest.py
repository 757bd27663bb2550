"""A live server on 127.0.0.1 with its own migrated SQLite database, and Chromium."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.auth.services import get_user_by_email
from app.extensions import db
from config import TestConfig
from tests.factories import Factories, second_factor_answer

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# The served apps by their base URL: the second step of a sign-in reads the user there.
_APPS: dict = {}


def _read_whole(app):
    """`app` with each response read to the end, and closed, before werkzeug writes it.

    werkzeug's development server closes the response only after draining the socket; when
    Chromium drops a connection mid-response (a navigation cancels a static file), that drain
    raises and the opened file is never closed, which the suite's `filterwarnings = error`
    turns into a failure of whichever test happens to be running.
    """

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return wsgi


@contextmanager
def _serve(path):
    """The app on its own migrated SQLite database at `path`, served on a free port."""

    class LiveConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        # The server runs at the tests' frozen instant, Chromium at the wall clock: a session
        # cookie that expires 8 h after the frozen instant would already be stale to it.
        PERMANENT_SESSION_LIFETIME = 50 * 365 * 24 * 3600

    app = create_app(LiveConfig)
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
    server = make_server("127.0.0.1", 0, _read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    _APPS[base] = app
    try:
        yield app, base
    finally:
        _APPS.pop(base, None)
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One server for the journeys; they share its database and leave their data in it."""
    with _serve(tmp_path_factory.mktemp("live") / "live.sqlite") as served:
        yield served


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server with a database of its own, for a test whose figures count everything."""
    with _serve(tmp_path_factory.mktemp("own") / "own.sqlite") as served:
        yield served


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()


def answer_second_factor(page, base: str, email: str) -> None:
    """After the password: when the sign-in asks for the second factor, type what the user
    would (`second_factor_answer`: the app's code, or a recovery code when that time step
    was used already); a privileged user without one enrols first."""
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    step = urlsplit(page.url).path
    if step not in ("/login/code", "/login/enrol"):
        return
    with _APPS[base].app_context():
        code = second_factor_answer(get_user_by_email(email))
    if step == "/login/code":
        page.get_by_label("验证码或恢复码").fill(code)
        page.get_by_role("button", name="验证").click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/login/code")
    else:  # a privileged user made without the second factor enrols, as a real one would
        page.get_by_label("验证码", exact=True).fill(code)
        page.get_by_role("button", name="开启两步验证").click()
        page.get_by_role("link", name="我已保存，继续").click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/login/enrol")


def login(page, base: str, email: str, password: str = Factories.PASSWORD) -> None:
    """Sign in through the login page, answering the second factor when asked."""
    page.goto(base + "/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    answer_second_factor(page, base, email)
    page.wait_for_load_state()
