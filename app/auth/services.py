"""Account rules: registration, login with lock-out, passwords, roles and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from app.auth import sessions
from app.auth.models import (
    BANK_ROLES,
    DEFAULT_TOKEN_DAYS,
    TOKEN_DAYS,
    ApiToken,
    LoginThrottle,
    Role,
    TokenScope,
    User,
)
from app.banks.services import get_bank_by_code
from app.clock import utcnow
from app.enterprises import services as enterprise_services
from app.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    Locked,
    NotFound,
    ServiceError,
    Unauthorized,
    ValidationFailed,
)
from app.extensions import db
from app.identity import services as identity
from app.identity.models import EventKind, VerificationMethod, VerificationState

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "xyd_"
# Words anyone would try first against this platform's accounts (context-specific words,
# NIST SP 800-63B 5.1.1.2), beside the user's own e-mail, code and name.
SITE_WORDS = ("xinyidai", "xyd", "信易贷", "shaanxi", "陕西")
# zxcvbn reads at most this many characters (its cost grows with the length); a longer
# password is judged by its beginning, which is already far beyond guessing.
_JUDGED_CHARS = 100


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def password_problem(
    password: str, *, email: str = "", uscc: str = "", name: str = ""
) -> str | None:
    """Why a password is too weak, or None, after NIST SP 800-63B: long enough, not
    guessable (zxcvbn's estimate against its lists of common passwords, words, names, keyboard
    patterns and dates, and against the user's own e-mail, code, name and this site), and no
    composition rules (a long phrase of letters is fine)."""
    config = current_app.config
    min_length = int(config["PASSWORD_MIN_LENGTH"])
    if len(password) < min_length:
        return _("密码至少需要 %(n)d 位", n=min_length)
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (uscc and uscc.lower() in lowered):
        return _("密码不能包含邮箱或统一社会信用代码")
    own = [w for w in (local, uscc, name) if w]
    judged = zxcvbn(password[:_JUDGED_CHARS], user_inputs=[*own, *SITE_WORDS])
    if judged["score"] < int(config["PASSWORD_MIN_SCORE"]):
        return _(
            "密码容易被猜到（常见密码、单词、姓名、键盘顺序或日期），"
            "请换一个更长、不常见的密码，例如几个不相关的词连在一起"
        )
    return None


def password_hint() -> str:
    """What a new password needs, in the words of `password_problem`, for the forms."""
    return _(
        "至少 %(n)d 位，不能是常见密码、单词或日期；几个不相关的词连在一起就很好",
        n=int(current_app.config["PASSWORD_MIN_LENGTH"]),
    )


def _check_password_strength(
    password: str, *, email: str = "", uscc: str = "", name: str = ""
) -> None:
    problem = password_problem(password, email=email, uscc=uscc, name=name)
    if problem:
        raise ValidationFailed("password", problem, code="weak_password")


def _check_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise ValidationFailed("email", _("邮箱格式不正确"), code="invalid_email")
    if get_user_by_email(email) is not None:
        raise Conflict(_("该邮箱已注册"), code="email_taken", field="email")
    return email


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def registration_problems(
    *, uscc: str, company_name: str, contact_name: str, email: str, password: str
) -> dict[str, str]:
    """Every reason a registration would be refused, by field, so that the form marks them
    all at once: the code (check digit; already verified by someone), the company name, the
    e-mail (format; taken) and the password (`password_problem`)."""
    errors: dict[str, str] = {}
    code = ""
    try:
        code = enterprise_services.validate_uscc(uscc)
        enterprise = enterprise_services.get_by_uscc(code)
        if enterprise is not None:
            identity.require_unclaimed(enterprise.id, field="uscc")
    except ServiceError as exc:
        errors["uscc"] = exc.message
    if not (company_name or "").strip():
        errors["company_name"] = _("请填写企业名称")
    try:
        _check_email(email)
    except ServiceError as exc:
        errors["email"] = exc.message
    problem = password_problem(
        password or "", email=normalize_email(email), uscc=code, name=contact_name or ""
    )
    if problem:
        errors["password"] = problem
    return errors


def register_enterprise(
    *, uscc: str, company_name: str, contact_name: str, email: str, password: str
) -> User:
    """Register a small business's account: a *claim* to the USCC, unverified until proved.

    A code is printed on every invoice, so registering proves nothing: the account sees only
    public facts until `identity` verifies it. Several people may claim a code until one
    is verified; after that, newcomers are refused (the enterprise invites its staff).
    Refused with every problem at once (`FieldErrors`, from `registration_problems`).
    """
    errors = registration_problems(
        uscc=uscc, company_name=company_name, contact_name=contact_name, email=email,
        password=password,
    )  # fmt: skip
    if errors:
        raise FieldErrors(errors)
    code = enterprise_services.validate_uscc(uscc)
    email = normalize_email(email)
    enterprise = enterprise_services.get_or_create_for_registration(code, company_name)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=Role.ENTERPRISE,
        display_name=contact_name.strip() or company_name.strip(),
        enterprise_id=enterprise.id,
        verification_state=VerificationState.UNVERIFIED,
    )
    db.session.add(user)
    db.session.flush()
    identity.record_event(user, EventKind.REGISTERED, company_name.strip())
    return user


def create_user(
    *,
    role: str,
    email: str,
    password: str | None = None,
    bank_code: str | None = None,
    uscc: str | None = None,
    display_name: str = "",
    verified: bool = False,
) -> tuple[User, str | None]:
    """An operator-made account. Returns the user and the generated password, if any.

    An enterprise account is unverified unless `verified` (the operator checked who it is).
    """
    if role not in {r.value for r in Role}:
        raise ValidationFailed("role", f"unknown role {role!r}")
    email = _check_email(email)
    bank_id = enterprise_id = None
    if role in BANK_ROLES:
        if not bank_code:
            raise ValidationFailed("bank", _("银行用户必须指定所属银行"))
        bank = get_bank_by_code(bank_code)
        if bank is None:
            raise NotFound(_("银行 %(code)s 不存在", code=bank_code))
        bank_id = bank.id
    if role == Role.ENTERPRISE:
        if not uscc:
            raise ValidationFailed("uscc", _("企业用户必须指定统一社会信用代码"))
        code = enterprise_services.validate_uscc(uscc)
        enterprise = enterprise_services.get_by_uscc(code)
        if enterprise is None:
            raise NotFound(_("企业 %(code)s 不在登记库中", code=code))
        enterprise_id = enterprise.id
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12) + "9a"
    else:
        _check_password_strength(password, email=email)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or email.split("@")[0],
        bank_id=bank_id,
        enterprise_id=enterprise_id,
        verification_state=VerificationState.UNVERIFIED,
    )
    db.session.add(user)
    db.session.flush()
    if verified and role == Role.ENTERPRISE:
        identity.mark_verified(user, VerificationMethod.CREATED)
    return user, generated


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made with the configured method (scrypt in production), so that an unknown
    address costs the same check as a known one."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


def _throttle(email: str) -> LoginThrottle:
    digest = hashlib.sha256(email.encode()).hexdigest()
    row = db.session.get(LoginThrottle, digest)
    if row is None:
        row = LoginThrottle(email_digest=digest, failures=0)
        db.session.add(row)
        db.session.flush()
    return row


def refuse_if_locked(email: str) -> LoginThrottle:
    """The address's failure count; Locked while it is locked (by failed passwords or
    second-factor codes alike)."""
    now = utcnow()
    throttle = _throttle(normalize_email(email))
    if throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise Locked(_("登录失败次数过多，账户已临时锁定，请 %(m)d 分钟后再试", m=minutes))
    return throttle


def count_login_failure(email: str) -> None:
    """One more failed sign-in for the address; after `LOGIN_MAX_FAILURES` it locks for
    `LOGIN_LOCK_MINUTES`."""
    throttle = _throttle(normalize_email(email))
    throttle.failures = (throttle.failures or 0) + 1
    if throttle.failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        minutes = current_app.config["LOGIN_LOCK_MINUTES"]
        throttle.locked_until = utcnow() + timedelta(minutes=minutes)
        throttle.failures = 0
    db.session.flush()


def clear_login_lock(email: str) -> None:
    """Forget the failed logins of an address (after a reset through its mailbox)."""
    row = db.session.get(LoginThrottle, hashlib.sha256(normalize_email(email).encode()).hexdigest())
    if row is not None:
        row.failures = 0
        row.locked_until = None


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, counting failures and locking after too many.

    Unknown and existing addresses take the same path: the same lock (per address, see
    `LoginThrottle`), the same password check (`_dummy_hash`), the same answer.
    """
    email = normalize_email(email)
    throttle = refuse_if_locked(email)
    user = get_user_by_email(email)
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not matches:
        count_login_failure(email)
        raise Unauthorized(_("邮箱或密码错误"), code="bad_credentials")
    if not user.active:
        raise Forbidden(_("该账户已停用"), code="inactive")
    throttle.failures = 0
    throttle.locked_until = None
    db.session.flush()
    return user


