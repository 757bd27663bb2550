"""The enterprise's 数据采集授权 page: state, consent text, grant, revoke with confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consent import services
from app.consent.models import Authorization
from app.extensions import db
from tests.conftest import CSRF_RE

PAGE = "/consent/collection"


def _open(web, path=PAGE):
    """GET a page and take its CSRF token (logged-in users cannot fetch /login)."""
    response = web.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    if match:
        web._csrf = match.group(1)
    return response


def test_page_shows_every_category_unauthorized_and_the_full_text(login_as, collection_text):
    web, _user = login_as("enterprise")
    response = _open(web)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for label in ("纳税信用评价", "纳税记录", "水电气暖缴费", "社会保险缴纳"):
        assert label in body
    assert body.count("未授权") >= 4
    assert "撤销前已采集的记录仍保留" in body  # the text, in full
    assert collection_text.sha256[:12] in body and "版本" in body
    assert 'href="/consent/collection"' in body  # nav link


def test_grant_from_the_page_records_ip_and_shows_state(login_as, collection_text):
    web, user = login_as("enterprise")
    _open(web)
    response = web.post(
        PAGE,
        {"categories": ["tax_payments", "social_insurance"], "text_id": collection_text.id,
         "text_sha256": collection_text.sha256},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )  # fmt: skip
    assert response.status_code == 302
    auth = db.session.scalar(
        select(Authorization).where(Authorization.enterprise_id == user.enterprise_id)
    )
    assert auth.granted_ip == "198.51.100.23" and auth.granted_by_user_id == user.id
    assert auth.consent_text_sha256 == collection_text.sha256
    body = web.get(PAGE).get_data(as_text=True)
    assert "授权已生效" in body
    assert body.count("已授权") >= 2 and "在线授权" in body
    assert user.display_name in body


def test_stale_text_on_the_page_is_refused_and_shows_the_new_one(login_as, collection_text):
    web, user = login_as("enterprise")
    _open(web)
    services.publish_text("collection", "第二版正文：请重新阅读", title="第 2 版授权书")
    db.session.commit()
    response = web.post(
        PAGE, {"categories": ["tax_payments"], "text_id": collection_text.id,
               "text_sha256": collection_text.sha256},
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "授权书已更新为新版本" in body and "第二版正文" in body
    assert not services.has_collection_consent(user.enterprise_id, "tax_payments")
    # The page now carries the new version: confirming again works.
    new = services.current_text("collection", "zh")
    assert f'value="{new.sha256}"' in body
    again = web.post(PAGE, {"categories": ["tax_payments"], "text_id": new.id,
                            "text_sha256": new.sha256})  # fmt: skip
    assert again.status_code == 302
    assert services.has_collection_consent(user.enterprise_id, "tax_payments")


def test_no_category_ticked_keeps_the_form_with_an_error(login_as, collection_text):
    web, _user = login_as("enterprise")
    _open(web)
    response = web.post(
        PAGE, {"text_id": collection_text.id, "text_sha256": collection_text.sha256}
    )
    assert response.status_code == 422
    assert "请至少选择一类数据" in response.get_data(as_text=True)


def test_revoke_asks_for_confirmation_then_takes_effect(login_as, collection_text):
    web, user = login_as("enterprise")
    auth = services.grant_collection(
        user.enterprise_id, ["utility_bills"], user_id=user.id, ip=None, text_id=collection_text.id
    )
    db.session.commit()
    confirm = _open(web, f"/consent/authorizations/{auth.id}/revoke")
    assert confirm.status_code == 200 and "确认撤销" in confirm.get_data(as_text=True)
    assert services.has_collection_consent(
        user.enterprise_id, "utility_bills"
    )  # GET changes nothing
    response = web.post(f"/consent/authorizations/{auth.id}/revoke")
    assert response.status_code == 302
    assert not services.has_collection_consent(user.enterprise_id, "utility_bills")
    body = web.get(PAGE).get_data(as_text=True)
    assert "已撤销" in body and "授权已撤销" in body


def test_revoke_without_csrf_is_refused(login_as, collection_text):
    web, user = login_as("enterprise")
    auth = services.grant_collection(
        user.enterprise_id, ["utility_bills"], user_id=user.id, ip=None, text_id=collection_text.id
    )
    db.session.commit()
    response = web.post(f"/consent/authorizations/{auth.id}/revoke", csrf=False)
    assert response.status_code == 400
    assert services.has_collection_consent(user.enterprise_id, "utility_bills")


def test_another_enterprise_gets_404_on_revoke(login_as, factories, collection_text):
    owner = factories.enterprise()
    auth = services.grant_collection(
        owner.id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id
    )
    db.session.commit()
    web, _user = login_as("enterprise")
    assert web.get(f"/consent/authorizations/{auth.id}/revoke").status_code == 404
    _open(web)
    assert web.post(f"/consent/authorizations/{auth.id}/revoke").status_code == 404
    assert services.has_collection_consent(owner.id, "tax_ratings")


def test_history_shows_paper_expired_and_revoked(login_as, collection_text):
    from datetime import timedelta

    from app.clock import utcnow

    web, user = login_as("enterprise")
    services.grant_collection(
        user.enterprise_id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id,
        days=1, now=utcnow() - timedelta(days=3),
    )  # fmt: skip
    services.record_paper(
        [user.enterprise.uscc], categories=["social_insurance"], evidence_ref="SX-PAPER-77"
    )
    db.session.commit()
    body = web.get(PAGE).get_data(as_text=True)
    assert "已过期" in body and "书面授权" in body and "SX-PAPER-77" in body


@pytest.mark.parametrize("role", ["bank_officer", "bank_admin", "regulator", "admin"])
def test_other_roles_get_403(login_as, role):
    web, _user = login_as(role)
    assert web.get(PAGE).status_code == 403
    assert web.get("/consent/authorizations/1/revoke").status_code == 403


def test_anonymous_is_sent_to_login(web):
    response = web.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_english_reader_sees_the_english_text_and_can_grant_with_it(login_as):
    web, user = login_as("enterprise")
    user.locale = "en"
    db.session.commit()
    english = services.current_text("collection", "en")
    body = _open(web).get_data(as_text=True)
    assert "Records already collected before revocation remain" in body
    response = web.post(
        PAGE, {"categories": ["tax_ratings"], "text_id": english.id,
               "text_sha256": english.sha256},
    )  # fmt: skip
    assert response.status_code == 302
    (auth,) = services.list_authorizations(user.enterprise_id)
    assert auth.consent_text_sha256 == english.sha256
