"""Operator commands: banks and accounts are made only here."""

from __future__ import annotations

from app.auth.models import User
from app.auth.services import authenticate, get_user_by_email
from app.banks.services import get_bank_by_code


def test_create_bank_and_officer_with_one_time_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["banks", "create", "qinbank", "--name", "秦农银行"])
    assert result.exit_code == 0, result.output
    assert get_bank_by_code("QINBANK").name == "秦农银行"
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "bank_officer",
            "--email",
            "o@qin.test",
            "--bank",
            "QINBANK",
        ]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("one-time password:")[1].strip()
    user = authenticate("o@qin.test", password)
    assert isinstance(user, User) and user.bank.code == "QINBANK"


def test_duplicate_bank_code_is_refused(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["banks", "create", "DUPB", "--name", "甲"])
    result = runner.invoke(args=["banks", "create", "DUPB", "--name", "乙"])
    assert result.exit_code == 1
    assert "已存在" in result.output


def test_bank_user_needs_an_existing_bank(app):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["users", "create", "--role", "bank_admin", "--email", "a@b.test"])
    assert missing.exit_code == 1 and "所属银行" in missing.output
    unknown = runner.invoke(
        args=["users", "create", "--role", "bank_admin", "--email", "a@b.test", "--bank", "NOPE"]
    )
    assert unknown.exit_code == 1 and "不存在" in unknown.output
    assert get_user_by_email("a@b.test") is None


def test_enterprise_account_needs_a_registry_enterprise(app, factories):
    runner = app.test_cli_runner()
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "enterprise",
            "--email",
            "e@x.test",
            "--uscc",
            factories.uscc(),
        ]
    )
    assert unknown.exit_code == 1 and "不在登记库中" in unknown.output
    enterprise = factories.enterprise()
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "enterprise",
            "--email",
            "e@x.test",
            "--uscc",
            enterprise.uscc,
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert get_user_by_email("e@x.test").enterprise_id == enterprise.id


def test_demo_load_is_idempotent_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert "admin@demo.xyd" in first.output and "sme@demo.xyd" in first.output
    assert get_user_by_email("sme@demo.xyd").enterprise.verified
