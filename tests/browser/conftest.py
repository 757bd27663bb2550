"""A live server on 127.0.0.1 with its own migrated SQLite database, and Chromium."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from config import TestConfig

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
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
