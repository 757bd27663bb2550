"""`flask consent record | expire | text publish`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.clock import utcnow
from app.consent import services
from app.consent.models import Authorization
from app.extensions import db


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Authorization))


def test_record_writes_one_paper_authorization_per_uscc(app, factories):
    e1, e2 = factories.enterprise(), factories.enterprise()
    result = app.test_cli_runner().invoke(
        args=["consent", "record", e1.uscc, e2.uscc, "--grantee", "platform",
              "--categories", "tax_payments,utility_bills", "--evidence", "SX-2026-001"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recorded 2" in result.output
    for enterprise in (e1, e2):
        assert services.has_collection_consent(enterprise.id, "utility_bills")
        (auth,) = services.list_authorizations(enterprise.id)
        assert auth.method == "paper" and auth.evidence_ref == "SX-2026-001"


def test_record_with_one_bad_uscc_writes_nothing_and_exits_1(app, factories):
    good = factories.enterprise()
    bad = good.uscc[:-1] + ("0" if good.uscc[-1] != "0" else "1")
    result = app.test_cli_runner().invoke(
        args=["consent", "record", good.uscc, bad, "--categories", "tax_payments",
              "--evidence", "SX-2026-002"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert bad in result.output and "校验位" in result.output
    assert _count() == 0
    assert not services.has_collection_consent(good.id, "tax_payments")


def test_record_refuses_a_public_category_for_the_platform(app, factories):
    enterprise = factories.enterprise()
    result = app.test_cli_runner().invoke(
        args=["consent", "record", enterprise.uscc, "--categories", "public_credit",
              "--evidence", "X"],
    )  # fmt: skip
    assert result.exit_code == 1 and "public_credit" in result.output
    assert _count() == 0


def test_record_for_a_bank_with_days(app, factories):
    bank = factories.bank(code="CCB_XA")
    enterprise = factories.enterprise()
    result = app.test_cli_runner().invoke(
        args=["consent", "record", enterprise.uscc, "--grantee", "CCB_XA",
              "--categories", "tax_payments,public_credit", "--evidence", "Q-9", "--days", "60"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (auth,) = services.list_authorizations(enterprise.id, "query")
    assert auth.grantee_bank_id == bank.id
    assert auth.valid_until - auth.valid_from == timedelta(days=60)


def test_expire_command(app, factories, collection_text):
    enterprise = factories.enterprise()
    services.grant_collection(
        enterprise.id, ["tax_ratings"], user_id=None, ip=None, text_id=collection_text.id,
        days=1, now=utcnow() - timedelta(days=2),
    )  # fmt: skip
    result = app.test_cli_runner().invoke(args=["consent", "expire"])
    assert result.exit_code == 0 and "expired 1" in result.output


def test_text_publish_makes_a_new_current_version(app, tmp_path, collection_text):
    path = tmp_path / "v2.md"
    path.write_text("# 采集授权书（第 2 版）\n\n正文第二版。\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["consent", "text", "publish", "collection", str(path)]
    )
    assert result.exit_code == 0, result.output
    current = services.current_text("collection", "zh")
    assert current.version == 2 and current.title == "采集授权书（第 2 版）"
    assert current.body == "正文第二版。\n" and current.sha256 in result.output
    assert services.current_text("collection", "en").version == 1
