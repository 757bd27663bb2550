"""HTTP data sources: configuration, fetching pages, and pulls into import batches.

Protocol (docs/formats.md): `GET {base_url}/{source}?uscc=…&since=YYYY-MM&page=N` with
`Authorization: Bearer TOKEN` answers `{"records": [...], "next_page": N|null}`.
Requests time out, 5xx answers and connection errors are retried with backoff (urllib3
`Retry`), 4xx answers are not. The pages of one pull stream into one import batch of
app.ingest, so a pull that fails on any page writes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from app.clock import utcnow
from app.enterprises.services import validate_uscc
from app.errors import ServiceError, ValidationFailed
from app.extensions import db
from app.httpclient import RETRY_STATUSES, retrying_session
from app.ingest.services import BatchSummary, ingest_records
from app.sources.crypto import TokenUnreadable, decrypt_token, encrypt_token
from app.sources.models import ENTERPRISE_SOURCES, DataSource
from app.util import to_local

logger = logging.getLogger(__name__)

SOURCES = ENTERPRISE_SOURCES
MAX_INTERVAL_MINUTES = 366 * 24 * 60
MAX_TIMEOUT_SECONDS = 300.0

# Defaults, each overridable in the app config (tests shorten them).
DEFAULTS: dict[str, Any] = {
    "SOURCES_RETRIES": 3,  # retries after the first attempt, per request
    "SOURCES_BACKOFF_FACTOR": 1.0,  # sleeps 0, 2, 4… seconds between retries
    "SOURCES_BACKOFF_MAX": 60.0,
    "SOURCES_RETRY_AFTER_MAX": 120,  # cap on a server's Retry-After, in seconds
    "SOURCES_CONNECT_TIMEOUT": 10.0,
    "SOURCES_MAX_PAGES": 10_000,
    "SOURCES_MAX_PAGE_BYTES": 32 * 1024 * 1024,
    "SOURCES_SINCE_OVERLAP_MONTHS": 1,  # re-ask the last month: late payments, corrections
    "SOURCES_RETRY_FAILED_MINUTES": 60,  # a failed source is due again this soon
}


class SourceError(ServiceError):
    """A pull failed as a whole (unreachable, refused, timed out, malformed answer)."""

    status = 502
    code = "source_failed"


class SourceNotConfigured(SourceError):
    status = 404
    code = "source_not_configured"


@dataclass(frozen=True)
class PullResult:
    """The outcome of one source's pull in `pull_all` / `pull_enterprise`."""

    source: str
    summary: BatchSummary | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        if self.summary is not None:
            return self.summary.to_dict()
        return {"source": self.source, "error": self.error}

    def __repr__(self) -> str:  # short: callers log and store it
        if self.summary is None:
            return f"{self.source}: failed: {self.error}"
        s = self.summary
        return (
            f"{self.source}: batch {s.batch_id} ({s.rows} rows, {s.inserted} inserted, "
            f"{s.updated} updated, {s.skipped_no_consent} skipped)"
        )


