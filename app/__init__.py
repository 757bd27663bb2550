"""The application factory: configuration, extensions, blueprints, CLI and error handlers.

No database work and no scheduler here: the schema comes from migrations and scheduled
jobs run only in `flask scheduler run`.
"""

from __future__ import annotations

import os
from decimal import InvalidOperation

from flask import Flask, flash, g, has_request_context, render_template, request, session
from flask_babel import get_locale, gettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    db_events,  # noqa: F401 - engine pragmas for SQLite
    edge,
    models,  # noqa: F401 - every table, for Alembic and relationships
    replicas,
    unit_of_work,
)
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import default_locale
from app.tables import label_cells
from app.util import format_rate, format_yuan, to_local
from config import CONFIGS, ProductionConfig


def create_app(config: type | str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    if config is None:
        config = os.environ.get("XYD_ENV", "development")
    if isinstance(config, str):
        config = CONFIGS[config]
    if config is ProductionConfig or (
        isinstance(config, type) and issubclass(config, ProductionConfig)
    ):
        ProductionConfig.validate()
    app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:
        # The client address and scheme as the configured number of proxies saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    _init_extensions(app)
    edge.init_app(app)  # before the blueprints: their routes compile with its converter
    _register_blueprints(app)
    _register_cli(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_security_headers(app)
    unit_of_work.init_app(app)  # the last hook registered, so the first to run
    return app


def _select_locale() -> str:
    if not has_request_context():  # CLI commands and scheduled jobs speak the source language
        return default_locale()
    languages = list(CONFIGS["development"].LANGUAGES)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    header = request.accept_languages.best_match(languages)
    return header or default_locale()


def _init_extensions(app: Flask) -> None:
    from app.auth import sessions, twofactor
    from app.auth.models import User

    db.init_app(app)
    replicas.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Shanghai")
    limiter.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _sep, version = session_id.partition(":")
        if not user_id.isdigit():
            return None
        with replicas.primary_reads():  # a logout must hold at once, not after the lag
            return _live_user(int(user_id), version)

    def _live_user(user_id: int, version: str):
        user = db.session.get(User, user_id)
        if user is None or not user.active or str(user.session_version) != version:
            return None
        # The session must still be live on the server (logout and "sign out everywhere").
        if not sessions.is_live(user, session.get("sid")):
            return None
        # A role that needs the second factor has no session without it (it enrols first).
        if twofactor.is_required(user) and not twofactor.is_enrolled(user):
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.api import load_routes
    from app.applications.routes import bp as applications_bp
    from app.audit.routes import bp as audit_bp
    from app.auth.routes import bp as auth_bp
    from app.bankview.routes import bp as enterprises_bp
    from app.consent.routes import bp as consent_bp
    from app.disputes.routes import bp as disputes_bp
    from app.enterprises import sizing  # noqa: F401 - registers its ingest hook
    from app.funds.routes import bp as funds_bp
    from app.identity.people import bp as people_bp
    from app.identity.routes import bp as identity_bp
    from app.ingest.routes import bp as ingest_bp
    from app.loans import imports  # noqa: F401 - registers its ingest writer
    from app.loans.routes import bp as loan_pages_bp
    from app.main.routes import bp as main_bp
    from app.market.routes import bp as market_bp
    from app.matching.routes import bp as matching_bp
    from app.notices.routes import bp as notices_bp
    from app.notifications.routes import bp as notifications_bp
    from app.products.routes import bp as products_bp
    from app.profiles.routes import bp as profiles_bp
    from app.publicity.routes import bp as publicity_bp
    from app.repairs.routes import bp as repairs_bp
    from app.reports.routes import bp as reports_bp
    from app.scheduler.routes import bp as scheduler_bp
    from app.scoring.routes import bp as scoring_bp
    from app.sources.routes import bp as sources_bp
    from app.stats.routes import bp as stats_bp

    load_routes()
    app.register_blueprint(main_bp)
    app.register_blueprint(market_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(scheduler_bp)
    app.register_blueprint(ingest_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(sources_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(enterprises_bp)
    app.register_blueprint(scoring_bp)
    app.register_blueprint(disputes_bp)
    app.register_blueprint(repairs_bp)
    app.register_blueprint(loan_pages_bp)
    app.register_blueprint(funds_bp)
    app.register_blueprint(publicity_bp)
    app.register_blueprint(reports_bp)
    for loans_bp in (products_bp, matching_bp, applications_bp, notifications_bp):
        app.register_blueprint(loans_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(stats_bp)
    csrf.exempt(api_bp)  # token-authenticated: no cookies, no CSRF


def _register_cli(app: Flask) -> None:
    from app.audit.cli import audit_cli
    from app.auth.cli import users_cli
    from app.banks.cli import banks_cli
    from app.consent.cli import consent_cli
    from app.dbgrants_cli import dbgrants_cli
    from app.demo.cli import demo_cli
    from app.enterprises.cli import enterprises_cli
    from app.funds.cli import funds_cli
    from app.identity.cli import verifications_cli
    from app.ingest.cli import ingest_cli
    from app.profiles.cli import profiles_cli
    from app.publicity.cli import publicity_cli
    from app.repairs.cli import repairs_cli
    from app.retention.cli import retention_cli
    from app.scheduler.cli import scheduler_cli
    from app.scoring.cli import scorecards_cli
    from app.sources.cli import pull_command, sources_cli
    from app.stats.cli import stats_cli
    from app.workcalendar.cli import calendar_cli

    groups = [users_cli, banks_cli, demo_cli, audit_cli, consent_cli, scheduler_cli]
    groups += [ingest_cli, scorecards_cli, sources_cli, profiles_cli, calendar_cli, stats_cli]
    groups += [publicity_cli, repairs_cli, enterprises_cli, dbgrants_cli, verifications_cli]
    groups += [funds_cli, retention_cli]
    ingest_cli.add_command(pull_command)  # `flask ingest pull`
    for group in groups:
        app.cli.add_command(group)


def _register_error_handlers(app: Flask) -> None:
    from app.api.errors import (
        error_response,
        http_error_response,
        service_error_response,
        wants_json,
    )
    from app.errors import ServiceError, ValidationFailed

    @app.errorhandler(ServiceError)
    def handle_service_error(exc: ServiceError):
        if wants_json():
            return service_error_response(exc)
        db.session.rollback()
        return render_template(
            "errors/error.html", status=exc.status, message=exc.message
        ), exc.status

    @app.errorhandler(InvalidOperation)
    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_number_out_of_range(_exc: Exception):
        """A value that its column cannot hold and that a parser let through: "1e27" for a
        decimal, 2⁶³ for an integer (SQLite's OverflowError, PostgreSQL's DataError, which
        also covers a text longer than its column)."""
        message = _("数值超出允许范围")
        return handle_service_error(ValidationFailed(None, message, code="number_out_of_range"))

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        message = _("表单已过期或缺少安全令牌，请刷新页面后重试")
        if wants_json():
            return error_response(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(429)
    def handle_rate_limit(exc: HTTPException):
        message = _("请求过于频繁，请稍后再试")
        if wants_json():
            return error_response(429, "rate_limited", message)
        flash(message, "error")
        return render_template("errors/error.html", status=429, message=message), 429

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if wants_json():
            return http_error_response(exc)
        messages = {
            400: _("请求有误"),
            403: _("您无权访问此页面"),
            404: _("页面不存在"),
            405: _("不支持的请求方法"),
            413: _("上传的文件过大"),
        }
        message = messages.get(exc.code or 500, exc.description)
        return render_template("errors/error.html", status=exc.code, message=message), exc.code

    @app.errorhandler(500)
    def handle_500(exc):
        db.session.rollback()
        if wants_json():
            return error_response(500, "internal_error", _("服务器内部错误"))
        return render_template("errors/error.html", status=500, message=_("服务器内部错误")), 500


def _register_template_helpers(app: Flask) -> None:
    @app.template_filter("localtime")
    def localtime(value, fmt: str = "%Y-%m-%d %H:%M"):
        local = to_local(value)
        return local.strftime(fmt) if local else ""

    @app.template_filter("yuan")
    def yuan(value):
        return format_yuan(value)

    @app.template_filter("rate")
    def rate(value):
        """An annual rate in percent without trailing zeros (4.35, 10); the template adds %."""
        return format_rate(value)

    @app.template_filter("pct")
    def pct(value):
        """A ratio as a percentage with one decimal ("—" when there is none)."""
        return "—" if value is None else f"{float(value) * 100:.1f}%"

    app.add_template_filter(label_cells, "label_cells")

    @app.template_filter("dash")
    def dash(value):
        """The value, or "—" when there is none."""
        return "—" if value is None else value

    @app.template_global("is_money")
    def _is_money(field: str | None) -> bool:
        from app.ingest.specs import MONEY_FIELDS

        return field in MONEY_FIELDS

    @app.template_global("size_label")
    def _size_label(code: str | None) -> str:
        from app.enterprises.size import size_label

        return size_label(code)

    @app.template_global("password_hint")
    def _password_hint() -> str:
        from app.auth.services import password_hint

        return password_hint()

    @app.template_global("source_label")
    def _source_label(name: str) -> str:
        from app.sources.models import source_label

        return source_label(name)

    @app.template_global("token_state")
    def _token_state(token) -> str:
        """An API token's state now: `active`, `expired` or `revoked`."""
        from app.clock import utcnow

        return token.state(utcnow())

    @app.template_global("token_label")
    def _token_label(code: str) -> str:
        """The words for an API token's scope or state."""
        from app.auth.models import TOKEN_SCOPE_LABELS, TOKEN_STATE_LABELS

        return str({**TOKEN_SCOPE_LABELS, **TOKEN_STATE_LABELS}[code])

    @app.context_processor
    def inject_globals():
        return {
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale() or "zh"),
        }


def _register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if getattr(g, "_login_user", None) is not None or (
            current_user and current_user.is_authenticated
        ):
            response.headers["Cache-Control"] = "no-store"
        return response
