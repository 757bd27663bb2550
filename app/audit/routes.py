"""The enterprise's own access log ("who looked at my data") and the operator's chain status."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import checkpoints, services
from app.auth.decorators import role_required
from app.auth.models import Role
from app.consent.forms import BASIS_LABELS, CATEGORY_LABELS, CHANNEL_LABELS, DENIAL_LABELS
from app.consent.terms import copy_text, purpose_text
from app.paging import asked_page, read_window
from app.replicas import reads_replica
from app.spreadsheets import csv_response
from app.util import SHANGHAI, to_local

bp = Blueprint("audit", __name__)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def log_filter_from_args(args) -> services.LogFilter:
    """Filters from a query string (a wrong date is no filter)."""
    return log_filter(
        args.get("bank"), args.get("outcome"), _day(args.get("from")), _day(args.get("to"))
    )


def log_filter(
    bank: str | None, outcome: str | None, day_from: date | None, day_to: date | None
) -> services.LogFilter:
    """The log's filters; the days are Shanghai calendar days, inclusive."""
    return services.LogFilter(
        bank_code=bank or None,
        outcome=outcome or None,
        date_from=datetime.combine(day_from, time(), SHANGHAI) if day_from else None,
        date_to=datetime.combine(day_to + timedelta(days=1), time(), SHANGHAI) if day_to else None,
    )


def _purpose(entry: dict) -> str:
    """A row's purpose in words: the authorization's (a `Purpose` code; rows before
    migration 0049_authz hold the words typed then), else the legal basis of the look."""
    if entry["purpose"]:
        return purpose_text(entry["purpose"])
    return str(BASIS_LABELS.get(entry["reason"], ""))


def _copy(entry: dict) -> str:
    """Whether the bank may keep a copy of what this allowed read gave it, and until when."""
    if entry["outcome"] != "allowed" or entry["keep_copy_days"] is None:
        return ""
    return copy_text(entry["keep_copy_days"], entry["at"])


# The enterprise's log is read a page at a time and not counted (it grows with every look).
ENTRIES_PER_PAGE = 50


@bp.route("/enterprise/access-log")
@role_required(Role.ENTERPRISE)
@reads_replica
def access_log():
    page = max(1, asked_page())
    enterprise_id = current_user.enterprise_id
    flt = log_filter_from_args(request.args)
    entries, more = read_window(
        lambda limit, offset: services.entries_for_enterprise(
            enterprise_id, flt, limit=limit, offset=offset
        ),
        ENTRIES_PER_PAGE,
        (page - 1) * ENTRIES_PER_PAGE,
    )
    return render_template(
        "audit/access_log.html",
        entries=entries,
        more=more,
        page=page,
        banks=services.banks_that_looked(enterprise_id),
        labels=CATEGORY_LABELS,
        bases=BASIS_LABELS,
        channels=CHANNEL_LABELS,
        denials=DENIAL_LABELS,
        purpose_of=_purpose,
        copy_of=_copy,
        args=request.args,
        filters={k: v for k, v in request.args.items() if k != "page"},
    )


def _words(categories) -> str:
    return _("、").join(str(CATEGORY_LABELS.get(c, c)) for c in categories)


def _outcome(entry) -> str:
    """The result as the page says it: allowed, or refused and why."""
    if entry["outcome"] == "allowed":
        return _("已允许")
    reason = DENIAL_LABELS.get(entry["reason"])
    return _("已拒绝：%(why)s", why=reason) if reason else _("已拒绝")


@bp.route("/enterprise/access-log.csv")
@role_required(Role.ENTERPRISE)
@reads_replica
def access_log_csv():
    entries = services.entries_for_enterprise(
        current_user.enterprise_id, log_filter_from_args(request.args), limit=None
    )
    header = [_("时间"), _("银行"), _("查询人"), _("获准类别"), _("请求类别"), _("用途"),
              _("副本保留"), _("渠道"), _("结果"), "IP"]  # fmt: skip
    rows = (
        [
            to_local(e["at"]).strftime("%Y-%m-%d %H:%M:%S"),
            e["bank"],
            e["user"],
            _words(e["categories"]),
            _words(e["requested"]),
            _purpose(e),
            _copy(e),
            str(CHANNEL_LABELS.get(e["channel"], e["channel"])),
            _outcome(e),
            e["ip"],
        ]
        for e in entries
    )
    return csv_response("access-log.csv", header, rows)


@bp.route("/enterprise/access-log/chain.json")
@role_required(Role.ENTERPRISE)
def own_chain():
    """The enterprise's own hash chain with the latest signed checkpoint and its audit path,
    to verify offline (`scripts/audit_verify.py --enterprise`, docs/audit.md)."""
    bundle = checkpoints.enterprise_bundle(current_user.enterprise_id)
    response = jsonify(bundle)
    response.headers["Content-Disposition"] = "attachment; filename=access-log-chain.json"
    return response


@bp.route("/admin/audit")
@role_required(Role.ADMIN)
def chain_status():
    return render_template(
        "audit/chain_status.html",
        last=services.last_verification(),
        total=services.count_entries(),
        checkpoint=checkpoints.latest(),
    )
