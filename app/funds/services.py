"""The fund's rules: creating a fund, registering loans, claims, payments and recoveries.

Every movement of money is a ledger entry (`ledger.post`) and every figure is derived from
the ledger. Whatever reads a fund's balance or exposure in order to change it first locks
the fund's row (`_locked`: SELECT … FOR UPDATE on PostgreSQL), so two registrations cannot
both take the last of the capacity and two claims cannot both be paid from the last of the
money; SQLite serialises writers by itself.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app import cases
from app import evidence as kept_files
from app.auth.models import BANK_ROLES, Role, User
from app.clock import local_today, utcnow
from app.decisions import decide_once
from app.enterprises.models import SCALES
from app.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.funds import ledger
from app.funds.models import (
    Claim,
    ClaimFile,
    ClaimStatus,
    EntryKind,
    Fund,
    LedgerEntry,
    Recovery,
    Registration,
)
from app.funds.rules import Check, RuleFailed, capacity_check, checks, refuse_unless_eligible
from app.i18n import later
from app.loans.models import Loan, LoanStatus
from app.loans.queries import loan_of_application, loan_of_bank
from app.products.models import PRODUCT_TYPES
from app.util import format_yuan, money, to_local
from app.workcalendar.services import add_working_days

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")
MAX_LEVERAGE = Decimal("100")
EVIDENCE_MAX = 2000
NOTE_MAX = 2000
CLAIMABLE = (LoanStatus.OVERDUE, LoanStatus.NON_PERFORMING, LoanStatus.WRITTEN_OFF)


# --- parsing ------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip().rstrip("%"))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _amount(value: Any) -> Decimal | None:
    number = _decimal(value)
    if number is None or number <= 0 or number != number.quantize(Decimal("0.01")):
        return None
    return money(number)


def _whole(value: Any, low: int, high: int) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value() or not low <= number <= high:
        return None
    return int(number)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(v).strip().lower() for v in items if str(v).strip()]


# --- funds --------------------------------------------------------------------------------


def create_fund(
    code: Any, *, name: Any, capital: Any, share: Any, cap_per_loan: Any, leverage: Any,
    credit_only: bool = False, sizes: Any = None, product_types: Any = None,
    max_amount: Any = None, max_term_months: Any = None, disbursed_from: Any = None,
    disbursed_to: Any = None, register_within_days: Any = 30, claim_after_days: Any = 90,
    decide_working_days: Any = 10, user_id: int | None = None,
) -> Fund:  # fmt: skip
    """A new fund with its rules, and its capital paid in (the first ledger entry)."""
    errors: dict[str, str] = {}
    code_s = str(code or "").strip().upper()
    if not CODE_RE.match(code_s):
        errors["code"] = _("基金代码应为 2–20 位大写字母、数字、- 或 _")
    name_s = str(name or "").strip()
    if not name_s or len(name_s) > 200:
        errors["name"] = _("请填写基金名称（最多 200 字）")
    capital_d = _amount(capital)
    if capital_d is None:
        errors["capital"] = _("资金规模应为大于 0 的金额")
    share_d = _decimal(share)
    if share_d is None or not 0 < share_d <= 100 or share_d != share_d.quantize(Decimal("0.01")):
        errors["share"] = _("分担比例应为 0 至 100 之间的百分数")
    cap_d = _amount(cap_per_loan)
    if cap_d is None:
        errors["cap_per_loan"] = _("单笔代偿上限应为大于 0 的金额")
    leverage_d = _decimal(leverage)
    cent = Decimal("0.01")
    if leverage_d is None or not 0 < leverage_d <= MAX_LEVERAGE or leverage_d % cent:
        errors["leverage"] = _("放大倍数应为 0 至 %(n)s 之间的数", n=MAX_LEVERAGE)
    size_list = _codes(sizes)
    if any(s not in SCALES for s in size_list):
        errors["sizes"] = _("企业规模应为 micro、small、medium、large 之一")
    type_list = _codes(product_types)
    if any(t not in PRODUCT_TYPES for t in type_list):
        errors["product_types"] = _("产品类型应为 credit、collateral、guarantee 之一")
    max_amount_d = None if max_amount in (None, "") else _amount(max_amount)
    if max_amount not in (None, "") and max_amount_d is None:
        errors["max_amount"] = _("单笔金额上限应为大于 0 的金额")
    max_term = None if max_term_months in (None, "") else _whole(max_term_months, 1, 360)
    if max_term_months not in (None, "") and max_term is None:
        errors["max_term_months"] = _("期限上限应为 1 至 360 个月")
    start = None if disbursed_from in (None, "") else _day(disbursed_from)
    end = None if disbursed_to in (None, "") else _day(disbursed_to)
    if disbursed_from not in (None, "") and start is None:
        errors["disbursed_from"] = _("日期格式应为 YYYY-MM-DD")
    if disbursed_to not in (None, "") and end is None:
        errors["disbursed_to"] = _("日期格式应为 YYYY-MM-DD")
    elif start and end and end < start:
        errors["disbursed_to"] = _("放款期间的结束日期不能早于开始日期")
    window = _whole(register_within_days, 1, 365)
    if window is None:
        errors["register_within_days"] = _("备案期限应为 1 至 365 天")
    threshold = _whole(claim_after_days, 1, 3650)
    if threshold is None:
        errors["claim_after_days"] = _("代偿触发的逾期天数应为 1 至 3650 天")
    decide_days = _whole(decide_working_days, 1, 60)
    if decide_days is None:
        errors["decide_working_days"] = _("决定期限应为 1 至 60 个工作日")
    if errors:
        raise FieldErrors(errors)
    if db.session.scalar(select(Fund.id).where(Fund.code == code_s)) is not None:
        raise Conflict(_("基金代码 %(c)s 已存在", c=code_s), code="fund_exists", field="code")
    assert capital_d is not None
    fund = Fund(
        code=code_s, name=name_s, share=share_d, cap_per_loan=cap_d, leverage=leverage_d,
        credit_only=bool(credit_only), sizes_text=",".join(size_list),
        product_types_text=",".join(type_list), max_amount=max_amount_d,
        max_term_months=max_term, disbursed_from=start, disbursed_to=end,
        register_within_days=window, claim_after_days=threshold,
        decide_working_days=decide_days, created_by_id=user_id,
    )  # fmt: skip
    db.session.add(fund)
    db.session.flush()
    ledger.post(fund.id, EntryKind.CAPITAL, capital_d, local_today(), user_id=user_id)
    return fund


MAX_TOP_UP = Decimal("1000000000000")  # 10^12 yuan: far above any fund, far below Numeric(18, 2)


def top_up(code: Any, amount: Any, *, user_id: int | None = None) -> LedgerEntry:
    """The office adds capital to a fund (增资): a new capital entry in the ledger, never an
    edit of what was paid in before; the fund's row is locked like every movement, so the
    capacity a registration checks is that of one moment."""
    fund = get_fund(code)
    added = _amount(amount)
    if added is None or added > MAX_TOP_UP:
        raise ValidationFailed(
            "amount", _("追加金额应为大于 0 的金额（最多两位小数）"), code="bad_amount"
        )
    _locked(fund.id)
    return ledger.post(fund.id, EntryKind.CAPITAL, added, local_today(), user_id=user_id)


def capital_entries(fund: Fund) -> list[LedgerEntry]:
    """The capital paid in, entry by entry (the first is the fund's creation)."""
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.fund_id == fund.id, LedgerEntry.kind == EntryKind.CAPITAL.value)
            .order_by(LedgerEntry.id)
        )
    )