def _config(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


# --- configuration ------------------------------------------------------------------------


def check_source(source: str) -> str:
    name = (source or "").strip()
    if name not in ENTERPRISE_SOURCES:
        raise ValidationFailed(
            "source",
            _(
                "未知数据源：%(name)s（可选：%(names)s）",
                name=name,
                names=", ".join(ENTERPRISE_SOURCES),
            ),
            code="unknown_source",
        )
    return name


def check_url(url: str) -> str:
    """An http(s) base URL without credentials, query or fragment; no trailing slash."""
    value = (url or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("url", _("请填写以 http:// 或 https:// 开头的地址"), code="bad_url")
    if parts.username or parts.password:
        raise ValidationFailed("url", _("地址中不能包含用户名或密码，请使用令牌"), code="bad_url")
    if parts.query or parts.fragment:
        raise ValidationFailed("url", _("地址中不能包含查询参数或锚点"), code="bad_url")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValidationFailed("url", _("地址的端口不正确"), code="bad_url") from exc
    return value.rstrip("/")


def _check_token(token: str) -> str:
    value = (token or "").strip()
    if not value:
        raise ValidationFailed("token", _("请填写访问令牌"), code="token_required")
    if len(value) > 4096 or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationFailed("token", _("令牌不能包含空白或控制字符"), code="bad_token")
    return value


def set_source(
    source: str,
    url: str,
    token: str | None,
    *,
    interval_minutes: int | None = None,
    timeout_seconds: float | None = None,
    enabled: bool | None = None,
    user_id: int | None = None,
) -> DataSource:
    """Configure (or change) where a source is pulled from.

    A blank `token` keeps the stored one; a new source needs one. The token is stored
    encrypted and never returned.
    """
    name = check_source(source)
    base_url = check_url(url)
    ds = get_source(name)
    if ds is None:
        ds = DataSource(
            source=name, base_url=base_url, token_encrypted=encrypt_token(_check_token(token or ""))
        )
        db.session.add(ds)
    elif token is not None and token.strip():
        ds.token_encrypted = encrypt_token(_check_token(token))
    ds.base_url = base_url
    if interval_minutes is not None:
        if not 1 <= int(interval_minutes) <= MAX_INTERVAL_MINUTES:
            raise ValidationFailed(
                "interval_minutes",
                _("拉取间隔须在 1 到 %(max)d 分钟之间", max=MAX_INTERVAL_MINUTES),
            )
        ds.interval_minutes = int(interval_minutes)
    if timeout_seconds is not None:
        if not 0 < float(timeout_seconds) <= MAX_TIMEOUT_SECONDS:
            raise ValidationFailed(
                "timeout_seconds", _("超时须在 0 到 %(max)d 秒之间", max=int(MAX_TIMEOUT_SECONDS))
            )
        ds.timeout_seconds = float(timeout_seconds)
    if enabled is not None:
        ds.enabled = bool(enabled)
    ds.updated_by_user_id = user_id
    ds.updated_at = utcnow()
    db.session.flush()
    logger.info("data source %s set to %s by user %s", name, base_url, user_id)
    return ds


def get_source(source: str) -> DataSource | None:
    return db.session.scalar(select(DataSource).where(DataSource.source == source))


def list_sources() -> list[DataSource]:
    """The configured sources, in the order of ENTERPRISE_SOURCES."""
    rows = {ds.source: ds for ds in db.session.scalars(select(DataSource))}
    return [rows[name] for name in ENTERPRISE_SOURCES if name in rows]


def masked_token(ds: DataSource) -> str:
    """`••••abcd`: enough for the operator to recognise the token, not to use it."""
    try:
        token = decrypt_token(ds.token_encrypted)
    except TokenUnreadable:
        return "••••" + _("（无法解密，请重新设置）")
    return "••••" + (token[-4:] if len(token) >= 12 else "")


# --- fetching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff_factor: float
    backoff_max: float
    retry_after_max: int
    max_pages: int
    max_page_bytes: int

    @classmethod
    def for_source(cls, ds: DataSource) -> FetchSettings:
        read_timeout = float(ds.timeout_seconds)
        return cls(
            connect_timeout=min(float(_config("SOURCES_CONNECT_TIMEOUT")), read_timeout),
            read_timeout=read_timeout,
            retries=int(_config("SOURCES_RETRIES")),
            backoff_factor=float(_config("SOURCES_BACKOFF_FACTOR")),
            backoff_max=float(_config("SOURCES_BACKOFF_MAX")),
            retry_after_max=int(_config("SOURCES_RETRY_AFTER_MAX")),
            max_pages=int(_config("SOURCES_MAX_PAGES")),
            max_page_bytes=int(_config("SOURCES_MAX_PAGE_BYTES")),
        )


def _session(token: str, settings: FetchSettings) -> requests.Session:
    return retrying_session(
        token,
        retries=settings.retries,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        retry_after_max=settings.retry_after_max,
        methods=frozenset({"GET"}),
        headers={"Accept": "application/json", "User-Agent": "xinyidai-sources/1"},
    )


def _transport_message(exc: requests.RequestException, source: str, settings: FetchSettings) -> str:
    attempts = settings.retries + 1
    reason: BaseException = exc
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        reason = inner.reason
    # urllib3's NewConnectionError (refused, no route) subclasses ConnectTimeoutError.
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError)
    ):
        return _(
            "数据源 %(source)s 连接超时（%(n)d 次尝试，每次 %(t)s 秒）",
            source=source,
            n=attempts,
            t=f"{settings.connect_timeout:g}",
        )
    if isinstance(exc, requests.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        return _(
            "数据源 %(source)s 响应超时（%(n)d 次尝试，每次等待 %(t)s 秒）",
            source=source,
            n=attempts,
            t=f"{settings.read_timeout:g}",
        )
    if isinstance(reason, NewConnectionError) or isinstance(exc, requests.ConnectionError):
        return _(
            "无法连接数据源 %(source)s（%(n)d 次尝试）：%(reason)s",
            source=source,
            n=attempts,
            reason=type(reason).__name__,
        )
    return _("请求数据源 %(source)s 失败：%(reason)s", source=source, reason=type(exc).__name__)


def _status_message(status: int, source: str, settings: FetchSettings) -> str:
    if status == 401:
        return _("数据源 %(source)s 拒绝了令牌（HTTP 401），请检查令牌", source=source)
    if status == 403:
        return _("数据源 %(source)s 拒绝访问（HTTP 403），请检查令牌的权限", source=source)
    if status == 404:
        return _("数据源 %(source)s 的地址不存在（HTTP 404），请检查地址", source=source)
    if status in RETRY_STATUSES:
        return _(
            "数据源 %(source)s 出错（HTTP %(status)d，%(n)d 次尝试后仍失败）",
            source=source,
            status=status,
            n=settings.retries + 1,
        )
    return _("数据源 %(source)s 返回了 HTTP %(status)d", source=source, status=status)


def _get_page(
    session: requests.Session, url: str, params: dict, source: str, settings: FetchSettings
) -> bytes:
    try:
        response = session.get(
            url,
            params=params,
            timeout=(settings.connect_timeout, settings.read_timeout),
            stream=True,
        )
    except requests.RequestException as exc:
        raise SourceError(_transport_message(exc, source, settings)) from exc
    with response:
        if response.status_code != 200:
            raise SourceError(_status_message(response.status_code, source, settings))
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                body += chunk
                if len(body) > settings.max_page_bytes:
                    raise SourceError(
                        _(
                            "数据源 %(source)s 的单页数据超过 %(mb)d MB",
                            source=source,
                            mb=settings.max_page_bytes // (1024 * 1024),
                        )
                    )
        except requests.RequestException as exc:
            raise SourceError(_transport_message(exc, source, settings)) from exc
    return bytes(body)


def _parse_page(body: bytes, source: str, page: int) -> tuple[list[dict], int | None]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SourceError(
            _("数据源 %(source)s 第 %(page)d 页不是有效的 JSON", source=source, page=page)
        ) from exc
    shape_error = _(
        '数据源 %(source)s 第 %(page)d 页格式不正确：应为 {"records": [...], "next_page": …}',
        source=source,
        page=page,
    )
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise SourceError(shape_error)
    records = data["records"]
    if not all(isinstance(record, dict) for record in records):
        raise SourceError(shape_error)
    next_page = data.get("next_page")
    if next_page is not None and (
        isinstance(next_page, bool) or not isinstance(next_page, int) or next_page < 1
    ):
        raise SourceError(shape_error)
    return records, next_page


def fetch_records(
    ds: DataSource, *, uscc: str | None = None, since: str | None = None
) -> Generator[dict, None, None]:
    """The records of one source, page after page, as raw dicts keyed by field name.

    Lazy: nothing is requested until the first record is asked for. Any failure (after
    retries) raises `SourceError`; a consumer that writes as it reads must roll back.
    """
    source = ds.source
    settings = FetchSettings.for_source(ds)
    try:
        token = decrypt_token(ds.token_encrypted)
    except TokenUnreadable as exc:
        raise SourceError(
            _("数据源 %(source)s 的令牌无法解密，请重新设置令牌", source=source)
        ) from exc
    url = f"{ds.base_url}/{source}"
    params: dict[str, str | int] = {}
    if uscc:
        params["uscc"] = uscc
    if since:
        params["since"] = since
    seen: set[int] = set()
    page = 1
    session = _session(token, settings)
    try:
        while True:
            if len(seen) >= settings.max_pages:
                raise SourceError(
                    _(
                        "数据源 %(source)s 的页数超过上限 %(max)d",
                        source=source,
                        max=settings.max_pages,
                    )
                )
            seen.add(page)
            body = _get_page(session, url, {**params, "page": page}, source, settings)
            records, next_page = _parse_page(body, source, page)
            logger.info("source %s page %d: %d records", source, page, len(records))
            yield from records
            if next_page is None:
                return
            if next_page in seen:
                raise SourceError(
                    _(
                        "数据源 %(source)s 的分页出现循环（第 %(page)d 页指回第 %(next)d 页）",
                        source=source,
                        page=page,
                        next=next_page,
                    )
                )
            page = next_page
    finally:
        session.close()


# --- pulls -------------------------------------------------------------------------------


def _next_since(started: datetime) -> str:
    """The period to ask from next time: the pull's month (Shanghai) less the overlap."""
    local = to_local(started)
    assert local is not None
    month = local.year * 12 + (local.month - 1) - int(_config("SOURCES_SINCE_OVERLAP_MONTHS"))
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _label(ds: DataSource, since: str | None, uscc: str | None) -> str:
    parts = [f"{ds.base_url}/{ds.source}"]
    if since:
        parts.append(f"since={since}")
    if uscc:
        parts.append(f"uscc={uscc}")
    return " ".join(parts)[:300]  # ImportBatch.filename


def _record_failure(ds_id: int, *, full: bool, started: datetime, message: str) -> None:
    """Roll the batch back, then record the failure in a transaction of its own."""
    db.session.rollback()
    if full:
        ds = db.session.get(DataSource, ds_id)
        if ds is not None:
            ds.last_pulled_at = started
            ds.last_status = "failed"
            ds.last_error = message[:2000]
        db.session.commit()


def pull_source(
    source: str, *, uscc: str | None = None, user_id: int | None = None
) -> BatchSummary:
    """Pull one source into one import batch (origin "pull"); a unit of work of its own.

    On success the batch is committed, and for a full pull (no `uscc`) the source's
    status and `since` cursor move on. On failure the batch is rolled back, so nothing
    of it is written, the failure is committed on the source for the operator to see,
    and `SourceError` is raised. Call it with nothing pending in the session.
    """
    name = check_source(source)
    code = validate_uscc(uscc) if uscc else None
    ds = get_source(name)
    if ds is None:
        raise SourceNotConfigured(_("数据源 %(source)s 尚未配置（flask sources set）", source=name))
    full = code is None
    since = ds.since if full else None
    started = utcnow()
    ds_id = ds.id
    records = fetch_records(ds, uscc=code, since=since)
    try:
        summary = ingest_records(
            name, records, origin="pull", user_id=user_id, label=_label(ds, since, code)
        )
    except SourceError as exc:
        # Info, not warning: the caller reports it (one stderr line in the CLI, the job run).
        logger.info("pull of %s failed: %s", name, exc.message)
        _record_failure(ds_id, full=full, started=started, message=exc.message)
        raise
    except ServiceError as exc:  # the answer as a whole could not be imported
        error = SourceError(
            _("数据源 %(source)s 的数据无法导入：%(reason)s", source=name, reason=exc.message)
        )
        logger.info("pull of %s failed: %s", name, error.message)
        _record_failure(ds_id, full=full, started=started, message=error.message)
        raise error from exc
    except Exception as exc:
        logger.exception("pull of %s failed", name)
        _record_failure(
            ds_id, full=full, started=started, message=_("内部错误：%(e)s", e=type(exc).__name__)
        )
        raise
    finally:
        records.close()
    if full:
        ds.last_pulled_at = started
        ds.last_success_at = utcnow()
        ds.last_status = "ok"
        ds.last_error = None
        ds.last_batch_id = summary.batch_id
        ds.since = _next_since(started)
    db.session.commit()
    logger.info("pull of %s: batch %s", name, summary.batch_id)
    return summary


def _pull_each(names: list[str], uscc: str | None, user_id: int | None) -> list[PullResult]:
    results = []
    for name in names:
        try:
            results.append(PullResult(name, summary=pull_source(name, uscc=uscc, user_id=user_id)))
        except ServiceError as exc:
            results.append(PullResult(name, error=exc.message))
    return results


def pull_all(uscc: str | None = None, *, user_id: int | None = None) -> list[PullResult]:
    """Pull every enabled source, each in its own batch; one failing does not stop the rest."""
    code = validate_uscc(uscc) if uscc else None
    names = [ds.source for ds in list_sources() if ds.enabled]
    return _pull_each(names, code, user_id)


def pull_enterprise(uscc: str, sources: Iterable[str] | None = None) -> list[PullResult]:
    """Pull one enterprise's records from each enabled source among `sources` (None = all).

    Called when an enterprise grants a collection authorization, with the granted
    categories: commit the grant first, as each pull is its own unit of work.
    """
    code = validate_uscc(uscc)
    wanted = set(ENTERPRISE_SOURCES) if sources is None else {check_source(s) for s in sources}
    names = [ds.source for ds in list_sources() if ds.enabled and ds.source in wanted]
    return _pull_each(names, code, None)


def is_due(ds: DataSource, now: datetime) -> bool:
    if not ds.enabled:
        return False
    if ds.last_pulled_at is None:
        return True
    minutes = ds.interval_minutes
    if ds.last_status == "failed":
        minutes = min(minutes, int(_config("SOURCES_RETRY_FAILED_MINUTES")))
    return ds.last_pulled_at + timedelta(minutes=minutes) <= now


def pull_due(now: datetime | None = None) -> list[PullResult]:
    """Pull every due source (the scheduler's job); one failing does not stop the rest."""
    return _pull_each([ds.source for ds in due_sources(now)], None, None)


def due_sources(now: datetime | None = None) -> list[DataSource]:
    """Enabled sources whose interval has passed since their last full pull.

    A source whose last pull failed is due again after at most an hour.
    """
    now = now or utcnow()
    return [ds for ds in list_sources() if is_due(ds, now)]
