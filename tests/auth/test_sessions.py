"""Security probe findings, fixed: logout and "sign out everywhere" end the session on the
server; unknown and existing addresses get the same check, answer and lock; the client
address comes from the configured number of trusted proxies."""

from __future__ import annotations

from sqlalchemy import select

from app import create_app
from app.auth import services
from app.auth.models import Role
from app.extensions import db
from app.identity.models import AccountEvent
from config import TestConfig
from tests.conftest import WebClient


def _copy(app, client: WebClient) -> WebClient:
    """Another browser holding a copy of `client`'s session cookie."""
    copy = WebClient(app.test_client())
    name = app.config["SESSION_COOKIE_NAME"]
    copy.client.set_cookie(name, client.client.get_cookie(name).value)
    return copy


def test_a_cookie_copied_before_logout_opens_nothing_after(app, login_as):
    client, _user = login_as(Role.ENTERPRISE)
    stolen = _copy(app, client)
    assert stolen.get("/enterprise").status_code == 200
    client.logout()
    assert stolen.get("/enterprise").status_code == 302
    assert "/login" in stolen.get("/enterprise").headers["Location"]


def test_logout_ends_only_this_browser(app, login_as):
    client, user = login_as(Role.ENTERPRISE)
    phone = WebClient(app.test_client())
    phone.login(user)
    client.logout()
    assert phone.get("/enterprise").status_code == 200


def test_sign_out_everywhere_ends_every_session(app, login_as):
    client, user = login_as(Role.ENTERPRISE)
    phone = WebClient(app.test_client())
    phone.login(user)
    stolen = _copy(app, phone)
    page = client.get("/account/settings").get_data(as_text=True)
    assert page.count('<tr><td data-label="登录时间">') >= 2 and "当前设备" in page
    assert client.post("/account/sessions/end").status_code == 302
    for browser in (client, phone, stolen):
        assert browser.get("/enterprise").status_code == 302
    kinds = db.session.scalars(select(AccountEvent.kind).where(AccountEvent.user_id == user.id))
    assert "logout_everywhere" in list(kinds)


def test_unknown_and_existing_addresses_get_the_same_hash_check(app, factories):
    """The dummy hash is made by the configured method (scrypt in production), not a cheap
    one: the check of an unknown address costs what a real one does."""
    user = factories.user(Role.ENTERPRISE)
    method = app.config["PASSWORD_HASH_METHOD"]
    assert services._dummy_hash().split("$")[0] == user.password_hash.split("$")[0] == method
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        assert services._dummy_hash().startswith("scrypt:")
        assert services.hash_password("x").split("$")[0] == services._dummy_hash().split("$")[0]
    finally:
        app.config["PASSWORD_HASH_METHOD"] = method


def test_an_unknown_address_locks_like_an_account(web, factories, app):
    user = factories.user(Role.BANK_OFFICER)
    db.session.commit()
    answers = {}
    for email in (user.email, "nobody@example.test"):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            web.post("/login", {"email": email, "password": "Wrong-password-1"})
        locked = web.post("/login", {"email": email, "password": "Wrong-password-1"})
        answers[email] = (locked.status_code, "账户已临时锁定" in locked.get_data(as_text=True))
    assert answers[user.email] == answers["nobody@example.test"] == (429, True)


def test_the_client_address_comes_from_the_trusted_proxies(database_url):
    def client_ip(proxies: int) -> str:
        class Cfg(TestConfig):
            SQLALCHEMY_DATABASE_URI = database_url
            TRUSTED_PROXIES = proxies

        app = create_app(Cfg)
        seen = {}

        @app.get("/_ip")
        def _ip():
            from flask import request

            seen["ip"] = request.remote_addr
            return ""

        # The client forged the first entry; the one proxy appended the true address.
        app.test_client().get(
            "/_ip", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )  # fmt: skip
        return seen["ip"]

    assert client_ip(0) == "10.0.0.2"
    assert client_ip(1) == "203.0.113.9"
    assert client_ip(2) == "6.6.6.6"  # trusting more proxies than there are lets clients lie


def test_a_password_change_offers_to_revoke_the_api_tokens(login_as, factories, api):
    client, user = login_as(Role.ENTERPRISE)
    kept = factories.token(user)
    db.session.commit()
    page = client.get("/account/password").get_data(as_text=True)
    assert "同时吊销我的全部 API 令牌" in page and "1 个有效的 API 令牌" in page
    form = {"current_password": factories.PASSWORD, "new_password": "Brand-new-2026",
            "confirm": "Brand-new-2026"}  # fmt: skip
    assert client.post("/account/password", form).status_code == 302
    assert api.get("/api/v1/me", token=kept).status_code == 200  # not asked: kept
    second = {"current_password": "Brand-new-2026", "new_password": "Second-new-2027",
              "confirm": "Second-new-2027", "revoke_tokens": "y"}  # fmt: skip
    assert client.post("/account/password", second).status_code == 302
    assert api.get("/api/v1/me", token=kept).status_code == 401
    details = db.session.scalars(
        select(AccountEvent.detail).where(
            AccountEvent.user_id == user.id, AccountEvent.kind == "password_changed"
        )
    )
    assert list(details) == ["", "同时吊销 1 个 API 令牌"]
