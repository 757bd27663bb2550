"""Configuring sources: validation, and the token encrypted at rest and never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import ValidationFailed
from app.extensions import db
from app.sources import services
from app.sources.crypto import TokenUnreadable, decrypt_token, encrypt_token
from tests.sources.conftest import TOKEN


def test_token_is_encrypted_at_rest_and_round_trips(app):
    ds = services.set_source("tax_payments", "https://data.example.test/api/", TOKEN)
    stored = db.session.execute(
        text("SELECT token_encrypted FROM data_sources WHERE source = 'tax_payments'")
    ).scalar_one()
    assert TOKEN not in stored and TOKEN[-8:] not in stored
    assert decrypt_token(stored) == TOKEN
    assert services.masked_token(ds) == "••••" + TOKEN[-4:]
    assert TOKEN not in repr(ds)
    assert ds.base_url == "https://data.example.test/api"  # trailing slash dropped


def test_each_encryption_differs_and_another_secret_cannot_read_it(app, monkeypatch):
    first, second = encrypt_token(TOKEN), encrypt_token(TOKEN)
    assert first != second
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-for-this-test")
    with pytest.raises(TokenUnreadable):
        decrypt_token(first)


def test_unreadable_token_is_masked_with_a_hint(app, monkeypatch):
    ds = services.set_source("tax_payments", "https://data.example.test", TOKEN)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-for-this-test")
    assert services.masked_token(ds).startswith("••••")
    assert "重新设置" in services.masked_token(ds)


def test_short_tokens_show_no_characters(app):
    ds = services.set_source("tax_payments", "https://data.example.test", "abc123")
    assert services.masked_token(ds) == "••••"


def test_blank_token_keeps_the_stored_one(app):
    services.set_source("tax_payments", "https://a.example.test", TOKEN)
    ds = services.set_source("tax_payments", "https://b.example.test", "", interval_minutes=30)
    assert decrypt_token(ds.token_encrypted) == TOKEN
    assert ds.base_url == "https://b.example.test" and ds.interval_minutes == 30
    ds = services.set_source("tax_payments", "https://b.example.test", "new-token-0000000000zz")
    assert decrypt_token(ds.token_encrypted) == "new-token-0000000000zz"


@pytest.mark.parametrize(
    ("args", "kwargs", "field", "message"),
    [
        (("loans", "https://x.test", TOKEN), {}, "source", "未知数据源"),
        (("tax_payments", "ftp://x.test", TOKEN), {}, "url", "http://"),
        (("tax_payments", "x.test/api", TOKEN), {}, "url", "http://"),
        (("tax_payments", "https://u:p@x.test", TOKEN), {}, "url", "用户名或密码"),
        (("tax_payments", "https://x.test/?k=1", TOKEN), {}, "url", "查询参数"),
        (("tax_payments", "https://x.test", ""), {}, "token", "令牌"),
        (("tax_payments", "https://x.test", "two words"), {}, "token", "空白"),
        (
            ("tax_payments", "https://x.test", TOKEN),
            {"interval_minutes": 0},
            "interval_minutes",
            "间隔",
        ),
        (
            ("tax_payments", "https://x.test", TOKEN),
            {"timeout_seconds": 0},
            "timeout_seconds",
            "超时",
        ),
    ],
)
def test_bad_settings_are_refused(app, args, kwargs, field, message):
    with pytest.raises(ValidationFailed) as info:
        services.set_source(*args, **kwargs)
    assert info.value.field == field
    assert message in info.value.message


def test_list_sources_follows_the_design_order(app):
    for name in ("social_insurance", "enterprises", "tax_ratings"):
        services.set_source(name, "https://x.test", TOKEN)
    assert [ds.source for ds in services.list_sources()] == [
        "enterprises",
        "tax_ratings",
        "social_insurance",
    ]
