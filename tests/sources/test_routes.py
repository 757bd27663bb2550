"""The operator's data-source pages: only admins, token masked, pull now with CSRF."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.sources import services
from app.sources.crypto import decrypt_token
from tests.conftest import CSRF_RE
from tests.sources.conftest import TOKEN, Answer, enterprise_record, paged, registry_count


@pytest.fixture
def login_as(login_as):
    """Logged-in clients take their CSRF token from a page they can see (not /login)."""

    def _login(role: str):
        client, user = login_as(role)
        page = client.get("/account/settings").get_data(as_text=True)
        client._csrf = CSRF_RE.search(page).group(1)
        return client, user

    return _login


@pytest.mark.parametrize("role", ["enterprise", "bank_officer", "bank_admin", "regulator"])
def test_non_admins_get_403(login_as, role):
    client, _user = login_as(role)
    assert client.get("/admin/sources").status_code == 403
    assert client.get("/admin/sources/tax_payments/edit").status_code == 403
    assert client.post("/admin/sources/tax_payments/pull").status_code == 403
    response = client.post("/admin/sources/tax_payments/edit", {"url": "https://x.test"})
    assert response.status_code == 403
    assert services.get_source("tax_payments") is None


def test_anonymous_is_sent_to_login(web):
    response = web.get("/admin/sources")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_sources_with_the_token_masked(login_as, server):
    services.set_source("tax_payments", server.url, TOKEN)
    db.session.commit()
    client, _user = login_as("admin")
    page = client.get("/admin/sources").get_data(as_text=True)
    assert server.url in page and "••••" + TOKEN[-4:] in page
    assert TOKEN not in page
    assert "未配置" in page  # the five others
    assert 'href="/admin/sources"' in client.get("/admin").get_data(as_text=True)  # nav link
    edit = client.get("/admin/sources/tax_payments/edit").get_data(as_text=True)
    assert TOKEN not in edit and "••••" + TOKEN[-4:] in edit
    assert f'value="{server.url}"' in edit  # the form starts from what is stored


def test_admin_configures_a_source_and_blank_token_keeps_it(login_as):
    client, user = login_as("admin")
    form = {"url": "https://data.example.test/api", "token": TOKEN,
            "interval_minutes": "90", "timeout_seconds": "15", "enabled": "y"}  # fmt: skip
    response = client.post("/admin/sources/social_insurance/edit", form)
    assert response.status_code == 302
    ds = services.get_source("social_insurance")
    assert ds.interval_minutes == 90 and ds.timeout_seconds == 15 and ds.enabled
    assert ds.updated_by_user_id == user.id

    response = client.post(
        "/admin/sources/social_insurance/edit", {**form, "token": "", "interval_minutes": "45"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    ds = services.get_source("social_insurance")
    assert ds.interval_minutes == 45 and decrypt_token(ds.token_encrypted) == TOKEN
    assert "数据源 social_insurance 已保存" in client.get("/admin/sources").get_data(as_text=True)


def test_a_new_source_needs_a_token_and_keeps_what_was_typed(login_as):
    client, _user = login_as("admin")
    response = client.post(
        "/admin/sources/tax_ratings/edit",
        {"url": "https://typed.example.test", "token": "", "interval_minutes": "60",
         "timeout_seconds": "30"},
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写访问令牌" in body and 'value="https://typed.example.test"' in body
    assert services.get_source("tax_ratings") is None


def test_bad_url_is_shown_beside_the_field(login_as):
    client, _user = login_as("admin")
    response = client.post(
        "/admin/sources/tax_ratings/edit",
        {"url": "ftp://x.test", "token": TOKEN, "interval_minutes": "60", "timeout_seconds": "30"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "http://" in body and TOKEN not in body


def test_unknown_source_is_404(login_as):
    client, _user = login_as("admin")
    assert client.get("/admin/sources/loans/edit").status_code == 404


def test_pull_now_runs_the_pull_and_shows_the_summary(login_as, server, factories, ingest):
    rows = [enterprise_record(factories, i) for i in range(2)]
    server.script = paged([rows])
    services.set_source("enterprises", server.url, TOKEN)
    db.session.commit()
    client, _user = login_as("admin")

    response = client.post("/admin/sources/enterprises/pull")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "拉取结果" in body and "新增" in body
    assert registry_count([r["uscc"] for r in rows]) == 2
    assert ingest[0].origin == "pull"
    assert services.get_source("enterprises").last_status == "ok"
    assert TOKEN not in body


def test_pull_now_failure_is_shown_on_the_list(login_as, server, ingest):
    server.script = lambda req, n: Answer(401)
    services.set_source("enterprises", server.url, TOKEN)
    db.session.commit()
    client, _user = login_as("admin")

    response = client.post("/admin/sources/enterprises/pull")
    assert response.status_code == 302
    page = client.get("/admin/sources").get_data(as_text=True)
    assert "HTTP 401" in page and "失败" in page


def test_pull_now_needs_the_csrf_token(login_as, server):
    services.set_source("enterprises", server.url, TOKEN)
    db.session.commit()
    client, _user = login_as("admin")
    response = client.post("/admin/sources/enterprises/pull", csrf=False)
    assert response.status_code == 400
    assert server.requests == []
