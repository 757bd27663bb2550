"""The terms of a query authorization, in the one set of words everyone is shown.

The enterprise reads them before it confirms (the preview), in its list of authorizations
and in its access log; the bank reads them on the profile, on the credit report it
downloads, and in every refusal the guard gives (`denial_message`). All of them come from
`sentences()` here, and the guard (`consent.guard`) enforces exactly these terms: purpose,
categories, validity (at most `QUERY_MAX_DAYS`), the date range of the data, the cap on
reads per day, and whether the bank may keep a downloaded copy and for how long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _

from app.clock import utcnow
from app.consent.models import PURPOSE_LABELS, Authorization, Purpose
from app.util import add_months, to_local

# A query authorization (a named bank) always lapses: 30 days unless asked, never past 90.
QUERY_DEFAULT_DAYS = 30
QUERY_MAX_DAYS = 90
# The date range of the data: the last 36 months unless asked (12, 24 or 36).
QUERY_DEFAULT_DATA_MONTHS = 36
# The cap on the bank's reads per day: 20 unless asked, at most 200.
QUERY_DEFAULT_READS_PER_DAY = 20
QUERY_MAX_READS_PER_DAY = 200


@dataclass(frozen=True)
class Terms:
    """What one query authorization allows; made from a row (`of`) or from a form not yet
    granted (`proposed`), so that the preview and the guard speak of the same thing."""

    purpose: str
    categories: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    data_from: date | None
    reads_per_day: int | None
    keep_copy_days: int

    @classmethod
    def of(cls, auth: Authorization) -> Terms:
        return cls(
            auth.purpose,
            tuple(auth.categories),
            auth.valid_from,
            auth.valid_until,
            auth.data_from,
            auth.reads_per_day,
            auth.keep_copy_days or 0,
        )

    @classmethod
    def proposed(
        cls,
        *,
        purpose: str,
        categories,
        days: int,
        data_months: int | None,
        reads_per_day: int | None,
        keep_copy_days: int,
        now: datetime,
    ) -> Terms:
        return cls(
            purpose,
            tuple(sorted(categories or ())),
            now,
            now + timedelta(days=days),
            data_from(now, data_months),
            reads_per_day,
            keep_copy_days,
        )

    def copy_until(self, downloaded_at: datetime) -> date | None:
        """The last day a copy downloaded at `downloaded_at` may be kept (None: not kept)."""
        if self.keep_copy_days <= 0:
            return None
        local = to_local(downloaded_at)
        assert local is not None
        return local.date() + timedelta(days=self.keep_copy_days)


def data_from(now: datetime, months: int | None) -> date | None:
    """The first day of the data range: the first of the month `months - 1` months before
    `now`'s month in Shanghai (the last 24 months of 2026-11-18 start on 2024-12-01)."""
    if months is None:
        return None
    local = to_local(now)
    assert local is not None
    return add_months(local.date().replace(day=1), -(months - 1))


def in_data_range(last_day: date | None, since: date | None) -> bool:
    """The date-range rule, the one every page, API and report applies to what a bank is
    shown: data whose last day is `last_day` (a record's decision day, the last day of a
    monthly record's month or of a rating's year) is within a range starting on `since`
    when it reaches that day; data with no date (the registry) and a range with no start
    (None: all on record) always are."""
    return since is None or last_day is None or last_day >= since


@lru_cache(maxsize=1024)
def month_end(period: str) -> date:
    """The last day of a monthly period `YYYY-MM` (what `in_data_range` compares)."""
    first = date.fromisoformat(period + "-01")
    return add_months(first, 1) - timedelta(days=1)


def year_end(year: int) -> date:
    """The last day of `year` (a tax rating's year, for `in_data_range`)."""
    return date(year, 12, 31)


def valid_until_capped(valid_from: datetime, valid_until: datetime | None) -> datetime:
    """When a query authorization stops counting: its own end, never later than
    `QUERY_MAX_DAYS` after its start (a row written past the rule still lapses by it)."""
    limit = valid_from + timedelta(days=QUERY_MAX_DAYS)
    return limit if valid_until is None or valid_until > limit else valid_until


def purpose_text(purpose: str) -> str:
    label = PURPOSE_LABELS.get(Purpose(purpose)) if purpose in PURPOSE_LABELS else None
    return str(label) if label else purpose or "—"


def validity_text(terms: Terms) -> str:
    until = valid_until_capped(terms.valid_from, terms.valid_until)
    days = max(1, round((until - terms.valid_from) / timedelta(days=1)))
    local = to_local(until)
    assert local is not None
    return _(
        "有效期 %(days)s 天，至 %(date)s 止（最长 %(max)s 天）",
        days=days,
        date=local.strftime("%Y-%m-%d %H:%M"),
        max=QUERY_MAX_DAYS,
    )


def range_text(start: date | None) -> str:
    if start is None:
        return _("可查看在档的全部数据")
    return _("只可查看 %(date)s 及以后的数据", date=start.isoformat())


def reads_per_day_text(n: int | None) -> str:
    if n is None:
        return _("不限每日查询次数")
    return _("每日最多查询 %(n)s 次，超过的查询被拒绝并记录", n=n)


def copy_text(days: int, downloaded_at: datetime | None = None) -> str:
    """Whether the bank may keep what it downloads; with `downloaded_at`, until which day."""
    if days <= 0:
        return _("不得保留下载的副本，用毕即删")
    if downloaded_at is None:
        return _("下载的副本最多保留 %(n)s 天，到期删除", n=days)
    local = to_local(downloaded_at)
    assert local is not None
    until = local.date() + timedelta(days=days)
    return _("下载的副本最多保留 %(n)s 天，须于 %(date)s 前删除", n=days, date=until.isoformat())


def sentences(terms: Terms, *, downloaded_at: datetime | None = None) -> dict[str, str]:
    """Every term in words, keyed by term (purpose, validity, range, cap, copy); the
    preview, the lists and the bank's pages show these, the guard's refusals quote them."""
    return {
        "purpose": _("用途：%(purpose)s", purpose=purpose_text(terms.purpose)),
        "validity": validity_text(terms),
        "range": range_text(terms.data_from),
        "cap": reads_per_day_text(terms.reads_per_day),
        "copy": copy_text(terms.keep_copy_days, downloaded_at),
    }


def application_terms(categories, days: int | None) -> dict[str, str]:
    """The words of the query authorization an application grants its bank (the defaults
    `services.grant_query` applies: pre-loan review, 36 months, 20 reads a day, no copy)."""
    return sentences(
        Terms.proposed(
            purpose=Purpose.PRE_LOAN,
            categories=categories,
            days=days or QUERY_DEFAULT_DAYS,
            data_months=QUERY_DEFAULT_DATA_MONTHS,
            reads_per_day=QUERY_DEFAULT_READS_PER_DAY,
            keep_copy_days=0,
            now=utcnow(),
        )
    )


# The guard's reasons for a refusal that one term of an authorization explains.
DAILY_CAP = "daily_cap"
DATA_RANGE = "data_range"
_TERM_OF_REASON = {DAILY_CAP: "cap", DATA_RANGE: "range"}


def denial_message(reason: str, terms: Terms | None) -> str:
    """What a refused bank user is told: the term it ran into, in the preview's words."""
    if terms is not None and reason in _TERM_OF_REASON:
        term = sentences(terms)[_TERM_OF_REASON[reason]]
        return _("查询被拒绝，已记录。该企业的授权：%(term)s", term=term)
    return _("该企业尚未授权本行查询其数据。本次请求已记录。")
