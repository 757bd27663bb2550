"""Health checks, the home page, languages, security headers and production settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.auth.models import Role
from app.extensions import db
from config import DEMO_SECRET_KEY, ProductionConfig


def test_healthz_and_readyz(web):
    assert web.get("/healthz").get_json() == {"status": "ok"}
    assert web.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_home_page_is_chinese_with_login(web):
    page = web.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="zh-CN"' in text
    assert "登录" in text and "企业注册" in text


def test_english_on_request_and_remembered(web):
    assert 'lang="en"' in web.get("/", headers={"Accept-Language": "en-US,en"}).get_data(
        as_text=True
    )
    web.post("/lang", {"locale": "en", "next": "/"})
    page = web.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    web.post("/lang", {"locale": "zh", "next": "/"})
    assert "登录" in web.get("/").get_data(as_text=True)


def test_language_choice_is_remembered_per_user(app, login_as):
    from tests.conftest import WebClient

    client, user = login_as(Role.ENTERPRISE)
    client.post("/lang", {"locale": "en", "next": "/"})
    db.session.refresh(user)
    assert user.locale == "en"
    again = WebClient(app.test_client())
    again.login(user)
    assert 'lang="en"' in again.get("/enterprise").get_data(as_text=True)


def test_language_switch_refuses_offsite_redirects(web):
    response = web.post("/lang", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_security_headers(web):
    response = web.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_use_no_outside_assets(web):
    page = web.get("/").get_data(as_text=True)
    assert "http://" not in page.replace("http://127.0.0.1", "")
    assert "https://" not in page
    css = web.get("/static/css/app.css")
    assert css.status_code == 200
    css.close()


def test_unknown_page_is_a_chinese_404(web):
    response = web.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("key", [None, DEMO_SECRET_KEY, "short"])
def test_production_refuses_missing_or_demo_secret(monkeypatch, key):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_the_per_process_limiter_store(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    monkeypatch.setenv("SMS_SENDER", "http")
    for store in (None, "memory://"):
        if store is None:
            monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
        else:
            monkeypatch.setenv("RATELIMIT_STORAGE_URI", store)
        with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
            create_app(ProductionConfig)


def test_production_refuses_to_log_verification_codes(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("SMS_SENDER", raising=False)
    with pytest.raises(RuntimeError, match="SMS_SENDER"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    monkeypatch.setenv("SMS_SENDER", "http")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_small_buttons_keep_their_own_text_colour():
    """.btn-small sets size only: forcing white text made every small ghost button (white
    background) invisible ("我的异议", "全部标为已读", "暂停")."""
    css = (Path(__file__).resolve().parents[2] / "app/static/css/app.css").read_text()
    rule = re.search(r"\.btn-small\s*\{([^}]*)\}", css).group(1)
    assert "color" not in rule
