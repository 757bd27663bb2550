"""Logging in and out, lock-out, throttling, password changes, role home pages."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from tests.conftest import WebClient


@pytest.mark.parametrize(
    ("role", "home", "marker"),
    [
        (Role.ENTERPRISE, "/enterprise", "登记信息"),
        (Role.BANK_OFFICER, "/bank", "信贷员"),
        (Role.BANK_ADMIN, "/bank", "本行人员"),
        (Role.REGULATOR, "/office", "融资服务概览"),
        (Role.ADMIN, "/admin", "平台运营"),
    ],
)
def test_each_role_lands_on_its_own_home(login_as, role, home, marker):
    client, _user = login_as(role)
    response = client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].endswith(home)
    page = client.get(home)
    assert page.status_code == 200
    assert marker in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (Role.ENTERPRISE, ["/bank", "/office", "/admin"]),
        (Role.BANK_OFFICER, ["/enterprise", "/office", "/admin"]),
        (Role.REGULATOR, ["/enterprise", "/bank", "/admin"]),
        (Role.ADMIN, ["/enterprise", "/bank", "/office"]),
    ],
)
def test_other_roles_home_pages_are_forbidden(login_as, role, forbidden):
    client, _user = login_as(role)
    for path in forbidden:
        assert client.get(path).status_code == 403, path


def test_anonymous_is_sent_to_login(web):
    response = web.get("/admin")
    assert response.status_code == 302
    assert "/login?next=/admin" in response.headers["Location"]


def test_wrong_password_and_unknown_email_get_the_same_answer(web, factories):
    user = factories.user(Role.ENTERPRISE)
    db.session.commit()
    wrong = web.post("/login", {"email": user.email, "password": "Wrong-password-1"})
    unknown = web.post("/login", {"email": "nobody@example.test", "password": "Wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码错误" in wrong.get_data(as_text=True)
    assert "邮箱或密码错误" in unknown.get_data(as_text=True)


def test_account_locks_after_repeated_failures(web, factories, app):
    user = factories.user(Role.BANK_OFFICER)
    db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        web.post("/login", {"email": user.email, "password": "Wrong-password-1"})
    # Even the right password is refused while locked.
    locked = web.post("/login", {"email": user.email, "password": factories.PASSWORD})
    assert locked.status_code == 429
    assert "账户已临时锁定" in locked.get_data(as_text=True)


def test_login_is_throttled_per_address(web, app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            web.post("/login", {"email": "x@example.test", "password": "Nope-123456"}).status_code
            for _ in range(4)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "20 per minute"
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429


def test_login_ignores_offsite_next(web, factories):
    user = factories.user(Role.ENTERPRISE)  # no second step (see test_totp)
    db.session.commit()
    response = web.post(
        "/login?next=https://evil.example/steal",
        {"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/home"


def test_logout_ends_the_session(login_as):
    client, _user = login_as(Role.REGULATOR)
    assert client.get("/office").status_code == 200
    assert client.logout().status_code == 302
    assert client.get("/office").status_code == 302


def test_logout_needs_post_with_csrf(login_as):
    client, _user = login_as(Role.REGULATOR)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/office").status_code == 200


def test_change_password_ends_other_sessions(app, login_as, factories):
    client, user = login_as(Role.ENTERPRISE)
    other = WebClient(app.test_client())
    other.login(user)
    response = client.post(
        "/account/password",
        {
            "current_password": factories.PASSWORD,
            "new_password": "Brand-new-2026",
            "confirm": "Brand-new-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/enterprise").status_code == 200  # this session stays
    assert other.get("/enterprise").status_code == 302  # the other one is logged out
    fresh = WebClient(app.test_client())
    assert (
        fresh.post("/login", {"email": user.email, "password": "Brand-new-2026"}).status_code == 302
    )


def test_change_password_refuses_wrong_current_and_weak_new(login_as):
    client, _user = login_as(Role.ENTERPRISE)
    wrong = client.post(
        "/account/password",
        {
            "current_password": "not-it-123",
            "new_password": "Brand-new-2026",
            "confirm": "Brand-new-2026",
        },
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    weak = client.post(
        "/account/password",
        {"current_password": "Passw0rd-for-tests", "new_password": "short1", "confirm": "short1"},
    )
    assert weak.status_code == 422 and "密码至少需要 10 位" in weak.get_data(as_text=True)


def test_registration_page_is_for_businesses_only(web):
    page = web.get("/register").get_data(as_text=True)
    assert "统一社会信用代码" in page
    assert "仅限企业注册" in page
    assert 'name="role"' not in page
