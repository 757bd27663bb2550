"""Web views for accounts: parse → call a service → render / redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import reset, services, sessions, twofactor
from app.auth.decorators import role_required
from app.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    EmptyForm,
    ForgotForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    SecondFactorForm,
    TokenForm,
)
from app.auth.models import User
from app.clock import utcnow
from app.errors import Locked, ServiceError
from app.extensions import db, limiter
from app.forms import attach_error
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("auth", __name__)


def _sign_in(user) -> None:
    """A fresh session (cookie and server row) for `user`."""
    session.clear()
    key = sessions.start(
        user, ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")
    )
    login_user(user)
    session["sid"] = key
    session.permanent = True
    if user.locale:
        session["locale"] = user.locale


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.is_submitted() and not form.validate():
        # The form's own checks failed: add the service's for the other fields, so that
        # every mistake is marked at once and nothing typed is lost.
        problems = services.registration_problems(
            uscc=form.uscc.data or "", company_name=form.company_name.data or "",
            contact_name=form.contact_name.data or "", email=form.email.data or "",
            password=form.password.data or "",
        )  # fmt: skip
        for name, message in problems.items():
            field = getattr(form, name)
            field.errors = field.errors or [message]
    elif form.is_submitted():
        try:
            user = services.register_enterprise(
                uscc=form.uscc.data,
                company_name=form.company_name.data,
                contact_name=form.contact_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            _sign_in(user)
            flash(
                _("注册成功。账户目前为“待核验”：完成核验后才能查看非公开数据和办理业务。"),
                "warning",
            )
            return redirect(url_for("identity.verify"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except ServiceError as exc:
            db.session.commit()  # keep the failure count
            flash(exc.message, "error")
            status = exc.status
        else:
            return _after_password(user, _safe_next(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


# --- the second factor at sign-in ------------------------------------------------------------
# After the password, a user with the second factor is not signed in yet: the session holds
# a pending marker (who, the session generation, what is asked, until when) for
# `PENDING_MINUTES`; a privileged user without it enrols first, within `ENROL_MINUTES`.

PENDING_MINUTES = 5
ENROL_MINUTES = 15
_PENDING = "pending_2fa"
_STEPS = {
    "code": (PENDING_MINUTES, "auth.second_factor"),
    "enrol": (ENROL_MINUTES, "auth.enrol_at_login"),
}


def _after_password(user: User, next_url: str | None):
    """Sign in, or ask for the second factor, or send a privileged user to enrol."""
    purpose = twofactor.step_after_password(user)
    if purpose is None:
        _sign_in(user)
        return redirect(next_url or url_for("main.home"))
    minutes, endpoint = _STEPS[purpose]
    session.clear()
    session[_PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "purpose": purpose,
        "until": utcnow().timestamp() + minutes * 60,
        "next": next_url,
    }
    return redirect(url_for(endpoint))


def _pending_user(purpose: str) -> User | None:
    """The user whose password was accepted for `purpose`, while the marker lasts."""
    marker = session.get(_PENDING)
    if not isinstance(marker, dict) or marker.get("purpose") != purpose:
        return None
    user = services.get_user(int(marker.get("user", 0)))
    if (
        user is None
        or not user.active
        or user.session_version != marker.get("version")
        or utcnow().timestamp() > float(marker.get("until", 0))
    ):
        session.pop(_PENDING, None)
        return None
    return user


def _pending_expired():
    session.pop(_PENDING, None)
    flash(_("登录已超时，请重新输入邮箱和密码"), "warning")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    """登录第二步: a code from the authenticator app, or a recovery code."""
    user = _pending_user("code")
    if user is None:
        return _pending_expired()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            twofactor.verify_sign_in(user, form.code.data, ip=request.remote_addr)
        except Locked as exc:  # not discarded: the redirect commits the lock and its event
            session.pop(_PENDING, None)
            flash(exc.message, "error")
            return redirect(url_for("auth.login"), code=303)
        except ServiceError as exc:
            db.session.commit()  # keep the failure count and the event
            attach_error(form, exc)
            return render_template("auth/second_factor.html", form=form), exc.status
        next_url = session[_PENDING].get("next")
        _sign_in(user)
        return redirect(next_url or url_for("main.home"))
    return render_template("auth/second_factor.html", form=form), (422 if form.errors else 200)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol_at_login():
    """A privileged user without a second factor adds one before anything else."""
    user = _pending_user("enrol")
    if user is None:
        return _pending_expired()
    form = CodeForm()
    codes = _confirmed(user, form)
    if codes is not None:
        next_url = session[_PENDING].get("next")
        _sign_in(user)
        return _recovery_codes_page(codes, next_url or url_for("main.home"))
    return _enrol_page(user, form, url_for("auth.enrol_at_login"), required=True)


def _confirmed(user: User, form: CodeForm) -> list[str] | None:
    """The recovery codes once the form's first code turns the second factor on (committed);
    None while the form is not sent or its code is refused (marked on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        codes = twofactor.confirm_enrolment(user, form.code.data, ip=request.remote_addr)
    except ServiceError as exc:
        discard()
        attach_error(form, exc)
        return None
    return codes


def _enrol_page(user: User, form: CodeForm, action: str, *, required: bool):
    return render_template(
        "auth/enrol.html",
        form=form,
        action=action,
        required=required,
        qr=twofactor.qr_data_uri(user),
        secret=twofactor.secret_of(user),
        email=user.email,
    ), (422 if form.errors else 200)


def _recovery_codes_page(codes: list[str], next_url: str):
    """The recovery codes, shown this once (never stored in clear, never in the cookie)."""
    response = render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
    return response, 200, {"Cache-Control": "no-store"}


# --- the second factor in the account settings ----------------------------------------------


@bp.route("/account/two-factor")
@role_required(unverified_ok=True)
def two_factor():
    """两步验证: status, new recovery codes, and (enterprises) turning it on or off."""
    return render_template(
        "auth/two_factor.html",
        enrolled=twofactor.is_enrolled(current_user),
        optional=twofactor.is_optional(current_user),
        remaining=twofactor.remaining_recovery_codes(current_user),
        form=CodeForm(),
    )


@bp.route("/account/two-factor/enrol", methods=["GET", "POST"])
@role_required(unverified_ok=True)
@limiter.limit(_login_limit, methods=["POST"])
def enrol():
    """Turn the second factor on from the account settings (enterprises; anyone reset)."""
    user = current_user._get_current_object()
    if twofactor.is_enrolled(user):
        return redirect(url_for("auth.two_factor"))
    twofactor.begin_enrolment(user)
    db.session.commit()  # the new secret outlives a refused code: the page shows its QR again
    form = CodeForm()
    codes = _confirmed(user, form)
    if codes is not None:
        return _recovery_codes_page(codes, url_for("auth.two_factor"))
    return _enrol_page(user, form, url_for("auth.enrol"), required=False)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@role_required(unverified_ok=True)
@limiter.limit(_login_limit)
def regenerate_recovery_codes():
    """New recovery codes against a current code; the old ones stop working."""
    form = CodeForm()
    if form.validate_on_submit():
        with refusal_flashed():
            codes = twofactor.regenerate_recovery_codes(
                current_user, form.code.data, ip=request.remote_addr
            )
            return _recovery_codes_page(codes, url_for("auth.two_factor"))
    return redirect(url_for("auth.two_factor"), code=303)


@bp.route("/account/two-factor/disable", methods=["POST"])
@role_required(unverified_ok=True)
@limiter.limit(_login_limit)
def disable_two_factor():
    """Turn the second factor off with a current code (enterprises only)."""
    form = CodeForm()
    if form.validate_on_submit():
        with refusal_flashed():
            twofactor.disable(current_user, form.code.data, ip=request.remote_addr)
            flash(_("两步验证已关闭"), "success")
    return redirect(url_for("auth.two_factor"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """忘记密码: the same answer whether or not the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        reset.request_reset(
            form.email.data, path_for=lambda t: url_for("auth.reset_password", token=t)
        )
        flash(_("如果该邮箱已注册，重置密码的链接已发送到该邮箱，%(m)d 分钟内有效。",
                m=current_app.config["PASSWORD_RESET_MINUTES"]), "success")  # fmt: skip
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/forgot.html", form=form), (422 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through the e-mailed link (once, within its time)."""
    form = ResetForm()
    user = reset.user_for_token(token)
    if user is None:
        return render_template("auth/reset.html", form=None), 404
    if form.validate_on_submit():
        try:
            reset.reset_password(token, form.password.data, ip=request.remote_addr)
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            logout_user()
            session.clear()
            flash(_("密码已重置，请用新密码登录。所有设备上的登录均已结束。"), "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset.html", form=form, email=user.email), (
        422 if form.errors else 200
    )


@bp.route("/logout", methods=["POST"])
@role_required(unverified_ok=True)
def logout():
    """Ends this session on the server too: a copy of the cookie opens nothing afterwards."""
    sessions.end(session.get("sid"))
    logout_user()
    session.clear()
    flash(_("您已安全退出"), "success")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(unverified_ok=True)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                keep_session=session.get("sid"),
                revoke_tokens=bool(form.revoke_tokens.data),
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            # The session id carries the new session version (pass the user, not the proxy).
            login_user(current_user._get_current_object())
            flash(_("密码已修改，其他设备上的登录已失效"), "success")
            return redirect(url_for("auth.settings"))
    return render_template(
        "auth/password.html", form=form, active_tokens=services.active_tokens(current_user)
    ), (422 if form.errors else 200)


def _settings_page(new_token: str | None = None, token_form: TokenForm | None = None):
    """The account's settings; a refused token form is shown again with its errors and
    what was typed."""
    return render_template(
        "auth/settings.html",
        tokens=services.list_tokens(current_user),
        token_form=token_form or TokenForm(formdata=None),
        revoke_form=EmptyForm(),
        sessions=sessions.active(current_user),
        current_sid=session.get("sid"),
        is_current=sessions.is_current,
        new_token=new_token,
    )


@bp.route("/account/settings")
@role_required(unverified_ok=True)
def settings():
    return _settings_page()


@bp.route("/account/tokens", methods=["POST"])
@role_required()
def create_token():
    """The new token is shown once, in this answer: it never travels in the session cookie."""
    form = TokenForm()
    if form.validate_on_submit():
        _token, plaintext = services.issue_token(
            current_user, form.name.data, days=form.days.data, scope=form.scope.data
        )
        flash(_("新令牌已生成，请立即复制保存，它只显示这一次"), "success")
        return _settings_page(new_token=plaintext)
    return _settings_page(token_form=form), 422


@bp.route("/account/sessions/end", methods=["POST"])
@role_required(unverified_ok=True)
def sign_out_everywhere():
    """退出全部设备: every session of the account ends, this one too."""
    if EmptyForm().validate_on_submit():
        sessions.end_all(current_user, ip=request.remote_addr)
        logout_user()
        session.clear()
        flash(_("已退出全部设备上的登录"), "success")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.settings"))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required(unverified_ok=True)
def revoke_token(token_id: int):
    form = EmptyForm()
    if form.validate_on_submit():
        with refusal_flashed():
            services.revoke_token(current_user, token_id)
            flash(_("令牌已吊销"), "success")
    return redirect(url_for("auth.settings"))


@bp.route("/lang", methods=["POST"])
def set_language():
    """The header's language switch: remembered in the session and, once logged in, per user."""
    form = EmptyForm()
    locale = request.form.get("locale", "")
    if form.validate_on_submit() and locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
    return redirect(_safe_next(request.form.get("next")) or url_for("main.index"))