def list_funds() -> list[Fund]:
    return list(db.session.scalars(select(Fund).order_by(Fund.code)))


def get_fund(code: Any) -> Fund:
    fund = db.session.scalar(select(Fund).where(Fund.code == str(code or "").strip().upper()))
    if fund is None:
        raise NotFound(_("基金不存在"), code="fund_not_found")
    return fund


def _locked(fund_id: int) -> Fund:
    """The fund's row, locked until the transaction ends (the serialisation point)."""
    fund = db.session.scalar(
        select(Fund)
        .where(Fund.id == fund_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert fund is not None
    return fund


def figures(fund: Fund) -> dict[str, Decimal]:
    """capital, exposure, capacity (leverage × capital − exposure), paid, recovered, balance,
    and the leverage used (exposure ÷ capital)."""
    b = ledger.balances(fund.id)
    limit = fund.leverage * b.capital
    return {
        "capital": b.capital,
        "exposure": b.exposure,
        "capacity": money(max(limit - b.exposure, Decimal(0))),
        "paid": b.paid,
        "recovered": b.recovered,
        "balance": b.balance,
        "leverage_used": (b.exposure / b.capital).quantize(Decimal("0.01"))
        if b.capital
        else Decimal("0.00"),
    }


# --- registration (备案) -------------------------------------------------------------------


def _bank_user(user: User) -> int:
    if user.role not in BANK_ROLES or user.bank_id is None:
        raise Forbidden(_("只有放款银行可以办理"), code="wrong_role")
    return user.bank_id


def eligibility(fund: Fund, loan: Loan, today: date | None = None) -> list[Check]:
    """Every rule, capacity included, for showing before the bank registers."""
    today = today or local_today()
    b = ledger.balances(fund.id)
    return [*checks(fund, loan, today), capacity_check(fund, b.capital, b.exposure, loan.principal)]


def register(code: Any, application_id: Any, user: User) -> Registration:
    """Register the loan of a disbursed application with the fund: eligible by every rule,
    within the leverage cap (409 when over it), and not already registered (409)."""
    bank_id = _bank_user(user)
    fund = get_fund(code)
    if isinstance(application_id, bool) or not isinstance(application_id, int):
        raise ValidationFailed("application_id", _("申请编号应为整数"))
    from app.applications.models import Application

    app = db.session.get(Application, application_id)
    if app is None or app.bank_id != bank_id:
        raise NotFound(_("申请不存在"))
    loan = loan_of_application(app.id)
    if loan is None:
        raise Conflict(_("该申请尚未放款，不能备案"), code="not_disbursed")
    today = local_today()
    fund = _locked(fund.id)
    existing = db.session.scalar(select(Registration).where(Registration.loan_id == loan.id))
    if existing is not None:
        raise Conflict(
            _("该贷款已在基金 %(c)s 备案", c=existing.fund.code), code="already_registered"
        )
    refuse_unless_eligible(checks(fund, loan, today))
    b = ledger.balances(fund.id)
    capacity = capacity_check(fund, b.capital, b.exposure, loan.principal)
    if not capacity.passed:
        raise RuleFailed([capacity], status=409)
    registration = Registration(
        fund_id=fund.id, loan_id=loan.id, bank_id=bank_id, covered=loan.principal,
        registered_on=today, registered_by_id=user.id,
    )  # fmt: skip
    db.session.add(registration)
    db.session.flush()
    ledger.post(
        fund.id, EntryKind.RESERVE, loan.principal, today, loan_id=loan.id, bank_id=bank_id,
        user_id=user.id,
    )  # fmt: skip
    return registration


def registration_of(loan_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.loan_id == loan_id))


def _release(registration: Registration, on: date, user_id: int | None = None) -> None:
    if registration.released_on is not None:
        return
    registration.released_on = on
    ledger.post(
        registration.fund_id, EntryKind.RELEASE, registration.covered, on,
        loan_id=registration.loan_id, bank_id=registration.bank_id, user_id=user_id,
    )  # fmt: skip


def loan_closed(loan: Loan) -> None:
    """A settled loan's reservation is released (a written-off one keeps it: a claim may
    still come)."""
    if loan.status != LoanStatus.SETTLED:
        return
    registration = registration_of(loan.id)
    if registration is not None and registration.released_on is None:
        _locked(registration.fund_id)
        _release(registration, loan.as_of or local_today())


def registrations(
    fund: Fund | None = None, bank_id: int | None = None, loan_ids: Collection[int] | None = None
) -> list[Registration]:
    """Registrations, newest first: of a fund, of a bank, of these loans (a page's)."""
    query = select(Registration).order_by(Registration.id.desc())
    if fund is not None:
        query = query.where(Registration.fund_id == fund.id)
    if bank_id is not None:
        query = query.where(Registration.bank_id == bank_id)
    if loan_ids is not None:
        query = query.where(Registration.loan_id.in_(list(loan_ids)))
    return list(db.session.scalars(query))


# --- claims (代偿) -------------------------------------------------------------------------


def payable(fund: Fund, loss: Decimal) -> Decimal:
    """What the fund pays on a loss: its share, at most the cap per loan."""
    return money(min(loss * fund.share / 100, fund.cap_per_loan))


def file_claim(
    code: Any, loan_id: Any, user: User, *, loss_amount: Any, evidence: Any,
    files: list[Any] | None = None,
) -> Claim:  # fmt: skip
    """A compensation claim on one of the bank's registered loans, once it is overdue past
    the fund's threshold; the loss is principal lost, at most the outstanding balance.
    `files`: evidence files (uploads), each checked by `app.evidence` (content, not name;
    size) before any is kept, kept outside the web root (`claim_file_for` serves them)."""
    bank_id = _bank_user(user)
    fund = get_fund(code)
    if isinstance(loan_id, bool) or not isinstance(loan_id, int):
        raise ValidationFailed("loan_id", _("贷款编号应为整数"))
    loan = loan_of_bank(loan_id, bank_id)
    registration = registration_of(loan.id)
    if registration is None or registration.fund_id != fund.id:
        raise Conflict(_("该贷款未在本基金备案"), code="not_registered")
    errors: dict[str, str] = {}
    loss = _amount(loss_amount)
    if loss is None:
        errors["loss_amount"] = _("损失金额应为大于 0 的金额（最多两位小数）")
    elif loss > loan.outstanding:
        errors["loss_amount"] = _("损失金额不能超过贷款余额 %(o)s 元", o=loan.outstanding)
    text = str(evidence or "").strip()
    if not text:
        errors["evidence"] = _("请说明代偿依据（催收记录、诉讼文书等）")
    elif len(text) > EVIDENCE_MAX:
        errors["evidence"] = _("内容过长（最多 %(n)s 字）", n=EVIDENCE_MAX)
    uploads: list[kept_files.Upload] = []
    try:
        uploads = kept_files.check_all(files or [], required=False, field="files")
    except ValidationFailed as exc:
        errors["files"] = exc.message
    if errors:
        raise FieldErrors(errors)
    if loan.status not in CLAIMABLE or loan.days_past_due < fund.claim_after_days:
        raise Conflict(
            _("贷款逾期满 %(n)d 天方可申请代偿（当前：%(s)s，逾期 %(d)d 天）",
              n=fund.claim_after_days, s=loan.status_label, d=loan.days_past_due),
            code="not_claimable",
        )  # fmt: skip
    _locked(fund.id)
    standing = db.session.scalar(
        select(Claim.id).where(
            Claim.loan_id == loan.id, Claim.status.in_([ClaimStatus.PENDING, ClaimStatus.APPROVED])
        )
    )
    if standing is not None:
        raise Conflict(_("该贷款已有代偿申请 #%(id)d", id=standing), code="claim_exists")
    today = local_today()
    assert loss is not None
    claim = Claim(
        fund_id=fund.id, registration_id=registration.id, loan_id=loan.id, bank_id=bank_id,
        loss_amount=loss, evidence=text, filed_by_id=user.id, filed_at=utcnow(),
        deadline=add_working_days(today, fund.decide_working_days),
    )  # fmt: skip
    db.session.add(claim)
    db.session.flush()
    if uploads:
        now = utcnow()
        with kept_files.keeping(uploads) as kept:
            for upload, stored_name in kept:
                row = ClaimFile.kept(upload, stored_name, now)
                row.claim_id, row.uploaded_by_id = claim.id, user.id
                db.session.add(row)
            db.session.flush()
    return claim


def may_see_claim_files(claim: Claim, user: User) -> bool:
    """The evidence files of a claim are for the claiming bank's staff and the financial
    office only (the operator sees the claim, not its files)."""
    return user.role == Role.REGULATOR or (
        user.role in BANK_ROLES and claim.bank_id == user.bank_id
    )


def claim_file_for(claim_id: int, file_id: int, user: User) -> ClaimFile:
    """An evidence file of a claim, for those `may_see_claim_files` (anyone else, the
    operator included: not found)."""
    kept = db.session.get(ClaimFile, file_id) if isinstance(file_id, int) else None
    if kept is None or kept.claim_id != claim_id or not may_see_claim_files(kept.claim, user):
        raise NotFound(_("文件不存在"), code="file_not_found")
    return kept


def claim_for(claim_id: int, user: User) -> Claim:
    """A claim `user` may see: the bank its own, the office and the operator all."""
    claim = db.session.get(Claim, claim_id) if isinstance(claim_id, int) else None
    if claim is None:
        raise NotFound(_("代偿申请不存在"), code="claim_not_found")
    if user.role in (Role.REGULATOR, Role.ADMIN):
        return claim
    if user.role in BANK_ROLES and claim.bank_id == user.bank_id:
        return claim
    raise NotFound(_("代偿申请不存在"), code="claim_not_found")


def decide(claim_id: int, user: User, *, outcome: Any, note: Any) -> Claim:
    """The financial office approves (the fund pays share × loss, capped, if its balance
    allows: 409 otherwise) or rejects (the note is the reason) a pending claim."""
    if user.role != Role.REGULATOR:
        raise Forbidden(_("只有金融管理部门可以决定代偿"), code="wrong_role")
    claim = claim_for(claim_id, user)
    try:
        result = ClaimStatus(str(outcome or ""))
    except ValueError:
        result = None
    if result not in (ClaimStatus.APPROVED, ClaimStatus.REJECTED):
        raise ValidationFailed("outcome", _("决定应为 approved 或 rejected"))
    text = str(note or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationFailed("note", _("内容过长（最多 %(n)s 字）", n=NOTE_MAX))
    if result == ClaimStatus.REJECTED and not text:
        raise ValidationFailed("note", _("驳回时请说明理由"))
    fund = _locked(claim.fund_id)
    db.session.refresh(claim)
    if claim.status != ClaimStatus.PENDING:
        raise Conflict(_("该代偿申请已决定（%(s)s）", s=claim.status_label), code="already_decided")
    today = local_today()
    paid = None
    if result == ClaimStatus.APPROVED:
        paid = payable(fund, claim.loss_amount)
        balance = ledger.balances(fund.id).balance
        if paid > balance:
            raise Conflict(
                _("基金余额 %(b)s 元，不足以支付 %(p)s 元", b=balance, p=paid),
                code="fund_exhausted",
            )
    decide_once(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status == ClaimStatus.PENDING)
        .values(
            status=result.value,
            decided_by_id=user.id,
            decided_at=utcnow(),
            note=text or None,
            paid=paid,
        ),
        Conflict(_("该代偿申请已被他人决定"), code="already_decided"),
    )
    if paid is not None:
        ledger.post(fund.id, EntryKind.PAYMENT, paid, today, loan_id=claim.loan_id,
                    claim_id=claim.id, bank_id=claim.bank_id, user_id=user.id)  # fmt: skip
        registration = db.session.get(Registration, claim.registration_id)
        assert registration is not None
        _release(registration, today, user.id)
    db.session.flush()
    db.session.refresh(claim)
    _tell_bank(claim)
    return claim


def _tell_bank(claim: Claim) -> None:
    """The decision, to the claiming bank's staff (on the site and by e-mail, as every
    notification): by claim and loan number, never naming the borrower."""
    from app.notifications.services import notify  # notifications sit above the funds

    if claim.status == ClaimStatus.APPROVED:
        assert claim.paid is not None
        said = later(
            "代偿申请 #%(id)s（贷款 #%(loan)s）已批准，%(fund)s 代偿 %(paid)s",
            id=claim.id, loan=claim.loan_id, fund=claim.fund.name, paid=format_yuan(claim.paid),
        )  # fmt: skip
    else:
        said = later(
            "代偿申请 #%(id)s（贷款 #%(loan)s）已驳回：%(note)s",
            id=claim.id, loan=claim.loan_id, note=claim.note or "",
        )  # fmt: skip
    notify(f"claim_{claim.status}", said, link=f"/bank/loans/{claim.loan_id}",
           bank_id=claim.bank_id)  # fmt: skip


def recovered_to_fund(claim: Claim) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Recovery.to_fund), 0)).where(Recovery.claim_id == claim.id)
    )
    return money(Decimal(total or 0))


