"""Whether a loan may be registered with a fund: each rule named, each check with words.

`checks(fund, loan, today)` gives every rule's result (the bank's page shows them all);
`refuse_unless_eligible` raises `RuleFailed` naming the failing rules. The enterprise's size
is the one `app.facts` knows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ServiceError
from app.facts.services import facts_of
from app.funds.models import Fund
from app.loans.models import Loan, LoanStatus
from app.products.models import TYPE_LABELS, ProductType
from app.types import LabelledEnum


class Rule(LabelledEnum):
    GOOD_STANDING = "good_standing", _l("贷款状态正常")
    REGISTRATION_WINDOW = "registration_window", _l("备案期限")
    CREDIT_ONLY = "credit_only", _l("仅限信用贷款")
    PRODUCT_TYPE = "product_type", _l("产品类型")
    SIZE = "size", _l("企业规模")
    MAX_AMOUNT = "max_amount", _l("单笔金额上限")
    MAX_TERM = "max_term", _l("期限上限")
    DISBURSEMENT_PERIOD = "disbursement_period", _l("放款期间")
    LEVERAGE = "leverage", _l("放大倍数（杠杆）上限")


RULE_LABELS = Rule.labels()
SIZE_LABELS = {"micro": _l("微型"), "small": _l("小型"), "medium": _l("中型"), "large": _l("大型")}


class Check(NamedTuple):
    rule: Rule
    passed: bool
    detail: str


class RuleFailed(ServiceError):
    """A fund refused something, naming the rules (`rule`: the first; `rules`: all)."""

    status = 422
    code = "fund_rule_failed"

    def __init__(self, failed: list[Check], *, status: int | None = None):
        self.rules = [c.rule.value for c in failed]
        if status:
            self.status = status
        message = "；".join(f"{c.rule.label}：{c.detail}" for c in failed)
        super().__init__(_("不符合基金规则：%(m)s", m=message))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rule": self.rules[0], "rules": self.rules}


def _size_label(code: str | None) -> str:
    return str(SIZE_LABELS.get(code or "", _("未知")))


def checks(fund: Fund, loan: Loan, today: date) -> list[Check]:
    """Every eligibility rule of `fund` for `loan` on `today` (capacity is `capacity_check`)."""
    out: list[Check] = []

    def add(rule: Rule, passed: bool, detail: str) -> None:
        out.append(Check(rule, passed, detail))

    add(Rule.GOOD_STANDING, loan.status == LoanStatus.NORMAL,
        _("当前状态：%(s)s", s=loan.status_label))  # fmt: skip
    last = loan.disbursed_on + timedelta(days=fund.register_within_days)
    add(Rule.REGISTRATION_WINDOW, today <= last,
        _("放款后 %(n)d 日内备案，截至 %(d)s", n=fund.register_within_days, d=last))  # fmt: skip
    kind = _type_label(loan.product_type)
    if fund.credit_only:
        add(Rule.CREDIT_ONLY, loan.product_type == ProductType.CREDIT, _("本笔为%(t)s", t=kind))
    if fund.product_types:
        allowed = "、".join(_type_label(t) for t in fund.product_types)
        add(Rule.PRODUCT_TYPE, loan.product_type in fund.product_types,
            _("限%(a)s，本笔为%(t)s", a=allowed, t=kind))  # fmt: skip
    if fund.sizes:
        size = facts_of(loan.enterprise_id, today).size  # the standard's, else declared
        allowed = "、".join(_size_label(s) for s in fund.sizes)
        add(Rule.SIZE, size in fund.sizes,
            _("限%(a)s企业，该企业为%(s)s", a=allowed, s=_size_label(size)))  # fmt: skip
    if fund.max_amount is not None:
        add(Rule.MAX_AMOUNT, loan.principal <= fund.max_amount,
            _("上限 %(m)s 元，本笔 %(p)s 元", m=fund.max_amount, p=loan.principal))  # fmt: skip
    if fund.max_term_months is not None:
        add(Rule.MAX_TERM, loan.term_months <= fund.max_term_months,
            _("上限 %(m)d 个月，本笔 %(t)d 个月", m=fund.max_term_months,
              t=loan.term_months))  # fmt: skip
    start, end = fund.disbursed_from, fund.disbursed_to
    if start is not None or end is not None:
        inside = (start is None or loan.disbursed_on >= start) and (
            end is None or loan.disbursed_on <= end
        )
        add(Rule.DISBURSEMENT_PERIOD, inside,
            _("限 %(f)s 至 %(t)s 放款，本笔 %(d)s", f=start or "…", t=end or "…",
              d=loan.disbursed_on))  # fmt: skip
    return out


def _type_label(code: str | None) -> str:
    try:
        return str(TYPE_LABELS[ProductType(code or "")])
    except ValueError:
        return _("未知")


def capacity_check(fund: Fund, capital: Decimal, exposure: Decimal, covered: Decimal) -> Check:
    """Covered principal after this loan at most leverage × capital."""
    limit = fund.leverage * capital
    return Check(
        Rule.LEVERAGE,
        exposure + covered <= limit,
        _("可用额度 %(c)s 元，本笔 %(p)s 元", c=max(limit - exposure, Decimal(0)), p=covered),
    )


def refuse_unless_eligible(results: list[Check]) -> None:
    failed = [c for c in results if not c.passed]
    if failed:
        raise RuleFailed(failed)