def change_password(
    user: User,
    current: str,
    new: str,
    *,
    keep_session: str | None = None,
    revoke_tokens: bool = False,
) -> int:
    """Change the password; every other session of the user ends (`keep_session` is the
    browser that changed it) and, when asked, every API token. Returns the tokens revoked."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationFailed("current_password", _("当前密码不正确"))
    if current == new:
        raise ValidationFailed("new_password", _("新密码不能与当前密码相同"))
    uscc = user.enterprise.uscc if user.enterprise else ""
    problem = password_problem(new, email=user.email, uscc=uscc)
    if problem:
        raise ValidationFailed("new_password", problem, code="weak_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    sessions.end_all(user, keep=keep_session)
    revoked = revoke_all_tokens(user) if revoke_tokens else 0
    detail = _("同时吊销 %(n)d 个 API 令牌", n=revoked) if revoked else ""
    identity.record_event(user, EventKind.PASSWORD_CHANGED, detail)
    db.session.flush()
    return revoked


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationFailed("locale", f"unsupported locale {locale!r}")
    user.locale = locale
    db.session.flush()


def require_role(user: User | None, *roles: str, unverified_ok: bool = False) -> User:
    """The user if it holds one of `roles` (any role when none is named); Unauthorized /
    Forbidden otherwise. An unverified enterprise account is refused too
    (`identity.require_verified`) unless the view shows only public facts (`unverified_ok`).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthorized(_("请先登录"))
    if roles and user.role not in roles:
        raise Forbidden(_("您的角色无权执行此操作"), code="wrong_role")
    if not unverified_ok:
        identity.require_verified(user)
    return user


