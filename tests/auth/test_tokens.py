"""API tokens: made on the settings page or the CLI, stored hashed, shown once, revocable;
each expires and is read-only or read-write."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from app.auth import services as auth_services
from app.auth.models import ApiToken, Role, TokenScope
from app.extensions import db
from tests.products.helpers import DEFAULTS


def _session_cookie(app, client) -> dict:
    cookie = client.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_settings_page_shows_a_new_token_once_and_stores_only_its_hash(app, login_as, api):
    client, user = login_as(Role.BANK_OFFICER)
    response = client.post(
        "/account/tokens", {"name": "信贷系统对接", "days": "90", "scope": "read"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Shown in this answer only: the plaintext never travels in the (signed, readable) cookie.
    assert not any("xyd_" in str(value) for value in _session_cookie(app, client).values())
    plaintext = re.search(r'id="new-token">(xyd_[^<]+)<', page).group(1)
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in stored.token_hash + stored.prefix + stored.name
    assert plaintext not in client.get("/account/settings").get_data(as_text=True)
    assert api.get("/api/v1/me", token=plaintext).get_json()["email"] == user.email


def test_revoked_token_stops_working(login_as, factories, api):
    client, user = login_as(Role.ENTERPRISE)
    token = factories.token(user)
    db.session.commit()
    assert api.get("/api/v1/me", token=token).status_code == 200
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    response = api.get("/api/v1/me", token=token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"


def test_cannot_revoke_someone_elses_token(login_as, factories, api):
    client, _user = login_as(Role.ENTERPRISE)
    victim = factories.user(Role.BANK_OFFICER)
    token = factories.token(victim)
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == victim.id))
    client.post(f"/account/tokens/{token_id}/revoke")
    assert api.get("/api/v1/me", token=token).status_code == 200


def test_cli_token_prints_token_on_last_line(app, factories, api):
    user = factories.user(Role.REGULATOR)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "token", user.email])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    assert api.get("/api/v1/me", token=plaintext).get_json()["role"] == "regulator"


def test_a_token_expires_after_the_days_it_was_given(factories, api, _clock):
    user = factories.user(Role.ENTERPRISE)
    made, plaintext = auth_services.issue_token(user, "short", days=30)
    db.session.commit()
    assert made.expires_at - made.created_at == timedelta(days=30)
    assert api.get("/api/v1/me", token=plaintext).status_code == 200
    _clock.shift(timedelta(days=30, seconds=1))
    response = api.get("/api/v1/me", token=plaintext)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"
    assert auth_services.active_tokens(user) == 0


def test_a_validity_or_scope_outside_the_lists_is_refused(factories):
    user = factories.user(Role.ENTERPRISE)
    for kwargs, field in (({"days": 3650}, "days"), ({"scope": "admin"}, "scope")):
        try:
            auth_services.issue_token(user, "x", **kwargs)
        except auth_services.ValidationFailed as exc:
            assert exc.field == field
        else:
            raise AssertionError(f"{kwargs} was accepted")


def test_a_read_only_token_reads_but_cannot_write(factories, api):
    officer = factories.user(Role.BANK_ADMIN)
    _made, reader = auth_services.issue_token(officer, "reader", scope=TokenScope.READ)
    _made, writer = auth_services.issue_token(officer, "writer", scope=TokenScope.WRITE)
    db.session.commit()
    assert api.get("/api/v1/products", token=reader).status_code == 200
    product = {**DEFAULTS, "name": "只读令牌测试贷"}
    refused = api.post("/api/v1/products", json=product, token=reader)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "token_read_only"
    assert api.post("/api/v1/products", json=product, token=writer).status_code == 201


def test_an_expired_token_is_refused_where_a_token_is_optional(factories, api, _clock):
    """`GET /products` answers anyone, but a token that was sent must be in force."""
    officer = factories.user(Role.BANK_OFFICER)
    _made, plaintext = auth_services.issue_token(officer, "x", days=30)
    db.session.commit()
    _clock.shift(timedelta(days=31))
    assert api.get("/api/v1/products", token=plaintext).status_code == 401
    assert api.get("/api/v1/products").status_code == 200


def test_the_settings_form_keeps_what_was_typed_and_marks_a_bad_choice(login_as):
    client, user = login_as(Role.ENTERPRISE)
    response = client.post("/account/tokens", {"name": "对账", "days": "3650", "scope": "read"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="对账"' in page and "has-error" in page
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None


def test_the_settings_page_lists_scope_and_expiry(login_as, factories, _clock):
    client, user = login_as(Role.ENTERPRISE)
    auth_services.issue_token(user, "旧令牌", days=30, scope=TokenScope.READ)
    db.session.commit()
    _clock.shift(timedelta(days=31))
    client.login(user)  # the browser's session has ended meanwhile
    page = client.get("/account/settings").get_data(as_text=True)
    assert "只读（仅查询）" in page and "已过期" in page and "吊销</button>" not in page


def test_cli_token_takes_days_and_read_only(app, factories, api):
    user = factories.user(Role.REGULATOR)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["users", "token", user.email, "--days", "30", "--read-only"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("read token")
    plaintext = result.output.strip().splitlines()[-1]
    made = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert made.scope == TokenScope.READ and made.expires_at - made.created_at == timedelta(days=30)
    assert api.get("/api/v1/me", token=plaintext).status_code == 200
