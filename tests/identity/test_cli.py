"""`flask users create --role enterprise [--verified]` and `flask users verify`."""

from __future__ import annotations

from app.auth.services import get_user_by_email
from app.extensions import db
from app.identity import services as identity
from app.identity.models import AccountEvent, EventKind


def _create(app, uscc: str, email: str, *extra: str):
    args = ["users", "create", "--role", "enterprise", "--uscc", uscc, "--email", email, *extra]
    return app.test_cli_runner().invoke(args=args)


def test_enterprise_account_is_unverified_unless_the_operator_says_so(app, factories):
    enterprise = factories.enterprise()
    db.session.commit()
    result = _create(app, enterprise.uscc, "plain@example.test")
    assert result.exit_code == 0 and "(unverified)" in result.output
    assert get_user_by_email("plain@example.test").verification_state == "unverified"
    result = _create(app, enterprise.uscc, "checked@example.test", "--verified")
    assert result.exit_code == 0 and "(verified)" in result.output
    user = get_user_by_email("checked@example.test")
    assert (user.verification_state, user.verification_method) == ("verified", "created")


def test_users_verify_records_the_evidence(app, factories):
    user = factories.user(verified=False)
    db.session.commit()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["users", "verify", user.email, "--evidence", "  "])
    assert refused.exit_code == 1 and "核验凭证" in refused.output
    result = runner.invoke(args=["users", "verify", user.email, "--evidence", "线下核验-2026-118"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.verification_state == "verified" and user.verification_method == "operator"
    event = db.session.query(AccountEvent).filter_by(user_id=user.id, kind="verified").one()
    assert event.detail == "线下核验-2026-118"
    officer = factories.user("bank_officer")
    db.session.commit()
    result = runner.invoke(args=["users", "verify", officer.email, "--evidence", "x"])
    assert result.exit_code == 1 and "只有企业账户需要核验" in result.output


def test_history_page_lists_the_verification(login_as, factories):
    client, user = login_as("enterprise")
    identity.record_event(user, EventKind.CODE_SENT, "139****5678")
    db.session.commit()
    page = client.get("/account/history").get_data(as_text=True)
    assert "发送短信验证码" in page and "139****5678" in page