# --- API tokens -------------------------------------------------------------------------


def _hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(
    user: User,
    name: str = "api",
    *,
    days: int = DEFAULT_TOKEN_DAYS,
    scope: str = TokenScope.WRITE,
) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for `days` (one of `TOKEN_DAYS`) with `scope`; the
    plaintext is returned once and never stored."""
    if days not in TOKEN_DAYS:
        raise ValidationFailed(
            "days",
            _("有效期只能是 %(days)s 天之一", days=" / ".join(map(str, TOKEN_DAYS))),
            code="bad_token_days",
        )
    if scope not in set(TokenScope):
        raise ValidationFailed("scope", _("未知的令牌权限"), code="bad_token_scope")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=(name or "api").strip()[:100],
        token_hash=_hash_token(plaintext),
        prefix=plaintext[:10],
        created_at=now,
        expires_at=now + timedelta(days=days),
        scope=scope,
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


# One round trip on every API call, built once.
_TOKEN_BY_HASH = (
    select(ApiToken)
    .options(joinedload(ApiToken.user))
    .where(ApiToken.token_hash == bindparam("hash"), ApiToken.revoked_at.is_(None))
)


def token_for(plaintext: str) -> ApiToken | None:
    """The token with this plaintext if it is in force (not revoked, not expired) and its
    user active, with its user loaded; else None. Its last use is noted."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(_TOKEN_BY_HASH, {"hash": _hash_token(plaintext)})
    now = utcnow()
    if token is None or not token.is_active(now) or not token.user.active:
        return None
    # Touch at most once a minute: a write per request would serialise API traffic.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


def user_for_token(plaintext: str) -> User | None:
    """The active user owning this token in force, or None."""
    token = token_for(plaintext)
    return token.user if token is not None else None


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def active_tokens(user: User) -> int:
    now = utcnow()
    return len([t for t in list_tokens(user) if t.is_active(now)])


def revoke_all_tokens(user: User) -> int:
    """Revoke every active token of the user; returns how many."""
    now = utcnow()
    tokens = [t for t in list_tokens(user) if t.is_active(now)]
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    return len(tokens)


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another user's token is 'not found')."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("令牌不存在"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    return token
