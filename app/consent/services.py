"""Authorization rules. Every check of "may this data be collected / seen" lives here.

Validity is decided from the clock (valid_from / valid_until) and the state, by these
functions themselves: a lapsed authorization stops counting the moment it lapses, whether
or not the expiry job has marked it `expired` yet.

Granting goes through one function, `grant(kind, …)`, whose kind-specific rules are in
`_check_collection` / `_check_query`; `grant_collection` is the collection shorthand and the
bank query authorization of the next issue adds its own shorthand over the same `grant`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from app.banks.models import Bank
from app.clock import utcnow
from app.consent.models import (
    DATA_MONTHS,
    KINDS,
    PURPOSE_LABELS,
    PURPOSES,
    Authorization,
    AuthorizationScope,
    ConsentText,
    PullRequest,
    Purpose,
)
from app.consent.terms import (
    QUERY_DEFAULT_DATA_MONTHS,
    QUERY_DEFAULT_DAYS,
    QUERY_DEFAULT_READS_PER_DAY,
    QUERY_MAX_DAYS,
    QUERY_MAX_READS_PER_DAY,
    data_from,
)
from app.enterprises.models import Enterprise
from app.enterprises.services import normalize_uscc, uscc_error
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.identity.services import require_may_authorize
from app.sources.models import ENTERPRISE_SOURCES, NON_PUBLIC_SOURCES, PUBLIC_SOURCES
from app.types import UTCDateTime
from app.util import chunked

# Non-public categories: stored only under a collection authorization.
NON_PUBLIC_CATEGORIES = NON_PUBLIC_SOURCES
PUBLIC_CATEGORIES = PUBLIC_SOURCES
ALL_CATEGORIES = ENTERPRISE_SOURCES

# A collection authorization runs until revoked unless days are given; at most ten years.
COLLECTION_MAX_DAYS = 3650


def in_force(at: datetime):
    """The SQL condition: an authorization active and within its validity at `at` (the one
    rule the guard, the consent services and the statistics share)."""
    return and_(
        Authorization.state == "active",
        Authorization.valid_from <= at,
        or_(Authorization.valid_until.is_(None), Authorization.valid_until > at),
    )


def collecting_enterprise_ids(category: str, at: datetime | None = None) -> Select:
    """SELECT of the ids of enterprises whose collection authorization covers `category` now.

    Set-based: ingestion joins staged rows against it instead of asking per row.
    """
    at = at or utcnow()
    return (
        select(Authorization.enterprise_id)
        .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
        .where(
            Authorization.kind == "collection",
            AuthorizationScope.category == category,
            in_force(at),
        )
        .distinct()
    )


def has_collection_consent(enterprise_id: int, category: str, at: datetime | None = None) -> bool:
    if category in PUBLIC_CATEGORIES:
        return True
    at = at or utcnow()
    query = select(
        exists().where(
            Authorization.id == AuthorizationScope.authorization_id,
            Authorization.kind == "collection",
            Authorization.enterprise_id == enterprise_id,
            AuthorizationScope.category == category,
            in_force(at),
        )
    )
    return bool(db.session.scalar(query))


# --- consent texts ---------------------------------------------------------------------


def text_sha256(body: str) -> str:
    """The hash recorded with each grant: SHA-256 of the exact body shown (UTF-8)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def current_text(kind: str, locale: str = "zh") -> ConsentText | None:
    """The newest version of the consent text for `kind` in `locale`."""
    return db.session.scalar(
        select(ConsentText)
        .where(ConsentText.kind == kind, ConsentText.locale == locale)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )


def current_text_for_display(kind: str, locale: str) -> ConsentText | None:
    """The current text in the reader's language, falling back to Chinese (the source)."""
    return current_text(kind, locale) or current_text(kind, "zh")


def get_text_version(kind: str, version: int, locale: str = "zh") -> ConsentText | None:
    return db.session.scalar(
        select(ConsentText).where(
            ConsentText.kind == kind, ConsentText.version == version, ConsentText.locale == locale
        )
    )