def recover(claim_id: int, user: User, *, amount: Any, recovered_on: Any = None) -> Recovery:
    """The bank recovered `amount` (追偿) on a paid claim's loan: the fund's part is
    paid ÷ loss of it, and the fund never gets back more than it paid."""
    bank_id = _bank_user(user)
    claim = claim_for(claim_id, user)
    if claim.bank_id != bank_id:
        raise NotFound(_("代偿申请不存在"), code="claim_not_found")
    if claim.status != ClaimStatus.APPROVED or claim.paid is None:
        raise Conflict(_("只有已代偿的申请可以登记追偿回款"), code="not_paid")
    got = _amount(amount)
    if got is None:
        raise ValidationFailed("amount", _("回款金额应为大于 0 的金额（最多两位小数）"))
    day = local_today() if recovered_on in (None, "") else _day(recovered_on)
    if day is None or day > local_today():
        raise ValidationFailed("recovered_on", _("回款日期格式应为 YYYY-MM-DD，且不晚于今天"))
    fund = _locked(claim.fund_id)
    before = recovered_to_fund(claim)
    to_fund = min(money(got * claim.paid / claim.loss_amount), claim.paid - before)
    if to_fund <= 0:
        raise Conflict(_("基金已收回全部代偿款"), code="fully_recovered")
    recovery = Recovery(
        claim_id=claim.id, amount=got, to_fund=to_fund, recovered_on=day, user_id=user.id
    )
    db.session.add(recovery)
    db.session.flush()
    ledger.post(fund.id, EntryKind.RECOVERY, to_fund, day, loan_id=claim.loan_id,
                claim_id=claim.id, bank_id=claim.bank_id, user_id=user.id)  # fmt: skip
    return recovery


