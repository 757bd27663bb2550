"""Collection authorization rules: grant, replace, revoke, expiry, paper records."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.consent import services
from app.consent.models import Authorization, PullRequest
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db


def test_seeded_texts_are_hashed_exactly_and_cover_the_essentials(collection_text):
    assert collection_text.version == 1
    assert collection_text.sha256 == hashlib.sha256(collection_text.body.encode()).hexdigest()
    body = collection_text.body
    phrases = (
        "纳税信用 社会保险 税务部门 公用事业 社会保险经办机构 融资信用画像 "
        "保存 随时 撤销 仍保留 异议 联系方式"
    )
    for phrase in phrases.split():
        assert phrase in body, phrase
    english = services.current_text("collection", "en")
    assert english is not None and english.version == 1 and "revoke" in english.body


def test_grant_records_text_hash_ip_user_and_queues_a_pull(factories, collection_text):
    user = factories.user("enterprise")
    auth = services.grant_collection(
        user.enterprise_id,
        ["tax_payments", "utility_bills"],
        user_id=user.id,
        ip="203.0.113.7",
        text_id=collection_text.id,
        text_hash=collection_text.sha256,
    )
    assert auth.kind == "collection" and auth.method == "online"
    assert auth.categories == ["tax_payments", "utility_bills"]
    assert auth.consent_text_id == collection_text.id
    assert auth.consent_text_sha256 == collection_text.sha256
    assert (auth.granted_by_user_id, auth.granted_ip) == (user.id, "203.0.113.7")
    assert auth.valid_until is None  # until revoked
    assert services.has_collection_consent(user.enterprise_id, "tax_payments")
    assert not services.has_collection_consent(user.enterprise_id, "social_insurance")
    pull = db.session.scalar(select(PullRequest).where(PullRequest.authorization_id == auth.id))
    assert pull.enterprise_id == user.enterprise_id and pull.done_at is None
    assert sorted(pull.categories) == ["tax_payments", "utility_bills"]


def test_stale_text_is_refused_with_a_clear_error(factories, collection_text):
    enterprise = factories.enterprise()
    newer = services.publish_text("collection", collection_text.body + "\n（修订）", title="v2")
    assert newer.version == 2
    with pytest.raises(Conflict) as info:
        services.grant_collection(
            enterprise.id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id
        )
    assert info.value.code == "stale_consent_text"
    assert "新版本" in info.value.message
    assert not services.has_collection_consent(enterprise.id, "tax_ratings")


def test_hash_mismatch_is_refused(factories, collection_text):
    enterprise = factories.enterprise()
    with pytest.raises(Conflict):
        services.grant_collection(
            enterprise.id, ["tax_ratings"], user_id=None, ip=None,
            text_id=collection_text.id, text_hash="0" * 64,
        )  # fmt: skip


@pytest.mark.parametrize("categories", [["enterprises"], ["tax_payments", "bank_secrets"], []])
def test_only_non_public_categories_can_be_granted(factories, collection_text, categories):
    enterprise = factories.enterprise()
    with pytest.raises(ValidationFailed) as info:
        services.grant_collection(
            enterprise.id, categories, user_id=None, ip=None, text_id=collection_text.id
        )
    assert info.value.field == "categories"
    assert db.session.scalar(select(func.count()).select_from(Authorization)) == 0


def test_granting_again_replaces_and_keeps_other_categories(factories, collection_text):
    enterprise = factories.enterprise()
    first = services.grant_collection(
        enterprise.id, ["tax_payments", "social_insurance"], user_id=None, ip=None,
        text_id=collection_text.id,
    )  # fmt: skip
    second = services.grant_collection(
        enterprise.id, ["tax_payments", "tax_ratings"], user_id=None, ip=None,
        text_id=collection_text.id, days=365,
    )  # fmt: skip
    assert first.state == "revoked" and first.replaced_by_id == second.id
    assert second.categories == ["social_insurance", "tax_payments", "tax_ratings"]
    assert second.valid_until is not None
    active = [
        a for a in services.list_authorizations(enterprise.id) if a.effective_state() == "active"
    ]
    assert active == [second]


def test_revoke_is_effective_at_once(factories, collection_text):
    user = factories.user("enterprise")
    auth = services.grant_collection(
        user.enterprise_id, ["tax_payments"], user_id=user.id, ip=None, text_id=collection_text.id
    )
    services.revoke(auth.id, user_id=user.id, enterprise_id=user.enterprise_id)
    assert not services.has_collection_consent(user.enterprise_id, "tax_payments")
    ids = db.session.scalars(services.collecting_enterprise_ids("tax_payments")).all()
    assert user.enterprise_id not in ids
    assert auth.state == "revoked" and auth.revoked_by_user_id == user.id
    with pytest.raises(Conflict):
        services.revoke(auth.id, user_id=user.id, enterprise_id=user.enterprise_id)


def test_another_enterprise_cannot_revoke(factories, collection_text):
    owner = factories.enterprise()
    other = factories.enterprise()
    auth = services.grant_collection(
        owner.id, ["tax_payments"], user_id=None, ip=None, text_id=collection_text.id
    )
    with pytest.raises(NotFound):
        services.revoke(auth.id, user_id=None, enterprise_id=other.id)
    assert services.has_collection_consent(owner.id, "tax_payments")


def test_lapsed_authorization_counts_as_expired_before_the_job(factories, collection_text):
    enterprise = factories.enterprise()
    past = utcnow() - timedelta(days=40)
    auth = services.grant_collection(
        enterprise.id, ["utility_bills"], user_id=None, ip=None,
        text_id=collection_text.id, days=30, now=past,
    )  # fmt: skip
    assert auth.state == "active"  # not yet marked
    assert auth.effective_state() == "expired"
    assert not services.has_collection_consent(enterprise.id, "utility_bills")
    assert services.collection_status(enterprise.id)["utility_bills"] is None
    listed = services.list_authorizations(enterprise.id, "collection")
    assert [a.effective_state() for a in listed] == ["expired"]


def test_expire_lapsed_marks_only_lapsed_rows(factories, collection_text):
    a, b = factories.enterprise(), factories.enterprise()
    old = services.grant_collection(
        a.id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id,
        days=1, now=utcnow() - timedelta(days=2),
    )  # fmt: skip
    current = services.grant_collection(
        b.id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id, days=10
    )
    assert services.expire_lapsed(utcnow()) == 1
    db.session.refresh(old)
    db.session.refresh(current)
    assert (old.state, current.state) == ("expired", "active")
    assert services.expire_lapsed(utcnow()) == 0


def test_record_paper_is_all_or_nothing_and_names_the_bad_code(factories):
    good = factories.enterprise()
    unknown = factories.uscc()  # valid, but not in the registry
    bad = good.uscc[:-1] + ("0" if good.uscc[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as info:
        services.record_paper(
            [good.uscc, bad, unknown], categories=["tax_payments"], evidence_ref="PAPER-1"
        )
    assert bad in info.value.message and unknown in info.value.message
    assert good.uscc not in info.value.message
    assert db.session.scalar(select(func.count()).select_from(Authorization)) == 0


def test_record_paper_keeps_the_evidence(factories):
    e1, e2 = factories.enterprise(), factories.enterprise()
    created = services.record_paper(
        [e1.uscc, e2.uscc.lower()], categories=["social_insurance"], evidence_ref="SX-2026-0042"
    )
    assert [a.enterprise_id for a in created] == [e1.id, e2.id]
    assert all(a.method == "paper" and a.evidence_ref == "SX-2026-0042" for a in created)
    assert services.has_collection_consent(e2.id, "social_insurance")


def test_record_paper_for_a_bank_creates_a_query_authorization(factories):
    bank = factories.bank(code="XABANK")
    enterprise = factories.enterprise()
    (auth,) = services.record_paper(
        [enterprise.uscc], grantee="xabank", categories=["public_credit", "tax_payments"],
        evidence_ref="Q-1",
    )  # fmt: skip
    assert auth.kind == "query" and auth.grantee_bank_id == bank.id
    assert timedelta(days=29) < auth.valid_until - auth.valid_from <= timedelta(days=30)
    with pytest.raises(ValidationFailed):
        services.record_paper(
            [enterprise.uscc], grantee="XABANK", categories=["tax_payments"],
            evidence_ref="Q-2", days=91,
        )  # fmt: skip
    with pytest.raises(NotFound):
        services.record_paper(
            [enterprise.uscc], grantee="NOBANK", categories=["tax_payments"], evidence_ref="Q-3"
        )


def test_publish_keeps_old_grants_on_their_version(factories, collection_text):
    enterprise = factories.enterprise()
    auth = services.grant_collection(
        enterprise.id, ["tax_payments"], user_id=None, ip=None, text_id=collection_text.id
    )
    services.publish_text("collection", "新版授权书正文", title="第 2 版")
    assert services.current_text("collection").version == 2
    assert auth.consent_text.version == 1
    assert auth.consent_text_sha256 == collection_text.sha256