def publish_text(kind: str, body: str, *, title: str, locale: str = "zh") -> ConsentText:
    """A new version of a consent text; grants already made keep pointing at theirs."""
    if kind not in KINDS:
        raise ValidationFailed("kind", _("未知的授权类型：%(kind)s", kind=kind))
    if not body.strip():
        raise ValidationFailed("body", _("授权书正文不能为空"))
    latest = db.session.scalar(
        select(func.max(ConsentText.version)).where(ConsentText.kind == kind)
    )
    same_locale = current_text(kind, locale)
    # Versions are shared across locales: publishing a new English text of version N
    # when only Chinese N exists fills that version in; otherwise a new version starts.
    if same_locale is None or (latest is not None and same_locale.version < latest):
        version = latest or 1
    else:
        version = (latest or 0) + 1
    text = ConsentText(
        kind=kind,
        version=version,
        locale=locale,
        title=title.strip() or kind,
        body=body,
        sha256=text_sha256(body),
    )
    db.session.add(text)
    db.session.flush()
    return text


def _check_text(kind: str, text_id: int | None, text_hash: str | None) -> ConsentText:
    """The consent text the user saw, refused unless it is the current version."""
    text = db.session.get(ConsentText, text_id) if text_id is not None else None
    if text is None or text.kind != kind:
        raise ValidationFailed("consent_text", _("授权书不存在，请刷新页面后重试"))
    current = current_text(kind, text.locale)
    if current is None or current.id != text.id:
        raise Conflict(
            _("授权书已更新为新版本，请阅读新版本后重新确认"),
            code="stale_consent_text",
            field="consent_text",
        )
    if text_hash is not None and text_hash != text.sha256:
        raise Conflict(
            _("授权书内容与当前版本不一致，请刷新页面后重新确认"),
            code="stale_consent_text",
            field="consent_text",
        )
    return text


# --- granting and revoking -------------------------------------------------------------


def _clean_categories(categories: Iterable[str], allowed: Sequence[str]) -> list[str]:
    chosen = sorted({c.strip() for c in categories if c and c.strip()})
    if not chosen:
        raise ValidationFailed("categories", _("请至少选择一类数据"))
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise ValidationFailed(
            "categories",
            _("不能授权的数据类别：%(names)s", names="、".join(unknown)),
            code="unknown_category",
        )
    return chosen


def _validity(days: int | None, *, default: int | None, maximum: int) -> int | None:
    if days is None:
        return default
    if days < 1 or days > maximum:
        raise ValidationFailed(
            "days", _("授权有效期应为 1 至 %(max)s 天", max=maximum), code="invalid_days"
        )
    return days


def _check_collection(categories, grantee_bank_id, days):
    if grantee_bank_id is not None:
        raise ValidationFailed("grantee", _("采集授权的被授权方是平台，不能指定银行"))
    return (
        _clean_categories(categories, NON_PUBLIC_CATEGORIES),
        _validity(days, default=None, maximum=COLLECTION_MAX_DAYS),
    )


def _check_query(categories, grantee_bank_id, days):
    bank = db.session.get(Bank, grantee_bank_id) if grantee_bank_id is not None else None
    if bank is None or not bank.is_active:
        raise NotFound(_("被授权银行不存在或已停用"), code="bank_not_found")
    return (
        _clean_categories(categories, ALL_CATEGORIES),
        _validity(days, default=QUERY_DEFAULT_DAYS, maximum=QUERY_MAX_DAYS),
    )


_KIND_RULES = {"collection": _check_collection, "query": _check_query}


def check_reads_per_day(kind: str, reads_per_day: int | None) -> int | None:
    """A query authorization's daily read cap (default 20, 1 to 200); none for collection."""
    if kind != "query":
        return None
    if reads_per_day is None:
        return QUERY_DEFAULT_READS_PER_DAY
    if isinstance(reads_per_day, bool) or not 1 <= reads_per_day <= QUERY_MAX_READS_PER_DAY:
        raise ValidationFailed(
            "reads_per_day",
            _("每日查询次数上限应为 1 至 %(max)s 次", max=QUERY_MAX_READS_PER_DAY),
            code="invalid_reads_per_day",
        )
    return reads_per_day


# A downloaded copy may be kept at most a year.
QUERY_MAX_KEEP_COPY_DAYS = 365


