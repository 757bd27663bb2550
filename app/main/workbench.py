"""The enterprise's workbench: the next steps it has to take, and how to raise its score.

Steps, in the order they unblock each other: verify the account (nothing else opens before);
answer a bank that took up an open demand (authorize it to query); authorize the collection
of the data the score misses; wait for data being collected (and when it will arrive); and
complete data a source has not delivered. Each step is a link to the page that does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.applications.queries import list_for_enterprise
from app.applications.services import awaits_authorization
from app.auth.models import User
from app.clock import utcnow
from app.consent.models import PullRequest
from app.consent.services import collection_status
from app.extensions import db
from app.identity.services import is_verified
from app.profiles.services import latest_profile
from app.scheduler.jobs import every
from app.scoring.advice import advice
from app.scoring.scorecard import REASONS
from app.sources.models import source_label
from app.stats.queries import current_month, month_label, month_start
from app.stats.services import summary_for
from app.util import SHANGHAI, to_local


@dataclass(frozen=True)
class Step:
    key: str  # verify | answer | collect | arriving | complete
    title: str
    text: str
    url: str
    action: str


def _labels(categories) -> str:
    return _("、").join(source_label(c) for c in categories)


def next_steps(user: User) -> list[Step]:
    """What the enterprise of `user` should do next, most urgent first (empty: nothing)."""
    if not is_verified(user):
        return [
            Step("verify", _("完成账户核验"),
                 _("核验通过后才能授权、申请贷款和查看信用画像。"),
                 url_for("identity.verify"), _("去核验")),
        ]  # fmt: skip
    enterprise_id = user.enterprise_id
    assert enterprise_id is not None
    steps: list[Step] = []
    for app in list_for_enterprise(enterprise_id):
        if awaits_authorization(app):
            bank = app.bank.name if app.bank else ""
            steps.append(Step(
                "answer", _("答复银行：%(bank)s 已受理您的融资需求", bank=bank),
                _("授权该银行查询您的数据后，银行才能审查申请 #%(id)s。", id=app.id),
                url_for("applications.authorize", application_id=app.id), _("去授权"),
            ))  # fmt: skip
    status = collection_status(enterprise_id)
    missing = [c for c, auth in status.items() if auth is None]
    if missing:
        steps.append(Step(
            "collect", _("授权采集数据"),
            _("尚未授权采集：%(list)s。这些数据缺失时按中性计分，授权后可让银行更全面地了解您。",
              list=_labels(missing)),
            url_for("consent.collection"), _("去授权"),
        ))  # fmt: skip
    pending = list(db.session.scalars(
        select(PullRequest)
        .where(PullRequest.enterprise_id == enterprise_id, PullRequest.done_at.is_(None))
        .order_by(PullRequest.id)
    ))  # fmt: skip
    if pending:
        seconds = int(current_app.config.get("SCHEDULER_PULL_REQUESTS_SECONDS", 60))
        since = to_local(pending[0].requested_at)
        steps.append(Step(
            "arriving", _("数据采集中"),
            _("您于 %(at)s 授权后，平台%(every)s自动采集一次；数据到达后信用画像会自动更新。",
              at=since.strftime("%Y-%m-%d %H:%M") if since else "", every=every(seconds)),
            url_for("consent.collection"), _("查看授权"),
        ))  # fmt: skip
    snapshot = latest_profile(enterprise_id)
    coverage = (snapshot.coverage or {}) if snapshot else {}
    pending_categories = {c for p in pending for c in (p.categories or [])}
    empty = [
        c
        for c, auth in status.items()
        if auth is not None and not coverage.get(c) and c not in pending_categories
    ]
    if empty:
        steps.append(Step(
            "complete", _("补全数据"),
            _("已授权但尚无记录：%(list)s。如您确有此类记录而平台没有，请在“我的记录”中提出异议。",
              list=_labels(empty)),
            url_for("disputes.records"), _("我的记录"),
        ))  # fmt: skip
    return steps


def improvements(enterprise_id: int, english: bool = False) -> list[dict[str, str]]:
    """Per reason of the current profile: the reason and what to do about it, in words."""
    snapshot = latest_profile(enterprise_id)
    if snapshot is None:
        return []
    out = []
    for reason in snapshot.reasons:
        code = reason["code"]
        zh, en = REASONS.get(code, (code, code))
        out.append({"code": code, "reason": en if english else zh,
                    "advice": advice(code, english)})  # fmt: skip
    return out


# --- the office's workbench ------------------------------------------------------------------

# (figure, label, kind): what the financial office compares month on month.
OFFICE_FIGURES = (
    ("demand_count", _l("融资需求（笔）"), "count"),
    ("demand_amount", _l("需求金额"), "money"),
    ("accepted", _l("受理（笔）"), "count"),
    ("approved", _l("批准（笔）"), "count"),
    ("disbursed_count", _l("放款（笔）"), "count"),
    ("disbursed_amount", _l("放款金额"), "money"),
    ("first_loans", _l("首贷（笔）"), "count"),
    ("first_loan_amount", _l("首贷金额"), "money"),
)


@dataclass(frozen=True)
class MonthLine:
    key: str
    label: str
    kind: str
    this: Decimal | None  # None: withheld (too few enterprises) or none
    last: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.this is None or self.last is None:
            return None
        return self.this - self.last

    @property
    def ratio(self) -> float | None:
        """This month so far as a share of last month (None when last month had none)."""
        if self.this is None or not self.last:
            return None
        return float(self.this / self.last)


@dataclass(frozen=True)
class MonthSoFar:
    this_month: str
    last_month: str
    day: int  # today's day of the month (Shanghai): how far the month has gone
    lines: list[MonthLine]
    withheld: bool


def month_so_far(user: User, now: datetime | None = None) -> MonthSoFar:
    """This month so far against last month, from the lending statistics with their
    suppression (the same `summary_for` as /stats: a figure resting on too few enterprises
    is withheld here as there)."""
    this = current_month(now)
    before = month_start(this) - timedelta(days=1)
    last = before.year * 100 + before.month
    summary = summary_for(
        user, {"group_by": "month", "from": month_label(last), "to": month_label(this)}, now=now
    )
    rows = {row["key"]: row for row in summary.rows}
    this_row, last_row = rows.get(month_label(this), {}), rows.get(month_label(last), {})

    def value(row: dict, key: str) -> Decimal | None:
        if not row:
            return Decimal(0)  # a month without any application
        raw = row.get(key)
        return None if raw is None else Decimal(str(raw))

    lines = [
        MonthLine(key, str(label), kind, value(this_row, key), value(last_row, key))
        for key, label, kind in OFFICE_FIGURES
    ]
    today = (now or utcnow()).astimezone(SHANGHAI).day
    return MonthSoFar(
        month_label(this),
        month_label(last),
        today,
        lines,
        any(line.this is None or line.last is None for line in lines),
    )
