"""Test fixtures: the schema once per session by migrations, each test rolled back.

SQLite (a temporary file) by default; PostgreSQL when TEST_DATABASE_URL is set.

Time is frozen for every test at `XYD_TEST_NOW` (an ISO 8601 instant; default
`DEFAULT_NOW`) and ticks on from there, so no test depends on the day it runs.
`make test-dates` runs the suite again at the awkward dates in `tests/dates.txt`.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from hypothesis import settings
from sqlalchemy import text

from app import create_app
from app.extensions import db, limiter
from config import TestConfig
from tests.factories import Factories, second_factor_answer

# Property tests (Hypothesis) draw the same examples on every run, so that a suite that
# passes passes again on any machine and a failure is reproduced by running it again. A
# search for new cases draws at random: XYD_PROPERTY_EXPLORE=1, with XYD_PROPERTY_EXAMPLES
# (say 500) for a longer one; what it finds is pinned as an explicit test.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("XYD_PROPERTY_EXPLORE") else "repeatable")

# The contract run (tests/fuzz) sends tens of thousands of requests: `make fuzz` only.
collect_ignore = [] if os.environ.get("XYD_FUZZ") else ["fuzz"]

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A Wednesday in the middle of an ordinary month, in Asia/Shanghai working hours.
DEFAULT_NOW = "2026-11-18T10:00:00+08:00"


def frozen_now() -> datetime:
    """The instant every test starts at (`XYD_TEST_NOW`, else `DEFAULT_NOW`)."""
    return datetime.fromisoformat(os.environ.get("XYD_TEST_NOW") or DEFAULT_NOW)


@pytest.fixture(autouse=True)
def _clock(request):
    """Every test starts at the same instant; the clock then ticks (timeouts still work).

    Tests marked `wall_clock` compare times with other processes, which run at the wall
    clock; they must not depend on the date themselves. Tests marked `frozen_at(ISO)` hold
    records at fixed dates and run at that instant whatever `XYD_TEST_NOW` says.
    """
    if request.node.get_closest_marker("wall_clock"):
        yield None
        return
    pinned = request.node.get_closest_marker("frozen_at")
    start = datetime.fromisoformat(pinned.args[0]) if pinned else frozen_now()
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


class BoundSession(FlaskSession):
    """A Flask-SQLAlchemy session that honours an explicit `bind` (the test connection)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper, clause, bind, **kwargs)


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    The test itself holds an app context (for factories and queries); without this,
    requests would reuse it and share `g` (and Flask-Login's cached user) with each other.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # see what the request wrote
        return response


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def audit_root(tmp_path_factory):
    """The access log's signing key and checkpoint directories live here, not in instance/."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root = tmp_path_factory.mktemp("audit")
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (root / "signing-key.pem").write_bytes(pem)
    return root


@pytest.fixture(scope="session")
def app(database_url, audit_root):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        AUDIT_SIGNING_KEY_FILE = str(audit_root / "signing-key.pem")

    app = create_app(Cfg)
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test inside one outer transaction that is rolled back at the end."""
    if request.node.get_closest_marker("committing"):
        yield
        return
    ctx = app.app_context()
    ctx.push()
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {"class_": BoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )
    limiter.reset()
    try:
        yield
    finally:
        db.session.remove()
        db.session = original
        if outer.is_active:
            outer.rollback()
        connection.close()
        ctx.pop()


_checkpoint_dirs = iter(range(1, 10**9))


@pytest.fixture(autouse=True)
def _checkpoint_dir(app, audit_root):
    """Each test its own checkpoint directory (created on first use): the database rows of a
    test's checkpoints are rolled back, so its files must not outlive it either."""
    app.config["AUDIT_CHECKPOINT_DIR"] = str(audit_root / f"checkpoints-{next(_checkpoint_dirs)}")


@pytest.fixture
def factories(app) -> Factories:
    return Factories()


class WebClient:
    """A test client that fills in CSRF tokens and logs in as a user."""

    def __init__(self, client):
        self.client = client
        self._csrf: str | None = None

    def csrf_token(self) -> str:
        if self._csrf is None:
            page = self.client.get("/").get_data(as_text=True)  # the header form has one
            match = CSRF_RE.search(page)
            assert match, "no CSRF token on /"
            self._csrf = match.group(1)
        return self._csrf

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, path, data=None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=data, **kwargs)

    def login(self, user, password: str = Factories.PASSWORD):
        """Sign in as `user`, answering the second factor when it is asked
        (`second_factor_answer`); a privileged user made without one enrols first."""
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        self._csrf = None  # the session was renewed at login
        step = urlsplit(response.location).path
        if step == "/login/code":
            response = self.post(step, {"code": second_factor_answer(user)})
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            self._csrf = None
        elif step == "/login/enrol":  # made without the second factor: enrols, as a user would
            enrolled = self.post(step, {"code": second_factor_answer(user)})
            assert enrolled.status_code == 200, enrolled.get_data(as_text=True)[:500]
            self._csrf = None
        return response

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def web(app) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture
def login_as(app, factories):
    """`login_as("bank_officer")` → (WebClient logged in, user)."""

    def _login(role: str, **kwargs):
        user = factories.user(role, **kwargs)
        db.session.commit()
        client = WebClient(app.test_client())
        client.login(user)
        return client, user

    return _login


@pytest.fixture
def api(app):
    """`api.get(path, token=...)`: a JSON client for /api/v1/."""

    class Api:
        def __init__(self, client):
            self.client = client

        def _headers(self, token):
            return {"Authorization": f"Bearer {token}"} if token else {}

        def get(self, path, token=None, **kw):
            return self.client.get(path, headers=self._headers(token), **kw)

        def post(self, path, json=None, token=None, **kw):
            return self.client.post(path, json=json, headers=self._headers(token), **kw)

        def patch(self, path, json=None, token=None, **kw):
            return self.client.patch(path, json=json, headers=self._headers(token), **kw)

        def delete(self, path, token=None, **kw):
            return self.client.delete(path, headers=self._headers(token), **kw)

    return Api(app.test_client())


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 and the app's mail configured to it; its `Inbox`."""
    from aiosmtpd.controller import Controller

    from tests.smtp import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for key, value in {
        "MAIL_SENDER": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port,
        "SMTP_SECURITY": "none", "MAIL_FROM": "信易贷 <noreply@xyd.test>",
        "PUBLIC_BASE_URL": "https://xyd.example.cn/",
    }.items():  # fmt: skip
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()