def check_query_terms(
    purpose: str, data_months: int | None, keep_copy_days: int | None
) -> tuple[str, int, int]:
    """A query authorization's purpose (one of `Purpose`), date range (12, 24 or 36 months,
    36 unless given) and copy-keeping days (0 = none, the default; at most 365)."""
    purpose = (purpose or "").strip()
    if purpose not in PURPOSES:
        if not purpose:
            raise ValidationFailed("purpose", _("请选择授权用途"), code="invalid_purpose")
        raise ValidationFailed(
            "purpose",
            _("授权用途应为：%(names)s", names="、".join(str(v) for v in PURPOSE_LABELS.values())),
            code="invalid_purpose",
        )
    months = QUERY_DEFAULT_DATA_MONTHS if data_months is None else data_months
    if isinstance(months, bool) or months not in DATA_MONTHS:
        raise ValidationFailed(
            "data_months",
            _("数据范围应为近 12、24 或 36 个月"),
            code="invalid_data_months",
        )
    keep = 0 if keep_copy_days is None else keep_copy_days
    if isinstance(keep, bool) or not 0 <= keep <= QUERY_MAX_KEEP_COPY_DAYS:
        raise ValidationFailed(
            "keep_copy_days",
            _("副本保留天数应为 0 至 %(max)s 天", max=QUERY_MAX_KEEP_COPY_DAYS),
            code="invalid_keep_copy_days",
        )
    return purpose, months, keep


def _replace_overlapping_collection(
    enterprise_id: int, categories: list[str], now: datetime
) -> tuple[list[Authorization], list[str]]:
    """Active collection authorizations sharing a category with a new grant.

    Replacement rule: at most one authorization in force per (enterprise, category). A new
    grant closes every in-force one it overlaps (state "revoked", `replaced_by_id` set) and
    takes over their other categories too, so narrowing never happens by accident; a
    category is dropped only by revoking.
    """
    overlapping = list(
        db.session.scalars(
            select(Authorization)
            .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
            .where(
                Authorization.kind == "collection",
                Authorization.enterprise_id == enterprise_id,
                AuthorizationScope.category.in_(categories),
                in_force(now),
            )
            .distinct()
        )
    )
    carried = sorted({c for old in overlapping for c in old.categories} | set(categories))
    return overlapping, carried


def _check_application(application_id: int, enterprise_id: int, bank_id: int | None) -> None:
    """An authorization tied to an application: the enterprise's own, to the bank that has
    it (an open demand no bank took yet may be tied to any)."""
    from app.applications.models import Application

    row = db.session.execute(
        select(Application.enterprise_id, Application.bank_id).where(
            Application.id == application_id
        )
    ).one_or_none()
    if row is None or row.enterprise_id != enterprise_id:
        raise ValidationFailed("application_id", _("申请不存在"))
    if bank_id is None or (row.bank_id is not None and row.bank_id != bank_id):
        raise ValidationFailed("application_id", _("该申请不是向被授权银行提出的"))


def grant(
    kind: str,
    enterprise_id: int,
    categories: Iterable[str],
    *,
    user_id: int | None,
    ip: str | None,
    text_id: int | None,
    text_hash: str | None = None,
    grantee_bank_id: int | None = None,
    days: int | None = None,
    method: str = "online",
    evidence_ref: str | None = None,
    purpose: str = "",
    purpose_note: str = "",
    application_id: int | None = None,
    reads_per_day: int | None = None,
    data_months: int | None = None,
    keep_copy_days: int | None = None,
    now: datetime | None = None,
) -> Authorization:
    """Record an authorization of `kind` by the enterprise; kind-specific rules apply.

    Online grants must name the current consent text (and, when given, its hash) the user
    saw; a paper grant names its evidence instead. A collection grant queues a data pull.
    """
    require_may_authorize(user_id)  # an enterprise's staff may not bind it
    if kind not in _KIND_RULES:
        raise ValidationFailed("kind", _("未知的授权类型：%(kind)s", kind=kind))
    if method not in ("online", "paper"):
        raise ValidationFailed("method", f"unknown method {method!r}")
    # Lock the enterprise row (PostgreSQL): two grants for one enterprise at the same time
    # are serialised, so "one in force per category" cannot be broken by a race.
    if db.session.get(Enterprise, enterprise_id, with_for_update=True) is None:
        raise NotFound(_("企业不存在"))
    chosen, valid_days = _KIND_RULES[kind](categories, grantee_bank_id, days)
    cap = check_reads_per_day(kind, reads_per_day)
    months, keep = None, 0
    if kind == "query":
        purpose, months, keep = check_query_terms(purpose, data_months, keep_copy_days)
    else:
        purpose = ""
    if application_id is not None:
        _check_application(application_id, enterprise_id, grantee_bank_id)
    text: ConsentText | None = None
    if method == "online":
        text = _check_text(kind, text_id, text_hash)
    else:
        evidence_ref = (evidence_ref or "").strip()
        if not evidence_ref:
            raise ValidationFailed("evidence", _("书面授权须填写凭证编号"))
        if text_id is not None:
            text = db.session.get(ConsentText, text_id)
            if text is None or text.kind != kind:
                raise ValidationFailed("consent_text", _("授权书不存在"))
    now = now or utcnow()
    replaced: list[Authorization] = []
    if kind == "collection":
        replaced, chosen = _replace_overlapping_collection(enterprise_id, chosen, now)
    auth = Authorization(
        kind=kind,
        enterprise_id=enterprise_id,
        grantee_bank_id=grantee_bank_id,
        purpose=purpose,
        purpose_note=(purpose_note or "").strip()[:300],
        application_id=application_id,
        reads_per_day=cap,
        data_from=data_from(now, months),
        keep_copy_days=keep,
        valid_from=now,
        valid_until=now + timedelta(days=valid_days) if valid_days else None,
        consent_text_id=text.id if text else None,
        consent_text_sha256=text.sha256 if text else None,
        method=method,
        evidence_ref=evidence_ref or None,
        granted_by_user_id=user_id,
        granted_ip=ip,
        state="active",
        created_at=now,
        scopes=[AuthorizationScope(category=c) for c in chosen],
    )
    db.session.add(auth)
    db.session.flush()
    for old in replaced:
        old.state = "revoked"
        old.revoked_at = now
        old.revoked_by_user_id = user_id
        old.replaced_by_id = auth.id
    if kind == "collection":
        db.session.add(
            PullRequest(
                enterprise_id=enterprise_id,
                authorization_id=auth.id,
                categories=chosen,
                requested_at=now,
            )
        )
    db.session.flush()
    return auth


