"""An enterprise reads its own access log (web, CSV, API) and nobody else's."""

from __future__ import annotations

import pytest

from app.audit import services
from app.audit.api import AccessEntry
from app.auth.models import Role
from app.extensions import db
from tests.api.documented import documented


@pytest.fixture
def logged(factories):
    """Two banks looked at enterprise A; one looked at enterprise B."""
    bank_x, bank_y = factories.bank(code="XLOOK", name="西安观察银行"), factories.bank(code="YLOOK")
    officer_x = factories.user(Role.BANK_OFFICER, bank=bank_x)
    officer_y = factories.user(Role.BANK_OFFICER, bank=bank_y)
    owner_a, owner_b = factories.user(Role.ENTERPRISE), factories.user(Role.ENTERPRISE)
    a, b = owner_a.enterprise, owner_b.enterprise
    common = {"endpoint": "/api/v1/enterprises/x/profile", "channel": "api", "ip": "192.0.2.1"}
    services.append(user_id=officer_x.id, bank_id=bank_x.id, enterprise_id=a.id, outcome="allowed",
                    requested=["tax_payments"], granted=["tax_payments"], purpose="贷款审查", **common)  # fmt: skip
    services.append(user_id=officer_y.id, bank_id=bank_y.id, enterprise_id=a.id, outcome="denied",
                    requested=["utility_bills"], reason="no_authorization", **common)  # fmt: skip
    services.append(user_id=officer_y.id, bank_id=bank_y.id, enterprise_id=b.id, outcome="denied",
                    requested=["tax_payments"], purpose="秘密用途B", **common)  # fmt: skip
    db.session.commit()
    return owner_a, owner_b


def test_enterprise_sees_its_own_log_with_filters(app, logged):
    from tests.conftest import WebClient

    owner_a, _owner_b = logged
    client = WebClient(app.test_client())
    client.login(owner_a)
    page = client.get("/enterprise/access-log").get_data(as_text=True)
    assert "西安观察银行" in page and "贷款审查" in page
    assert "秘密用途B" not in page  # B's log never shows
    assert "已拒绝" in page
    denied = client.get("/enterprise/access-log?outcome=denied").get_data(as_text=True)
    assert "贷款审查" not in denied
    by_bank = client.get("/enterprise/access-log?bank=XLOOK").get_data(as_text=True)
    assert "贷款审查" in by_bank


def test_csv_export(app, logged):
    from tests.conftest import WebClient

    owner_a, _ = logged
    client = WebClient(app.test_client())
    client.login(owner_a)
    response = client.get("/enterprise/access-log.csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    lines = text.strip().splitlines()
    assert len(lines) == 3  # header + A's two rows
    assert "秘密用途B" not in text
    # words, as on the page, never the codes
    assert "纳税记录" in text and "已允许" in text and "已拒绝：未获授权" in text
    for code in ("tax_payments", "allowed", "denied", "no_authorization", ",web,", ",api,"):
        assert code not in text, code


def test_api_access_log_is_the_callers_own(api, factories, logged):
    owner_a, _owner_b = logged
    token_a = factories.token(owner_a)
    db.session.commit()
    entries = api.get("/api/v1/me/access-log", token=token_a).get_json()
    assert [e["outcome"] for e in entries] == ["denied", "allowed"]
    allowed = entries[1]
    assert allowed["bank"] == "XLOOK" and allowed["categories"] == ["tax_payments"]
    assert set(allowed) >= {"at", "bank", "user", "categories", "purpose", "endpoint", "outcome"}
    assert entries[0]["categories"] == []  # a denied read gave nothing
    only_denied = api.get("/api/v1/me/access-log?outcome=denied", token=token_a).get_json()
    assert len(only_denied) == 1
    documented(api, "/api/v1/me/access-log", AccessEntry, entries)


def test_api_access_log_query_is_checked(api, factories, logged):
    """Filters as documented; a wrong one is 422 naming every wrong field (it used to be
    ignored); a limit past the most reads as the most."""
    owner_a, _owner_b = logged
    token = factories.token(owner_a)
    db.session.commit()
    wrong = api.get("/api/v1/me/access-log?outcome=maybe&from=yesterday&limit=x", token=token)
    assert wrong.status_code == 422
    error = wrong.get_json()["error"]
    assert error["code"] == "validation_failed" and error["field"] in error["fields"]
    assert set(error["fields"]) == {"outcome", "from", "limit"}
    assert len(api.get("/api/v1/me/access-log?limit=9999", token=token).get_json()) == 2
    paged = api.get("/api/v1/me/access-log?limit=1&offset=1&bank=", token=token).get_json()
    assert [e["outcome"] for e in paged] == ["allowed"]  # an empty value is no filter
    first = api.get("/api/v1/me/access-log?from=2020-01-01&limit=1", token=token)
    assert (
        first.headers["Link"]
        == '</api/v1/me/access-log?from=2020-01-01&limit=1&offset=1>; rel="next"'
    )
    last = api.get("/api/v1/me/access-log?from=2020-01-01&limit=1&offset=1", token=token)
    assert (
        last.headers["Link"]
        == '</api/v1/me/access-log?from=2020-01-01&limit=1&offset=0>; rel="prev"'
    )


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN])
def test_other_roles_cannot_read_an_access_log(api, login_as, factories, role):
    token = factories.token(factories.user(role))
    db.session.commit()
    assert api.get("/api/v1/me/access-log", token=token).status_code == 403
    client, _ = login_as(role)
    assert client.get("/enterprise/access-log").status_code == 403
    assert client.get("/enterprise/access-log.csv").status_code == 403


def test_operator_sees_chain_status(login_as, app):
    client, _ = login_as(Role.ADMIN)
    assert "尚未校验" in client.get("/admin/audit").get_data(as_text=True)
    app.test_cli_runner().invoke(args=["audit", "verify"])
    assert "链条完整" in client.get("/admin/audit").get_data(as_text=True)
