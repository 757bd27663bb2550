"""API tokens: made on the settings page or the CLI, stored hashed, shown once, revocable."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from app.auth.models import ApiToken, Role
from app.extensions import db


def _session_cookie(app, client) -> dict:
    cookie = client.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_settings_page_shows_a_new_token_once_and_stores_only_its_hash(app, login_as, api):
    client, user = login_as(Role.BANK_OFFICER)
    response = client.post("/account/tokens", {"name": "信贷系统对接"})
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