def grant_collection(
    enterprise_id: int,
    categories: Iterable[str],
    *,
    user_id: int | None,
    ip: str | None,
    text_id: int | None,
    text_hash: str | None = None,
    days: int | None = None,
    method: str = "online",
    evidence_ref: str | None = None,
    now: datetime | None = None,
) -> Authorization:
    """The enterprise lets the platform collect `categories` (non-public source names)."""
    return grant(
        "collection",
        enterprise_id,
        categories,
        user_id=user_id,
        ip=ip,
        text_id=text_id,
        text_hash=text_hash,
        days=days,
        method=method,
        evidence_ref=evidence_ref,
        now=now,
    )


def get_own_authorization(authorization_id: int, enterprise_id: int) -> Authorization:
    """The enterprise's own authorization; anyone else's is NotFound (not Forbidden)."""
    auth = db.session.get(Authorization, authorization_id)
    if auth is None or auth.enterprise_id != enterprise_id:
        raise NotFound(_("授权记录不存在"))
    return auth


def revoke(
    authorization_id: int,
    *,
    user_id: int | None,
    enterprise_id: int,
    now: datetime | None = None,
) -> Authorization:
    """Revoke at once. Only the owning enterprise's administrator may; collected records stay
    (see the text)."""
    require_may_authorize(user_id)
    auth = get_own_authorization(authorization_id, enterprise_id)
    now = now or utcnow()
    if auth.effective_state(now) != "active":
        raise Conflict(_("该授权已撤销或已过期"), code="not_active")
    auth.state = "revoked"
    auth.revoked_at = now
    auth.revoked_by_user_id = user_id
    db.session.flush()
    return auth


def list_authorizations(enterprise_id: int, kind: str | None = None) -> list[Authorization]:
    """The enterprise's authorizations, newest first; use `effective_state()` for the state."""
    query = select(Authorization).where(Authorization.enterprise_id == enterprise_id)
    if kind is not None:
        query = query.where(Authorization.kind == kind)
    return list(db.session.scalars(query.order_by(Authorization.id.desc())))


def collection_status(enterprise_id: int, at: datetime | None = None) -> dict:
    """Per non-public category, the collection authorization in force (or None)."""
    at = at or utcnow()
    status: dict[str, Authorization | None] = dict.fromkeys(NON_PUBLIC_CATEGORIES)
    for auth in list_authorizations(enterprise_id, "collection"):
        if auth.effective_state(at) == "active" and auth.valid_from <= at:
            for category in auth.categories:
                if category in status and status[category] is None:
                    status[category] = auth
    return status


def expiring(now: datetime, within: timedelta):
    """The SQL condition: in force at `now` and lapsing within `within` of it."""
    return and_(
        in_force(now), Authorization.valid_until.is_not(None),
        Authorization.valid_until <= now + within,
    )  # fmt: skip