def claims(
    *, fund: Fund | None = None, bank_id: int | None = None, pending: bool = False
) -> list[Claim]:
    """Claims; `pending` gives the office's queue by deadline (overdue first)."""
    query = select(Claim)
    if fund is not None:
        query = query.where(Claim.fund_id == fund.id)
    if bank_id is not None:
        query = query.where(Claim.bank_id == bank_id)
    if pending:
        query = query.where(Claim.status == ClaimStatus.PENDING).order_by(Claim.deadline, Claim.id)
    else:
        query = query.order_by(Claim.id.desc())
    return list(db.session.scalars(query))


# A claim's decision deadline runs on the clock of the enterprises' cases (`app.cases`): the
# working days left, 0 on the day, negative when late; overdue while pending past it.
working_days_left = cases.working_days_left
is_overdue = cases.is_overdue


def claim_counts(fund: Fund) -> dict[str, int]:
    """Claims of the fund by status (every status present, 0 when none)."""
    rows = dict(
        db.session.execute(
            select(Claim.status, func.count())
            .where(Claim.fund_id == fund.id)
            .group_by(Claim.status)
        ).all()
    )
    return {s.value: int(rows.get(s.value, 0)) for s in ClaimStatus}


# --- the office's dashboard -----------------------------------------------------------------


