"""What a bank user is shown of one enterprise: only what the guard allows.

`bank_profile()` is the single place that assembles a bank-facing profile; the web page, the
API and exports all call it, and it calls `consent.guard.check_bank_access()` first. Sections
the decision does not cover are returned as `{"authorized": False}` and never read.

The score (score, grade, dimensions, reasons, features) is derived from every source that fed
it, so it is shown only when the decision covers every non-public category in which the
current snapshot had data (`score_covered`); otherwise `scoring.authorized` is False and it
names the categories still needed. Coverage is always limited to the authorized sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.auth.models import User
from app.clock import local_today
from app.consent import terms
from app.consent.guard import ALL_CATEGORIES, AccessDecision, check_bank_access
from app.consent.services import NON_PUBLIC_CATEGORIES
from app.disputes.services import Marks, dispute_marks
from app.enterprises import services
from app.enterprises.models import Enterprise
from app.enterprises.size import SIZE_LABELS
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.facts import services as facts
from app.facts.records import counts
from app.i18n import default_locale
from app.ingest.models import (
    PublicCreditRecord,
    SocialInsuranceRecord,
    TaxPayment,
    TaxRating,
    UtilityBill,
)
from app.profiles import cache as profile_cache
from app.profiles.charts import chart_data
from app.profiles.models import ProfileSnapshot
from app.profiles.services import latest_profile, profile_dict
from app.util import add_months


@dataclass(frozen=True)
class Section:
    """How one record category is read and shown.

    `read(enterprise, marks)`: its rows, newest first, all on record (JSON-ready; `marks`
    holds the ids of the category's records under an open objection and those corrected
    after one); `last_day(row)`: the last day of the data a row speaks of, which the
    date-range rule (`consent.terms.in_data_range`) compares with the authorization's
    range; `summary(rows)`: the section as shown, from the rows within the range.
    """

    read: Callable[[Enterprise, Marks], list[dict]]
    last_day: Callable[[dict], date]
    summary: Callable[[list[dict]], dict]

    def shown(self, rows: list[dict], since: date | None) -> dict:
        """The section as shown from `rows` (as `read` gives them), from `since` on."""
        return self.summary([r for r in rows if terms.in_data_range(self.last_day(r), since)])


# category → its Section. Record sources register theirs with `section`.
SECTIONS: dict[str, Section] = {}


def section(category: str, last_day: Callable[[dict], date], summary: Callable[[list], dict]):
    def register(fn: Callable[[Enterprise, Marks], list[dict]]):
        SECTIONS[category] = Section(fn, last_day, summary)
        return fn

    return register


def _registry(enterprise: Enterprise) -> dict:
    """The registry section (no date: the range does not apply); read live, no query."""
    regions, industries = services.region_names(), services.industry_names()
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "legal_rep": enterprise.legal_rep,
        "established_on": enterprise.established_on.isoformat()
        if enterprise.established_on
        else None,
        "registered_capital": (
            str(enterprise.registered_capital)
            if enterprise.registered_capital is not None
            else None
        ),
        "region_code": enterprise.region_code,
        "region": regions.get(enterprise.region_code or ""),
        "industry_code": enterprise.industry_code,
        "industry": industries.get(enterprise.industry_code or ""),
        "scale": enterprise.scale,
        "size": enterprise.size,
        "employees": enterprise.employees,
        "revenue": _money(enterprise.revenue),
        "total_assets": _money(enterprise.total_assets),
        "address": enterprise.address,
        "verified": enterprise.verified,
    }


MONTHS_SHOWN = 36  # the profile's window, as in the scorecard
RECORDS_SHOWN = 200


def _money(value) -> str | None:
    return None if value is None else str(value)


def _date(value) -> str | None:
    return None if value is None else value.isoformat()


def _decided(row: dict) -> date:
    return date.fromisoformat(row["decided_on"])


def _rated(row: dict) -> date:
    return terms.year_end(row["year"])


def _monthly(row: dict) -> date:
    return terms.month_end(row["period"])


def _public_credit_summary(records: list[dict]) -> dict:
    by_category: dict[str, int] = {}
    for r in records:
        by_category[r["category"]] = by_category.get(r["category"], 0) + 1
    return {"count": len(records), "by_category": by_category, "records": records}


def _records_summary(records: list[dict]) -> dict:
    return {"count": len(records), "records": records}


def _months_summary(monthly: list[dict]) -> dict:
    return {"months": len(monthly), "monthly": monthly}


def _bills_summary(monthly: list[dict]) -> dict:
    """Bills of several utilities a month: the months are the distinct periods."""
    return {"months": len({m["period"] for m in monthly}), "monthly": monthly}


def _marked(row: dict, disputed, corrected=False) -> dict:
    """Rows under an open objection carry `disputed: true` (有异议), rows corrected after one
    `corrected: true` (已更正); others have neither key."""
    if disputed:
        row["disputed"] = True
    elif corrected:
        row["corrected"] = True
    return row


@section("public_credit", _decided, _public_credit_summary)
def _public_credit(enterprise: Enterprise, marks: Marks) -> list[dict]:
    rows = db.session.scalars(
        select(PublicCreditRecord)
        .where(
            PublicCreditRecord.uscc == enterprise.uscc,
            counts("public_credit", PublicCreditRecord, local_today()),
        )
        .order_by(PublicCreditRecord.decided_on.desc(), PublicCreditRecord.id.desc())
        .limit(RECORDS_SHOWN)
    )
    return [
        _marked(
            {
                "category": r.category,
                "ref_no": r.ref_no,
                "authority": r.authority,
                "decided_on": _date(r.decided_on),
                "valid_until": _date(r.valid_until),
                "content": r.content,
                "penalty_amount": _money(r.penalty_amount),
                "severity": r.severity,
            },
            r.id in marks.disputed,
            r.id in marks.corrected,
        )
        for r in rows
    ]


@section("tax_ratings", _rated, _records_summary)
def _tax_ratings(enterprise: Enterprise, marks: Marks) -> list[dict]:
    rows = db.session.execute(
        select(TaxRating.id, TaxRating.year, TaxRating.grade)
        .where(
            TaxRating.uscc == enterprise.uscc,
            counts("tax_ratings", TaxRating, local_today()),
        )
        .order_by(TaxRating.year.desc())
    )
    return [
        _marked({"year": y, "grade": g}, i in marks.disputed, i in marks.corrected)
        for i, y, g in rows
    ]


def _late(paid_on, due_on):
    """1 when paid after the due date or not at all (a due date is needed to judge)."""
    return case((due_on.is_(None), 0), (paid_on.is_(None), 1), (paid_on > due_on, 1), else_=0)


def _any_of(column, ids: frozenset[int]):
    """1 for a group holding any of `ids` (records of the section with a mark)."""
    return func.max(case((column.in_(sorted(ids)), 1), else_=0))


@section("tax_payments", _monthly, _months_summary)
def _tax_payments(enterprise: Enterprise, marks: Marks) -> list[dict]:
    rows = db.session.execute(
        select(
            TaxPayment.period,
            func.sum(TaxPayment.amount),
            func.count(),
            func.sum(_late(TaxPayment.paid_on, TaxPayment.due_on)),
            func.sum(case((TaxPayment.paid_on.is_(None), 1), else_=0)),
            _any_of(TaxPayment.id, marks.disputed),
            _any_of(TaxPayment.id, marks.corrected),
        )
        .where(
            TaxPayment.uscc == enterprise.uscc,
            counts("tax_payments", TaxPayment, local_today()),
        )
        .group_by(TaxPayment.period)
        .order_by(TaxPayment.period.desc())
        .limit(MONTHS_SHOWN)
    )
    return [
        _marked({"period": p, "amount": _money(a), "payments": n, "late": int(late or 0),
                 "unpaid": int(unpaid or 0)}, disputed, corrected)
        for p, a, n, late, unpaid, disputed, corrected in rows
    ]  # fmt: skip


@section("utility_bills", _monthly, _bills_summary)
def _utility_bills(enterprise: Enterprise, marks: Marks) -> list[dict]:
    rows = db.session.execute(
        select(
            UtilityBill.id,
            UtilityBill.period,
            UtilityBill.utility,
            UtilityBill.amount_due,
            UtilityBill.amount_paid,
            UtilityBill.due_on,
            UtilityBill.paid_on,
        )
        .where(
            UtilityBill.uscc == enterprise.uscc,
            counts("utility_bills", UtilityBill, local_today()),
        )
        .order_by(UtilityBill.period.desc(), UtilityBill.utility)
        .limit(MONTHS_SHOWN * 4)
    )
    return [
        _marked(
            {
                "period": period,
                "utility": utility,
                "amount_due": _money(due),
                "amount_paid": _money(paid),
                "arrears": _money(max(due - paid, 0)),
                "late": bool(due_on and (paid_on is None or paid_on > due_on)),
            },
            record_id in marks.disputed,
            record_id in marks.corrected,
        )
        for record_id, period, utility, due, paid, due_on, paid_on in rows
    ]


@section("social_insurance", _monthly, _months_summary)
def _social_insurance(enterprise: Enterprise, marks: Marks) -> list[dict]:
    rows = db.session.execute(
        select(
            SocialInsuranceRecord.id,
            SocialInsuranceRecord.period,
            SocialInsuranceRecord.headcount,
            SocialInsuranceRecord.amount_due,
            SocialInsuranceRecord.amount_paid,
            SocialInsuranceRecord.paid_on,
        )
        .where(
            SocialInsuranceRecord.uscc == enterprise.uscc,
            counts("social_insurance", SocialInsuranceRecord, local_today()),
        )
        .order_by(SocialInsuranceRecord.period.desc())
        .limit(MONTHS_SHOWN)
    )
    return [
        _marked({"period": p, "headcount": h, "amount_due": _money(d),
                 "amount_paid": _money(a), "paid_on": _date(paid_on)},
                i in marks.disputed, i in marks.corrected)
        for i, p, h, d, a, paid_on in rows
    ]  # fmt: skip


# How the web page lays out each record section: (key, label, numeric?); a numeric column
# holding yuan is MONEY (shown through the money filter).
MONEY = "money"
SECTION_COLUMNS = {
    "public_credit": ("records", [
        ("category", _l("类别"), False), ("decided_on", _l("决定日期"), False),
        ("authority", _l("决定机关"), False), ("content", _l("内容"), False),
        ("severity", _l("严重程度"), False), ("penalty_amount", _l("罚款金额"), MONEY),
        ("valid_until", _l("有效期至"), False),
    ]),
    "tax_ratings": ("records", [
        ("year", _l("评价年度"), False), ("grade", _l("纳税信用级别"), False),
    ]),
    "tax_payments": ("monthly", [
        ("period", _l("所属期"), False), ("amount", _l("实缴金额"), MONEY),
        ("payments", _l("笔数"), True), ("late", _l("逾期"), True), ("unpaid", _l("未缴"), True),
    ]),
    "utility_bills": ("monthly", [
        ("period", _l("账期"), False), ("utility", _l("类别"), False),
        ("amount_due", _l("应缴金额"), MONEY), ("amount_paid", _l("实缴金额"), MONEY),
        ("arrears", _l("欠费"), MONEY), ("late", _l("逾期"), False),
    ]),
    "social_insurance": ("monthly", [
        ("period", _l("所属期"), False), ("headcount", _l("参保人数"), True),
        ("amount_due", _l("应缴金额"), MONEY), ("amount_paid", _l("实缴金额"), MONEY),
        ("paid_on", _l("缴费日期"), False),
    ]),
}  # fmt: skip


# Codes shown in words on the page (the API keeps the codes).
VALUE_LABELS = {
    "license": _l("行政许可"), "penalty": _l("行政处罚"), "red_list": _l("守信激励"),
    "black_list": _l("严重失信"), "slight": _l("轻微"), "minor": _l("一般"), "major": _l("较重"),
    "severe": _l("严重"),
    "water": _l("水"), "electricity": _l("电"), "gas": _l("燃气"), "heating": _l("供暖"),
    **SIZE_LABELS,
}  # fmt: skip


def template_context() -> dict:
    """What `enterprises/_sections.html` needs besides the profile itself."""
    from app.consent.forms import CATEGORY_LABELS

    return {
        "labels": CATEGORY_LABELS,
        "columns": SECTION_COLUMNS,
        "value_labels": VALUE_LABELS,
        "fact_labels": [(item.name, item.label) for item in facts.SHOWN_TO_BANKS],
    }


def coverage(sections: dict) -> dict:
    """Per authorized record source: months (or records) on file."""
    result = {}
    for category, section in sections.items():
        if section.get("authorized") and category != "enterprises":
            result[category] = section.get("months", section.get("count", 0))
    return result


def anonymous_summary(enterprise: Enterprise) -> dict:
    """What any bank may see without an authorization: no name, no code."""
    regions, industries = services.region_names(), services.industry_names()
    city_code = (enterprise.region_code or "")[:4] + "00" if enterprise.region_code else None
    return {
        "industry": industries.get(enterprise.industry_code or ""),
        "industry_code": (enterprise.industry_code or "")[:1] or None,
        "city": regions.get(city_code or ""),
        "region": regions.get(enterprise.region_code or ""),
        "scale": enterprise.scale,
    }


def since_arg(raw: str | None) -> date | None:
    """The `from` a bank asks its data from (YYYY-MM-DD); None when not asked."""
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            "from", _("起始日期应为 YYYY-MM-DD 格式的日期"), code="invalid_date"
        ) from None


@dataclass
class BankProfile:
    decision: AccessDecision
    enterprise: Enterprise
    data: dict


def bank_profile(
    user: User,
    uscc: str,
    *,
    endpoint: str,
    channel: str,
    ip: str | None,
    since: date | None = None,
) -> BankProfile:
    """The profile of `uscc` as `user`'s bank may see it now (every call logged); `since`:
    the bank asks for the data from that day on (refused past the authorization's range)."""
    enterprise = services.get_by_uscc(uscc)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    # In the guard's transaction, before it commits: see `profile_cache.look_up`.
    looked = profile_cache.look_up(enterprise, _locale())
    decision = check_bank_access(
        user, enterprise, ALL_CATEGORIES, endpoint=endpoint, channel=channel, ip=ip, since=since
    )
    if not decision.allowed:
        refused = {"authorized": False, "summary": anonymous_summary(enterprise)}
        return BankProfile(decision, enterprise, {**refused, "reason": decision.reason})
    return BankProfile(decision, enterprise, authorized_view(enterprise, decision, looked))


def authorized_view(
    enterprise: Enterprise, decision: AccessDecision, looked: profile_cache.Looked | None = None
) -> dict:
    """What `decision` (made by the guard) lets a bank see of `enterprise`.

    Only `bank_profile` calls it for banks; the guard benchmark calls it directly to measure
    the same read without the guard. The enterprise's profile material comes from the
    profile cache (`looked`: already looked up; assembled and kept on a miss, committed with
    the read).
    """
    return {
        **_shown(enterprise, decision.categories, decision.ranges, keep=True, looked=looked),
        "authorization": {
            "id": decision.authorization_id,
            "purpose": decision.purpose,
            "terms": terms.sentences(decision.terms) if decision.terms else {},
            "data_from": {c: _date(d) for c, d in sorted(decision.ranges.items())},
        },
    }


def _locale() -> str:
    """The locale the profile material is assembled in (labels): the reader's."""
    return str(get_locale() or default_locale())


def _material(enterprise: Enterprise, locale: str) -> dict:
    """Everything any bank could be shown of `enterprise`, before an authorization's
    categories and date range apply: every record section's rows (all on record), the key
    facts with the day of the data behind each, and the current profile's scoring part
    (None before the first build). What `profiles.cache` keeps."""
    marks = dispute_marks(enterprise.uscc, list(SECTIONS))
    snapshot = latest_profile(enterprise.id)
    return {
        "sections": {
            category: reader.read(enterprise, marks.get(category, Marks()))
            for category, reader in SECTIONS.items()
        },
        "facts": facts.for_banks(facts.facts_of(enterprise.id)),
        "scoring": profile_dict(snapshot, locale) if snapshot else None,
    }


def _shown(
    enterprise: Enterprise,
    covered,
    ranges: Mapping[str, date | None] | None = None,
    *,
    keep: bool = False,
    looked: profile_cache.Looked | None = None,
) -> dict:
    """Everything a bank is shown of `enterprise` under categories `covered`, each from
    `ranges[category]` on: what the bank reads (`authorized_view`) and what the enterprise
    previews before granting (`own_preview`) are one view, so the preview cannot promise
    less or more. `keep`: store assembled material in the profile cache; `looked`: the
    cache already looked up for this read."""
    locale = _locale()
    material = profile_cache.material(
        enterprise, locale, lambda: _material(enterprise, locale), keep=keep, looked=looked
    )
    sections = _sections(enterprise, material["sections"], covered, ranges)
    scoring = _scoring(material["scoring"], covered, ranges)
    return {
        "coverage": scoring["coverage"] if material["scoring"] else coverage(sections),
        "scoring": scoring,
        "authorized": True,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "categories": sorted(covered),
        "facts": facts.shown_to_bank(material["facts"], covered, ranges),
        "sections": sections,
        "charts": chart_data(scoring if scoring["authorized"] else None, sections),
    }


def score_requires(
    fed_coverage: Mapping[str, int], covered, ranges: Mapping[str, date | None] | None = None
) -> list[str]:
    """The non-public categories that fed a snapshot with data (its `fed_coverage`) and
    `covered` lacks, or that the authorization's date range cuts short of the score's
    window (the score rests on `MONTHS_SHOWN` months: shown on a shorter range, it would
    tell of older data)."""
    window = add_months(local_today().replace(day=1), -(MONTHS_SHOWN - 1))
    ranges = ranges or {}
    fed = (c for c in NON_PUBLIC_CATEGORIES if (fed_coverage or {}).get(c, 0) > 0)
    return sorted(c for c in fed if c not in covered or (ranges.get(c) or window) > window)


def scoring_view(
    snapshot: ProfileSnapshot | None,
    covered,
    locale: str,
    *,
    ranges: Mapping[str, date | None] | None = None,
) -> dict:
    """The score part a bank may see under an authorization covering `covered` (from
    `ranges` on, per category).

    `{authorized, available, requires, snapshot_id, model_version, computed_at, as_of,
    coverage}` plus, when authorized, `score, grade, grade_label, confidence, dimensions,
    reasons, features` (else those are None / empty).
    """
    return _scoring(profile_dict(snapshot, locale) if snapshot else None, covered, ranges)


def _scoring(full: dict | None, covered, ranges: Mapping[str, date | None] | None) -> dict:
    """`scoring_view` from a snapshot's `profile_dict` (None: no snapshot yet)."""
    if full is None:
        return {"available": False, "authorized": False, "requires": [], "coverage": {}}
    shown = {k: v for k, v in full["coverage"].items() if k in covered and k != "enterprises"}
    missing = score_requires(full["coverage"], covered, ranges)
    view = {
        "available": True,
        "authorized": not missing,
        "requires": missing,
        "snapshot_id": full["snapshot_id"],
        "model_version": full["model_version"],
        "computed_at": full["computed_at"],
        "as_of": full["as_of"],
        "coverage": shown,
    }
    if missing:
        withheld = ("score", "grade", "grade_label", "confidence", "confidence_level")
        return {**view, **dict.fromkeys(withheld), "dimensions": [], "reasons": [], "features": {}}
    return {**full, **view}


def own_preview(
    enterprise: Enterprise,
    categories,
    since: date | None = None,
    *,
    ranges: Mapping[str, date | None] | None = None,
) -> dict:
    """Exactly what a bank would be shown under an authorization for `categories` whose date
    range starts on `since` (or, per category, on `ranges`), score and reasons included:
    for the enterprise itself (its own data) before it confirms, and for the credit report
    a bank downloads."""
    covered = set(categories or ())
    return _shown(
        enterprise, covered, ranges if ranges is not None else dict.fromkeys(covered, since)
    )


def _sections(
    enterprise: Enterprise,
    rows: Mapping[str, list[dict]],
    covered,
    ranges: Mapping[str, date | None] | None = None,
) -> dict:
    """Every category: when covered, its data from `rows` within the date range
    (`consent.terms.in_data_range` from `ranges[category]` on), else `{"authorized": False}`."""
    ranges = ranges or {}
    sections = {}
    for category in ALL_CATEGORIES:
        reader = SECTIONS.get(category)
        if category not in covered:
            sections[category] = {"authorized": False}
        elif category == "enterprises":
            sections[category] = {"authorized": True, **_registry(enterprise)}
        elif reader is None:
            sections[category] = {"authorized": True, "available": False}
        else:
            shown = reader.shown(rows[category], ranges.get(category))
            sections[category] = {"authorized": True, **shown}
    return sections


def read_section(
    category: str, enterprise: Enterprise, marks: Marks, since: date | None = None
) -> dict:
    """One record section of `enterprise` read afresh (not from the cache), from `since` on."""
    section = SECTIONS[category]
    return section.shown(section.read(enterprise, marks), since)