def expire_lapsed(now: datetime | None = None) -> int:
    """Mark active authorizations past their `valid_until` as expired; how many."""
    now = now or utcnow()
    result = db.session.execute(
        update(Authorization)
        .where(
            Authorization.state == "active",
            Authorization.valid_until.is_not(None),
            Authorization.valid_until <= now,
        )
        .values(state="expired")
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.expire_all()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_paper(
    usccs: Sequence[str],
    *,
    grantee: str = "platform",
    categories: Iterable[str],
    evidence_ref: str,
    days: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> list[Authorization]:
    """Paper authorizations (书面授权) entered by the operator: all of them or none.

    Every USCC is checked (check character, known in the registry) before anything is
    written; a bad one raises ValidationFailed naming each bad code. `grantee` is
    "platform" (collection) or a bank code (query, 30 days by default, at most 90).
    """
    if not usccs:
        raise ValidationFailed("uscc", _("请至少指定一个统一社会信用代码"))
    categories = list(categories)
    problems: list[str] = []
    codes: list[str] = []
    for raw in usccs:
        error = uscc_error(raw)
        if error:
            problems.append(f"{raw}: {error}")
        else:
            codes.append(normalize_uscc(raw))
    ids = {
        uscc: enterprise_id
        for part in chunked(codes)
        for uscc, enterprise_id in db.session.execute(
            select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(part))
        )
    }
    problems += [f"{code}: {_('不在企业登记库中')}" for code in codes if code not in ids]
    if problems:
        raise ValidationFailed("uscc", "; ".join(problems), code="invalid_uscc")
    if len(set(codes)) != len(codes):
        raise ValidationFailed("uscc", _("统一社会信用代码重复"), code="duplicate_uscc")

    kind, bank_id = "collection", None
    if grantee.strip().lower() != "platform":
        bank = db.session.scalar(select(Bank).where(Bank.code == grantee.strip().upper()))
        if bank is None:
            raise NotFound(_("银行 %(code)s 不存在", code=grantee), code="bank_not_found")
        kind, bank_id = "query", bank.id
    # grant()'s rules, checked once for the whole set (they do not depend on the enterprise)
    chosen, valid_days = _KIND_RULES[kind](categories, bank_id, days)
    evidence_ref = (evidence_ref or "").strip()
    if not evidence_ref:
        raise ValidationFailed("evidence", _("书面授权须填写凭证编号"))
    now = now or utcnow()
    enterprise_ids = [ids[code] for code in codes]
    _lock_enterprises(enterprise_ids)
    replaced = _overlapping_collections(enterprise_ids, chosen, now) if kind == "collection" else {}
    # Set-based grant(): the authorizations are inserted by one INSERT … SELECT per chunk
    # of enterprises (the values are the same for all but the enterprise), RETURNING
    # their ids; scopes and pulls follow as plain multi-row inserts. The paper form is the
    # evidence; no on-screen text was shown, so none is recorded.
    values: dict[str, Any] = {
        "kind": literal(kind),
        "enterprise_id": Enterprise.id,
        "grantee_bank_id": literal(bank_id, Integer),
        "purpose": literal(Purpose.PRE_LOAN.value if kind == "query" else ""),
        "purpose_note": literal(_("书面授权") if kind == "query" else ""),
        "data_from": literal(
            data_from(now, QUERY_DEFAULT_DATA_MONTHS) if kind == "query" else None, Date()
        ),
        "keep_copy_days": literal(0, Integer),
        "reads_per_day": literal(check_reads_per_day(kind, None), Integer),
        "valid_from": literal(now, UTCDateTime()),
        "valid_until": literal(
            now + timedelta(days=valid_days) if valid_days else None, UTCDateTime()
        ),
        "method": literal("paper"),
        "evidence_ref": literal(evidence_ref),
        "granted_by_user_id": literal(user_id, Integer),
        "state": literal("active"),
        "created_at": literal(now, UTCDateTime()),
    }
    auth_ids: dict[int, int] = {}
    for part in chunked(enterprise_ids):
        query = select(*values.values()).where(Enterprise.id.in_(part))
        inserted = db.session.execute(
            insert(Authorization)
            .from_select(list(values), query)
            .returning(Authorization.enterprise_id, Authorization.id)
        )
        auth_ids.update((row[0], row[1]) for row in inserted)
    carried = {
        enterprise_id: sorted(
            {c for old in replaced.get(enterprise_id, []) for c in old.categories} | set(chosen)
        )
        for enterprise_id in enterprise_ids
    }
    db.session.execute(
        insert(AuthorizationScope),
        [
            {"authorization_id": auth_ids[enterprise_id], "category": category}
            for enterprise_id in enterprise_ids
            for category in carried[enterprise_id]
        ],
    )
    for enterprise_id, olds in replaced.items():
        for old in olds:
            old.state = "revoked"
            old.revoked_at = now
            old.revoked_by_user_id = user_id
            old.replaced_by_id = auth_ids[enterprise_id]
    if kind == "collection":
        db.session.execute(
            insert(PullRequest),
            [
                {
                    "enterprise_id": enterprise_id,
                    "authorization_id": auth_ids[enterprise_id],
                    "categories": carried[enterprise_id],
                    "requested_at": now,
                }
                for enterprise_id in enterprise_ids
            ],
        )
    db.session.flush()
    return _authorizations([auth_ids[enterprise_id] for enterprise_id in enterprise_ids])


def _authorizations(ids: list[int]) -> list[Authorization]:
    """The authorizations with these ids, in this order (their scopes loaded)."""
    found: dict[int, Authorization] = {}
    for part in chunked(ids):
        found.update(
            (a.id, a)
            for a in db.session.scalars(select(Authorization).where(Authorization.id.in_(part)))
        )
    return [found[i] for i in ids]


def _lock_enterprises(enterprise_ids: list[int]) -> None:
    """grant()'s row lock (PostgreSQL) on every enterprise, in id order (no deadlocks
    between two bulk calls); SQLite serialises writers anyway and ignores FOR UPDATE."""
    ordered = sorted(enterprise_ids)
    for part in chunked(ordered):
        db.session.execute(
            select(Enterprise.id)
            .where(Enterprise.id.in_(part))
            .order_by(Enterprise.id)
            .with_for_update()
        ).all()


def _overlapping_collections(
    enterprise_ids: list[int], categories: list[str], now: datetime
) -> dict[int, list[Authorization]]:
    """`_replace_overlapping_collection` for many enterprises at once: per enterprise,
    the in-force collection authorizations sharing a category with the new grant."""
    found: dict[int, list[Authorization]] = {}
    for part in chunked(enterprise_ids):
        overlapping = db.session.scalars(
            select(Authorization)
            .join(AuthorizationScope, AuthorizationScope.authorization_id == Authorization.id)
            .where(
                Authorization.kind == "collection",
                Authorization.enterprise_id.in_(part),
                AuthorizationScope.category.in_(categories),
                in_force(now),
            )
            .distinct()
            .order_by(Authorization.id)
        )
        for auth in overlapping:
            found.setdefault(auth.enterprise_id, []).append(auth)
    return found


# --- pulls queued by grants ------------------------------------------------------------


def pending_pull_requests(limit: int = 100) -> list[PullRequest]:
    return list(
        db.session.scalars(
            select(PullRequest)
            .where(PullRequest.done_at.is_(None))
            .order_by(PullRequest.requested_at, PullRequest.id)
            .limit(limit)
        )
    )


# --- query authorizations (a named bank views the enterprise's data) -----------------------


def grant_query(
    enterprise_id: int,
    bank_id: int,
    categories: Iterable[str],
    *,
    purpose: str,
    user_id: int | None,
    ip: str | None,
    text_id: int | None,
    text_hash: str | None = None,
    days: int | None = None,
    application_id: int | None = None,
    method: str = "online",
    evidence_ref: str | None = None,
    reads_per_day: int | None = None,
    data_months: int | None = None,
    keep_copy_days: int | None = None,
    purpose_note: str = "",
    now: datetime | None = None,
) -> Authorization:
    """The enterprise lets one bank view `categories` for `purpose` (a `Purpose`), for `days`
    (≤ 90), at most `reads_per_day` reads a day (20 unless given, ≤ 200), of the data of the
    last `data_months` months (36 unless given), keeping a downloaded copy at most
    `keep_copy_days` days (none unless given). The words: `consent.terms`."""
    return grant(
        "query",
        enterprise_id,
        categories,
        user_id=user_id,
        ip=ip,
        text_id=text_id,
        text_hash=text_hash,
        grantee_bank_id=bank_id,
        days=days,
        method=method,
        evidence_ref=evidence_ref,
        purpose=purpose,
        purpose_note=purpose_note,
        application_id=application_id,
        reads_per_day=reads_per_day,
        data_months=data_months,
        keep_copy_days=keep_copy_days,
        now=now,
    )


def active_banks() -> list[Bank]:
    return list(
        db.session.scalars(select(Bank).where(Bank.is_active.is_(True)).order_by(Bank.name))
    )