def _zero_row() -> dict[str, Any]:
    return {"registered": 0, "covered": Decimal("0.00"), "released": Decimal("0.00"),
            "filed": 0, "paid_count": 0, "rejected": 0, "paid": Decimal("0.00"),
            "recovered": Decimal("0.00")}  # fmt: skip


def dashboard(fund: Fund) -> dict[str, Any]:
    """The fund's figures, claims filed / paid / rejected, the net loss rate ((paid −
    recovered) ÷ principal ever registered), and the same by bank and by month (of the
    ledger's business day). Read from the ledger and the claims, two queries."""
    from app.banks.models import Bank

    by_bank: dict[str, dict[str, Any]] = {}
    by_month: dict[str, dict[str, Any]] = {}
    names = dict(db.session.execute(select(Bank.id, Bank.name)).all())
    entries = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.on, LedgerEntry.bank_id).where(
            LedgerEntry.fund_id == fund.id
        )
    ).all()
    for kind, amount, on, bank_id in entries:
        if bank_id is None:
            continue
        rows = (by_bank.setdefault(names.get(bank_id, "—"), _zero_row()),
                by_month.setdefault(on.strftime("%Y-%m"), _zero_row()))  # fmt: skip
        for row in rows:
            if kind == EntryKind.RESERVE:
                row["registered"] += 1
                row["covered"] += amount
            elif kind == EntryKind.RELEASE:
                row["released"] += amount
            elif kind == EntryKind.PAYMENT:
                row["paid"] += amount
            elif kind == EntryKind.RECOVERY:
                row["recovered"] += amount
    for claim in db.session.scalars(select(Claim).where(Claim.fund_id == fund.id)):
        month = to_local_month(claim)
        for row in (by_bank.setdefault(claim.bank.name, _zero_row()),
                    by_month.setdefault(month, _zero_row())):  # fmt: skip
            row["filed"] += 1
            row["paid_count"] += claim.status == ClaimStatus.APPROVED
            row["rejected"] += claim.status == ClaimStatus.REJECTED
    total = _zero_row()
    for row in by_bank.values():
        for key in total:
            total[key] += row[key]
    for row in [*by_bank.values(), *by_month.values(), total]:
        row["loss_rate"] = (
            (row["paid"] - row["recovered"]) / row["covered"] if row["covered"] else None
        )
    return {
        "figures": figures(fund),
        "claims": claim_counts(fund),
        "total": total,
        "by_bank": sorted(by_bank.items()),
        "by_month": sorted(by_month.items()),
    }


def to_local_month(claim: Claim) -> str:
    """The month (Asia/Shanghai) a claim was filed in, YYYY-MM."""
    local = to_local(claim.filed_at)
    assert local is not None
    return local.strftime("%Y-%m")
