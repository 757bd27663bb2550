"""Configuration read from the environment.

`Config` is for development (`make run`), `TestConfig` for the test suite and
`ProductionConfig` for real deployments; `create_app()` picks one from `XYD_ENV`.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEMO_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'xinyidai.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL hot-standby replicas for reads that tolerate lag (app/replicas.py): several
    # URLs separated by spaces or commas; none by default.
    DATABASE_REPLICA_URLS = os.environ.get("DATABASE_REPLICA_URLS", "")
    REPLICA_STICKY_SECONDS = float(os.environ.get("REPLICA_STICKY_SECONDS", "10"))
    REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "30"))

    # Sessions and cookies: HttpOnly, SameSite=Lax, Secure in production.
    SESSION_COOKIE_NAME = "xyd_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024
    # Imports: a file past one of these limits is refused whole, nothing written
    # (app/ingest/limits.py, docs/formats.md "Big and hostile files"). The unpacked size
    # counts what an XLSX's members really inflate to, not what its directory declares.
    INGEST_MAX_ROWS = int(os.environ.get("INGEST_MAX_ROWS", "5000000"))
    INGEST_MAX_CELL_CHARS = int(os.environ.get("INGEST_MAX_CELL_CHARS", "32767"))
    INGEST_MAX_LINE_KB = int(os.environ.get("INGEST_MAX_LINE_KB", "1024"))
    INGEST_XLSX_MAX_UNPACKED_MB = int(os.environ.get("INGEST_XLSX_MAX_UNPACKED_MB", "1024"))
    INGEST_XLSX_MAX_SHARED_STRINGS_MB = int(
        os.environ.get("INGEST_XLSX_MAX_SHARED_STRINGS_MB", "100")
    )
    INGEST_XLSX_MAX_SHARED_STRINGS = int(
        os.environ.get("INGEST_XLSX_MAX_SHARED_STRINGS", "2000000")
    )
    # Uploads and pushed files bigger than this are stored (INGEST_JOB_DIR, default the
    # instance folder's ingest-jobs/) and imported by the scheduler's run_import_jobs, which
    # re-queues a batch whose heartbeat is older than INGEST_JOB_STALE_SECONDS (its process
    # died), at most INGEST_JOB_MAX_ATTEMPTS times (app/ingest/jobs.py).
    INGEST_BACKGROUND_BYTES = int(float(os.environ.get("INGEST_BACKGROUND_MB", "5")) * 1024 * 1024)
    INGEST_JOB_DIR = os.environ.get("INGEST_JOB_DIR") or None
    INGEST_JOB_STALE_SECONDS = int(os.environ.get("INGEST_JOB_STALE_SECONDS", "900"))
    INGEST_JOB_MAX_ATTEMPTS = int(os.environ.get("INGEST_JOB_MAX_ATTEMPTS", "3"))
    SCHEDULER_IMPORT_JOBS_SECONDS = int(os.environ.get("XYD_SCHEDULER_IMPORT_JOBS_SECONDS", "10"))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "简体中文", "en": "English"}
    DISPLAY_TIMEZONE = "Asia/Shanghai"

    # Rate limits: memory by default, a shared store (redis://…) when several workers run.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are trusted (0: none,
    # the client address is the peer's). Set it to the number of proxies, no more: a client
    # can write the header itself, and only the entries the proxies appended are true.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))

    PASSWORD_MIN_LENGTH = 10
    # zxcvbn's guessability score a new password must reach (0 … 4; 3 ≈ 10⁸ guesses).
    PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))
    # A password-reset link sent by e-mail (MAIL_SENDER) works once, for this many minutes.
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "30"))

    # Scheduler (`flask scheduler run`): lease TTL, renewal and standby poll, in seconds.
    SCHEDULER_LEASE_TTL = float(os.environ.get("XYD_SCHEDULER_LEASE_TTL", "30"))
    SCHEDULER_RENEW_INTERVAL = float(os.environ.get("XYD_SCHEDULER_RENEW_INTERVAL", "10"))
    SCHEDULER_POLL_INTERVAL = float(os.environ.get("XYD_SCHEDULER_POLL_INTERVAL", "5"))
    SCHEDULER_PULL_SOURCES_SECONDS = int(
        os.environ.get("XYD_SCHEDULER_PULL_SOURCES_SECONDS", "300")
    )
    SCHEDULER_JOBS = os.environ.get("XYD_SCHEDULER_JOBS", "")  # comma list; empty = all
    SCHEDULER_TEST_JOB = _bool("XYD_SCHEDULER_TEST_JOB", False)  # adds a 1-second heartbeat

    # Disputes (异议), in Chinese working days (Shanghai's practice): forwarded to the authority
    # that holds the record (or decided) within 1 of filing; that authority answers within 5.
    DISPUTE_FLAG_WORKING_DAYS = int(os.environ.get("DISPUTE_FLAG_WORKING_DAYS", "1"))
    DISPUTE_SOURCE_WORKING_DAYS = int(os.environ.get("DISPUTE_SOURCE_WORKING_DAYS", "5"))
    # Credit repair: the decision within 3 working days, extendable once by 3 (Shenzhen's
    # rules); evidence files (PDF / JPEG / PNG) of at most this size, kept outside the web
    # root (default: the instance folder's repair_evidence/).
    REPAIR_WORKING_DAYS = int(os.environ.get("REPAIR_WORKING_DAYS", "3"))
    REPAIR_EXTENSION_WORKING_DAYS = int(os.environ.get("REPAIR_EXTENSION_WORKING_DAYS", "3"))
    EVIDENCE_MAX_MB = float(os.environ.get("EVIDENCE_MAX_MB", "10"))
    EVIDENCE_MAX_FILES = int(os.environ.get("EVIDENCE_MAX_FILES", "5"))
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR") or None
    # The quarterly re-check samples this share of the repairs approved before the quarter;
    # a revoked repair's broken commitment is recorded as a penalty decided by this body.
    REPAIR_RECHECK_SHARE = float(os.environ.get("REPAIR_RECHECK_SHARE", "0.1"))
    REPAIR_BREACH_AUTHORITY = os.environ.get("REPAIR_BREACH_AUTHORITY", "社会信用体系建设牵头部门")
    # Banks that read a repaired record within this many months are told of the repair.
    REPAIR_NOTIFY_MONTHS = int(os.environ.get("REPAIR_NOTIFY_MONTHS", "6"))
    # Loans: working days a bank has to accept (受理); where notifications go beyond the site.
    RESPONSE_WORKING_DAYS = int(os.environ.get("RESPONSE_WORKING_DAYS", "3"))
    # Statistics: a group resting on fewer enterprises than this is suppressed (at most 10).
    STATS_MIN_ENTERPRISES = int(os.environ.get("STATS_MIN_ENTERPRISES", "3"))
    # The access log's signed checkpoints: the Ed25519 private key (PEM; generated into the
    # instance folder when unset, except in production) and the directory outside the
    # database the checkpoints are also written to (append-only storage in production).
    AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE") or None
    AUDIT_GENERATE_KEY = True
    AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR") or None
    SCHEDULER_AUDIT_CHECKPOINT_SECONDS = int(
        os.environ.get("XYD_SCHEDULER_AUDIT_CHECKPOINT_SECONDS", "300")
    )
    # Report verification (报告验真) is public: checks per address.
    REPORT_VERIFY_RATE_LIMIT = os.environ.get("REPORT_VERIFY_RATE_LIMIT", "10 per minute")
    NOTIFICATION_SENDER = os.environ.get(
        "NOTIFICATION_SENDER", "app.notifications.senders:LoggingSender"
    )
    # Account verification by a code sent to the registry's contact phone (联系电话).
    # SMS_SENDER: `log` (development: the code goes to the log and to the operator's
    # development outbox) or `http` (POST to SMS_GATEWAY_URL with SMS_GATEWAY_TOKEN).
    SMS_SENDER = os.environ.get("SMS_SENDER", "log")
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMS_RETRIES = int(os.environ.get("SMS_RETRIES", "3"))
    SMS_BACKOFF_FACTOR = float(os.environ.get("SMS_BACKOFF_FACTOR", "1.0"))
    SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
    PHONE_CODE_MINUTES = int(os.environ.get("PHONE_CODE_MINUTES", "10"))
    PHONE_CODE_TRIES = int(os.environ.get("PHONE_CODE_TRIES", "5"))
    # Resend limit: a new code at most once a minute and at most 5 a day per account.
    PHONE_CODE_RESEND_SECONDS = int(os.environ.get("PHONE_CODE_RESEND_SECONDS", "60"))
    # Verification by the operator's review of the uploaded business licence: decided within
    # this many Chinese working days (files go through app.evidence: PDF/JPEG/PNG by content).
    VERIFICATION_REVIEW_WORKING_DAYS = int(os.environ.get("VERIFICATION_REVIEW_WORKING_DAYS", "3"))
    PHONE_CODE_MAX_PER_DAY = int(os.environ.get("PHONE_CODE_MAX_PER_DAY", "5"))
    # The ways an enterprise account may verify (app/identity/providers.py), offered in this
    # order: `phone`, `payment`, `review`.
    VERIFICATION_PROVIDERS = os.environ.get("VERIFICATION_PROVIDERS", "phone,payment,review")
    # A small payment to the corporate account (对公账户打款验证). PAYMENT_CHANNEL: `manual`
    # (the operator pays from the platform's account and marks it paid at /admin/payments)
    # or `http` (POST to PAYMENT_GATEWAY_URL with PAYMENT_GATEWAY_TOKEN: the bank pays), or
    # "module:Class". The amount may be typed PAYMENT_VERIFICATION_TRIES times within
    # PAYMENT_VERIFICATION_HOURS of the payment; at most PAYMENT_VERIFICATION_MAX_PER_MONTH
    # payments per account in 30 days.
    PAYMENT_CHANNEL = os.environ.get("PAYMENT_CHANNEL", "manual")
    # An administrator's invitation of a colleague works once, for this many days.
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "7"))
    PAYMENT_GATEWAY_URL = os.environ.get("PAYMENT_GATEWAY_URL", "")
    PAYMENT_GATEWAY_TOKEN = os.environ.get("PAYMENT_GATEWAY_TOKEN", "")
    PAYMENT_TIMEOUT = float(os.environ.get("PAYMENT_TIMEOUT", "15"))
    PAYMENT_VERIFICATION_HOURS = int(os.environ.get("PAYMENT_VERIFICATION_HOURS", "48"))
    PAYMENT_VERIFICATION_TRIES = int(os.environ.get("PAYMENT_VERIFICATION_TRIES", "3"))
    PAYMENT_VERIFICATION_MAX_PER_MONTH = int(
        os.environ.get("PAYMENT_VERIFICATION_MAX_PER_MONTH", "3")
    )
    # Notifications by e-mail (the outbox, sent by the send_emails job). MAIL_SENDER: `log`
    # (development) or `smtp` (SMTP_HOST, SMTP_PORT, SMTP_SECURITY starttls / ssl / none,
    # SMTP_USER, SMTP_PASSWORD); links in mails start with PUBLIC_BASE_URL.
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "log")
    MAIL_FROM = os.environ.get("MAIL_FROM", "信易贷 <noreply@xinyidai.invalid>")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls")
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "6"))
    # Enterprises are told this many days before an authorization lapses.
    AUTHORIZATION_REMIND_DAYS = int(os.environ.get("AUTHORIZATION_REMIND_DAYS", "7"))
    # Years the access log is kept (at least 5; app/retention/services.py).
    ACCESS_LOG_RETENTION_YEARS = int(os.environ.get("ACCESS_LOG_RETENTION_YEARS", "5"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000/")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True
    # Cheap hashes: the suite creates hundreds of accounts. Production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SERVER_NAME = None
    DATABASE_REPLICA_URLS = ""  # the replica tests configure their own


class ProductionConfig(Config):
    AUDIT_GENERATE_KEY = False  # a checkpoint is signed only with the configured key
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a missing, short or demo secret key."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEMO_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        if os.environ.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI=memory:// counts per process, so with several workers the "
                "login limit multiplies: set a shared store (redis://…) in production"
            )
        if os.environ.get("SMS_SENDER", "log") == "log":
            raise RuntimeError(
                "SMS_SENDER=log writes verification codes to the log: set SMS_SENDER=http "
                "and SMS_GATEWAY_URL / SMS_GATEWAY_TOKEN in production"
            )


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
