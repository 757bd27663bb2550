"""The second factor: enrolment, sign-in with and without it, replay, recovery codes, the
operator's reset, and the account history."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from app.auth import twofactor
from app.auth.models import SECOND_FACTOR_ROLES, RecoveryCode, Role
from app.auth.services import get_user_by_email
from app.clock import utcnow
from app.demo.services import DEMO_TOTP_SECRET, load_demo
from app.extensions import db
from app.identity.models import AccountEvent, EventKind
from tests.conftest import WebClient
from tests.factories import Factories

CODES_RE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
STEP = timedelta(seconds=30)
README = Path(__file__).resolve().parents[2] / "README.md"


def _code(secret: str = Factories.TOTP_SECRET, offset: timedelta = timedelta(0)) -> str:
    return pyotp.TOTP(secret).at(utcnow() + offset)


def _password(client: WebClient, user, next_path: str = ""):
    """The first step of a sign-in (the session is renewed: a new CSRF token follows)."""
    response = client.post(
        "/login" + (f"?next={next_path}" if next_path else ""),
        {"email": user.email, "password": Factories.PASSWORD},
    )
    client._csrf = None
    return response


def _second(client: WebClient, code: str):
    """The second step (a success renews the session: a new CSRF token follows)."""
    response = client.post("/login/code", {"code": code})
    client._csrf = None
    return response


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(
            select(AccountEvent.kind)
            .where(AccountEvent.user_id == user.id)
            .order_by(AccountEvent.id)
        )
    )


@pytest.fixture
def officer(factories):
    user = factories.user(Role.BANK_OFFICER)
    db.session.commit()
    return user


@pytest.fixture
def client(app) -> WebClient:
    return WebClient(app.test_client())


def test_the_roles_that_must_use_it():
    assert set(SECOND_FACTOR_ROLES) == {
        Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN
    }  # fmt: skip


# --- sign-in ------------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in(client, officer):
    response = _password(client, officer)
    assert response.status_code == 302 and response.location == "/login/code"
    # Nothing behind the login opens yet: the pending marker is not a session.
    bank = client.get("/bank")
    assert bank.status_code == 302 and "/login?next=/bank" in bank.location
    page = client.get("/login/code")
    assert page.status_code == 200 and "验证码或恢复码" in page.get_data(as_text=True)
    db.session.refresh(officer)
    assert officer.last_login_at is None  # a sign-in is recorded when it is complete


def test_a_current_code_signs_in_and_follows_next(client, officer):
    response = _password(client, officer, "/bank/loans")
    assert response.location == "/login/code"
    signed_in = client.post("/login/code", {"code": _code()})
    assert signed_in.status_code == 302 and signed_in.location == "/bank/loans"
    assert client.get("/bank").status_code == 200
    db.session.refresh(officer)
    assert officer.last_login_at is not None
    assert officer.totp_last_step == pyotp.TOTP(Factories.TOTP_SECRET).timecode(utcnow())


def test_a_complete_sign_in_is_in_the_account_history_with_its_ip(client, officer):
    _password(client, officer)
    assert EventKind.LOGIN not in _kinds(officer)  # the password alone is no sign-in
    assert _second(client, _code()).status_code == 302
    event = db.session.scalars(
        select(AccountEvent).filter_by(user_id=officer.id, kind=EventKind.LOGIN)
    ).one()
    assert event.ip == "127.0.0.1"
    page = client.get("/account/history").get_data(as_text=True)
    assert re.search(r">登录</td>.*>127\.0\.0\.1</td>", page, re.S)


def test_a_wrong_password_records_no_sign_in(client, officer):
    wrong = client.post("/login", {"email": officer.email, "password": "not-the-password"})
    assert wrong.status_code != 302
    assert EventKind.LOGIN not in _kinds(officer)


def test_an_offsite_next_is_dropped_after_the_second_step(client, officer):
    _password(client, officer, "https://evil.example/steal")
    assert client.post("/login/code", {"code": _code()}).location == "/home"


def test_the_code_of_the_previous_and_next_step_is_accepted_but_not_two_steps_away(app, officer):
    far = WebClient(app.test_client())
    _password(far, officer)
    assert far.post("/login/code", {"code": _code(offset=-2 * STEP)}).status_code == 401
    near = WebClient(app.test_client())
    _password(near, officer)
    assert near.post("/login/code", {"code": _code(offset=-STEP)}).status_code == 302


def test_a_wrong_code_is_refused_recorded_and_counts_toward_the_lock(client, officer, app):
    _password(client, officer)
    wrong = client.post("/login/code", {"code": "000000" if _code() != "000000" else "111111"})
    assert wrong.status_code == 401
    assert "验证码不正确" in wrong.get_data(as_text=True)
    assert client.get("/bank").status_code == 302  # still not signed in
    assert EventKind.TOTP_FAILED in _kinds(officer)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 2):  # the password cleared the count
        assert client.post("/login/code", {"code": "12345x"}).status_code == 401
    locked = client.post("/login/code", {"code": "abcde-fghjk"})
    assert locked.status_code == 303 and locked.location == "/login"
    # Locked: even the right password (and then a right code) gets nowhere for a while.
    again = WebClient(app.test_client())
    refused = _password(again, officer)
    assert refused.status_code == 429 and "账户已临时锁定" in refused.get_data(as_text=True)


def test_a_code_used_once_is_refused_the_second_time(app, officer):
    code = _code()
    first = WebClient(app.test_client())
    _password(first, officer)
    assert first.post("/login/code", {"code": code}).status_code == 302
    second = WebClient(app.test_client())
    _password(second, officer)
    replay = second.post("/login/code", {"code": code})
    assert replay.status_code == 401
    assert "已使用过" in replay.get_data(as_text=True)
    assert second.get("/bank").status_code == 302
    # The next step's code is new: accepted.
    assert second.post("/login/code", {"code": _code(offset=STEP)}).status_code == 302


def test_the_pending_sign_in_expires_after_five_minutes(client, officer, _clock):
    _password(client, officer)
    _clock.shift(timedelta(minutes=5, seconds=1))
    expired = client.post("/login/code", {"code": _code()})
    assert expired.status_code == 303 and expired.location == "/login"
    assert "登录已超时" in client.get("/login").get_data(as_text=True)
    assert client.get("/bank").status_code == 302
    assert client.get("/login/code").location == "/login"


def test_a_password_change_elsewhere_ends_the_pending_sign_in(client, officer):
    _password(client, officer)
    officer.session_version += 1
    db.session.commit()
    assert client.post("/login/code", {"code": _code()}).location == "/login"


# --- recovery codes -------------------------------------------------------------------------


def _new_recovery_codes(client: WebClient, secret: str = Factories.TOTP_SECRET) -> list[str]:
    page = client.post("/account/two-factor/recovery-codes", {"code": _code(secret, STEP)})
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert page.headers["Cache-Control"] == "no-store"
    codes = CODES_RE.findall(page.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return codes


def test_a_recovery_code_signs_in_once(app, login_as):
    client, officer = login_as(Role.BANK_OFFICER)
    codes = _new_recovery_codes(client)
    stored = db.session.scalars(select(RecoveryCode.code_hash).filter_by(user_id=officer.id))
    assert not set(codes) & set(stored)  # only hashes are kept
    first = WebClient(app.test_client())
    _password(first, officer)
    assert first.post("/login/code", {"code": codes[0].upper()}).status_code == 302
    assert first.get("/bank").status_code == 200
    assert EventKind.RECOVERY_USED in _kinds(officer)
    second = WebClient(app.test_client())
    _password(second, officer)
    refused = second.post("/login/code", {"code": codes[0]})
    assert refused.status_code == 401 and "验证码或恢复码不正确" in refused.get_data(as_text=True)
    assert second.get("/bank").status_code == 302
    page = first.get("/account/two-factor").get_data(as_text=True)
    assert "剩余恢复码" in page and "<dd>9</dd>" in page


def test_new_recovery_codes_invalidate_the_old_ones(app, login_as, _clock):
    client, officer = login_as(Role.REGULATOR)
    old = _new_recovery_codes(client)
    _clock.shift(2 * STEP)
    new = _new_recovery_codes(client)
    assert not set(old) & set(new)
    stale = WebClient(app.test_client())
    _password(stale, officer)
    assert stale.post("/login/code", {"code": old[1]}).status_code == 401
    assert stale.post("/login/code", {"code": new[1]}).status_code == 302
    assert _kinds(officer).count(EventKind.RECOVERY_RENEWED) == 2


def test_new_recovery_codes_need_a_current_code(login_as):
    client, officer = login_as(Role.BANK_ADMIN)
    refused = client.post("/account/two-factor/recovery-codes", {"code": "000000"})
    assert refused.status_code == 303
    assert "验证码不正确" in client.get("/account/two-factor").get_data(as_text=True)
    assert EventKind.RECOVERY_RENEWED not in _kinds(officer)


# --- enrolment ----------------------------------------------------------------------------


def test_a_privileged_user_without_it_must_enrol_first(client, factories):
    admin = factories.user(Role.ADMIN, enrolled=False)
    db.session.commit()
    response = _password(client, admin, "/admin")
    assert response.status_code == 302 and response.location == "/login/enrol"
    page = client.get("/login/enrol")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in text and "必须使用两步验证" in text
    secret = SECRET_RE.search(text).group(1)
    assert twofactor.provisioning_uri(admin) == pyotp.TOTP(secret).provisioning_uri(
        name=admin.email, issuer_name="信易贷"
    )
    assert "issuer=%E4%BF%A1%E6%98%93%E8%B4%B7" in twofactor.provisioning_uri(admin)
    # Nothing else opens in between.
    for path in ("/admin", "/bank", "/office", "/account/settings", "/account/two-factor"):
        assert client.get(path).status_code == 302, path
    wrong = client.post("/login/enrol", {"code": "000000" if _code(secret) != "000000" else "1"})
    assert wrong.status_code == 422
    wrong_text = wrong.get_data(as_text=True)
    assert "验证码不正确" in wrong_text and secret in wrong_text  # the same QR, the error
    assert client.get("/admin").status_code == 302
    done = client.post("/login/enrol", {"code": _code(secret)})
    assert done.status_code == 200
    codes = CODES_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and 'href="/admin"' in done.get_data(as_text=True)
    assert client.get("/admin").status_code == 200
    db.session.refresh(admin)
    assert twofactor.is_enrolled(admin) and EventKind.TOTP_ENROLLED in _kinds(admin)


def test_the_enrolment_marker_expires(client, factories, _clock):
    officer = factories.user(Role.BANK_OFFICER, enrolled=False)
    db.session.commit()
    _password(client, officer)
    _clock.shift(timedelta(minutes=15, seconds=1))
    assert client.get("/login/enrol").location == "/login"


def test_an_unenrolled_privileged_session_opens_nothing(app, factories):
    """Defence in depth: even a session row of such a user is not a session."""
    officer = factories.user(Role.BANK_OFFICER)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(officer)
    assert client.get("/bank").status_code == 200
    officer.totp_enrolled_at = None
    db.session.commit()
    assert client.get("/bank").status_code == 302


def test_the_secret_is_encrypted_at_rest(officer):
    assert officer.totp_secret_encrypted
    assert Factories.TOTP_SECRET not in officer.totp_secret_encrypted
    assert twofactor.secret_of(officer) == Factories.TOTP_SECRET


# --- enterprises: optional ----------------------------------------------------------------


def test_an_enterprise_may_turn_it_on_and_off(app, factories, _clock):
    user = factories.user(Role.ENTERPRISE)
    db.session.commit()
    client = WebClient(app.test_client())
    assert client.login(user).location == "/home"  # no second step
    assert "两步验证未开启" in client.get("/account/two-factor").get_data(as_text=True)
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    refused = client.post("/account/two-factor/enrol", {"code": "12345"})
    assert refused.status_code == 422
    done = client.post("/account/two-factor/enrol", {"code": _code(secret)})
    assert len(CODES_RE.findall(done.get_data(as_text=True))) == 10
    client.logout()
    # Now the sign-in asks for a code.
    again = WebClient(app.test_client())
    assert _password(again, user).location == "/login/code"
    _clock.shift(STEP)
    assert _second(again, _code(secret)).status_code == 302
    # Turning it off needs a current code, not a used or wrong one.
    used = again.post("/account/two-factor/disable", {"code": _code(secret)})
    assert used.status_code == 303
    db.session.refresh(user)
    assert twofactor.is_enrolled(user)
    _clock.shift(STEP)
    assert again.post("/account/two-factor/disable", {"code": _code(secret)}).status_code == 303
    db.session.refresh(user)
    assert not twofactor.is_enrolled(user) and user.totp_secret_encrypted is None
    assert db.session.scalar(select(RecoveryCode.id).filter_by(user_id=user.id)) is None
    assert WebClient(app.test_client()).login(user).location == "/home"
    # The sign-in with a code and the one without are both in the history.
    assert _kinds(user)[-4:] == [
        EventKind.TOTP_ENROLLED, EventKind.LOGIN, EventKind.TOTP_DISABLED, EventKind.LOGIN
    ]  # fmt: skip


def test_a_privileged_user_cannot_turn_it_off(login_as, _clock):
    client, officer = login_as(Role.BANK_OFFICER)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "不能关闭" in page and "disable-code" not in page
    _clock.shift(STEP)
    client.post("/account/two-factor/disable", {"code": _code()})
    db.session.refresh(officer)
    assert twofactor.is_enrolled(officer)
    assert EventKind.TOTP_DISABLED not in _kinds(officer)


# --- the operator's reset and the history ---------------------------------------------------


def test_the_operator_resets_a_lost_second_factor(app, login_as):
    client, officer = login_as(Role.BANK_OFFICER)
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["users", "reset-2fa", officer.email, "--evidence", " "])
    assert missing.exit_code == 1 and "凭证" in missing.output
    unknown = runner.invoke(args=["users", "reset-2fa", "x@nowhere.test", "--evidence", "R1"])
    assert unknown.exit_code == 1
    result = runner.invoke(args=["users", "reset-2fa", officer.email, "--evidence", "柜面核验-88"])
    assert result.exit_code == 0, result.output
    db.session.refresh(officer)
    assert not twofactor.is_enrolled(officer) and officer.totp_secret_encrypted is None
    assert client.get("/bank").status_code == 302  # every session ended
    event = db.session.scalars(
        select(AccountEvent).filter_by(user_id=officer.id, kind=EventKind.TOTP_RESET)
    ).one()
    assert event.detail == "柜面核验-88"
    again = runner.invoke(args=["users", "reset-2fa", officer.email, "--evidence", "R2"])
    assert again.exit_code == 1  # nothing left to reset
    # The next sign-in enrols anew.
    assert _password(WebClient(app.test_client()), officer).location == "/login/enrol"


def test_the_history_page_shows_the_second_factor_events(app, login_as):
    client, officer = login_as(Role.REGULATOR)
    codes = _new_recovery_codes(client)
    other = WebClient(app.test_client())
    _password(other, officer)
    other.post("/login/code", {"code": "99999x"})
    _second(other, codes[0])
    page = other.get("/account/history").get_data(as_text=True)
    for label in ("重新生成恢复码", "两步验证码错误", "使用恢复码登录", "剩余 9 个恢复码"):
        assert label in page, label
    for raw in ("recovery_used", "totp_failed"):
        assert raw not in page  # words, never codes
    other.post("/lang", {"locale": "en", "next": "/account/history"})
    english = other.get("/account/history").get_data(as_text=True)
    assert "Signed in with a recovery code" in english


def test_the_demo_enrols_its_privileged_accounts_with_the_documented_secret(app):
    logins = load_demo()
    db.session.commit()
    assert DEMO_TOTP_SECRET in README.read_text(encoding="utf-8")
    for role, email, _pw in logins:
        user = get_user_by_email(email)
        if role == Role.ENTERPRISE:
            assert not twofactor.is_enrolled(user)
        else:
            assert twofactor.secret_of(user) == DEMO_TOTP_SECRET
