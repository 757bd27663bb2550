"""The application life cycle: one transition table, every transition an event row.

Each transition is one conditional UPDATE (`WHERE id = … AND state = … AND version = …`,
plus `bank_id IS NULL` when a bank picks up an open demand): when two people decide at the
same instant only one UPDATE matches a row; the other gets a 409. Access is checked here:
an enterprise sees only its applications, a bank only its own and the open demands that fit
one of its published products (anonymously until the enterprise authorizes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.applications.models import Application, ApplicationDraft, ApplicationEvent
from app.applications.states import OPEN_STATES, Action, Actor, check_actor, step
from app.auth.models import BANK_ROLES, Role, User
from app.clock import utcnow
from app.consent import services as consent
from app.consent.guard import enterprises_authorizing
from app.decisions import decide_once
from app.enterprises.models import Enterprise
from app.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.facts.services import counted_first_loan, is_first_loan
from app.i18n import Later, later
from app.loans.services import open_loan
from app.notifications.services import notify
from app.products import services as products
from app.util import format_rate, format_yuan, money, to_local
from app.workcalendar import services as workdays

MAX_AMOUNT = Decimal("100000000000")
MAX_TERM = 360
MAX_RATE = Decimal("36")


def actor_of(user: User | None) -> Actor | None:
    """Who `user` is in the state machine (None: no user = the scheduler)."""
    if user is None:
        return Actor.SYSTEM
    if user.role == Role.ENTERPRISE and user.enterprise_id is not None:
        return Actor.ENTERPRISE
    if user.role in BANK_ROLES and user.bank_id is not None:
        return Actor.BANK
    return None


# --- parsing the numbers people type -------------------------------------------------------


def parse_amount(value: Any, field: str = "amount") -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed(field, _("请填写金额"))
    if isinstance(value, bool):
        raise ValidationFailed(field, _("金额不是有效的数字"))
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed(field, _("金额不是有效的数字")) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed(field, _("金额应大于 0"))
    if amount > MAX_AMOUNT:
        raise ValidationFailed(field, _("金额过大"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(field, _("金额最多保留两位小数"))
    return money(amount)


def parse_term(value: Any, field: str = "term_months") -> int:
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, bool):
        raise ValidationFailed(field, _("请填写期限（月）"))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(field, _("期限应为整数个月")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationFailed(field, _("期限应为整数个月"))
    if not 1 <= number <= MAX_TERM:
        raise ValidationFailed(field, _("期限应为 1 至 %(n)d 个月", n=MAX_TERM))
    return int(number)


def parse_rate(value: Any, field: str = "rate") -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, bool):
        raise ValidationFailed(field, _("请填写年利率"))
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise ValidationFailed(field, _("年利率不是有效的数字")) from None
    if not rate.is_finite() or rate <= 0 or rate > MAX_RATE:
        raise ValidationFailed(field, _("年利率应在 0 至 %(max)s%% 之间", max=MAX_RATE))
    return rate.quantize(Decimal("0.0001"))


def parse_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationFailed(field, _("日期格式应为 YYYY-MM-DD")) from None


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y"}


# --- access ---------------------------------------------------------------------------------


def get_for_enterprise(application_id: int, enterprise_id: int) -> Application:
    app = db.session.get(Application, application_id)
    if app is None or app.enterprise_id != enterprise_id:
        raise NotFound(_("申请不存在"))
    return app


def bank_may_see(app: Application, bank_id: int) -> bool:
    """Its own applications; an open demand still waiting, when one of its products fits."""
    if app.bank_id == bank_id:
        return True
    if app.bank_id is None and app.product_id is None and app.state == "submitted":
        from app.matching.services import fitting_bank_ids

        return bank_id in fitting_bank_ids(app.enterprise, app.amount, app.term_months)
    return False


def get_for_bank(application_id: int, bank_id: int) -> Application:
    app = db.session.get(Application, application_id)
    if app is None or not bank_may_see(app, bank_id):
        raise NotFound(_("申请不存在"))
    return app


def get_for_user(application_id: int, user: User) -> Application:
    if user.role == "enterprise" and user.enterprise_id is not None:
        return get_for_enterprise(application_id, user.enterprise_id)
    if user.role in BANK_ROLES and user.bank_id is not None:
        return get_for_bank(application_id, user.bank_id)
    raise NotFound(_("申请不存在"))


def awaits_authorization(app: Application) -> bool:
    """An open demand a bank took up, still in review, that the enterprise has not yet
    authorized that bank to query (the enterprise is asked to). Who applied is shown to a
    bank only through `consent.guard.identify_applicants`, which logs it."""
    return (
        app.product_id is None
        and app.bank_id is not None
        and app.state in ("accepted", "approved")
        and not enterprises_authorizing([app.enterprise_id], app.bank_id)
    )


# --- transitions ----------------------------------------------------------------------------


def _transition(
    app: Application,
    action: Action,
    *,
    actor: Actor | None,
    user_id: int | None,
    bank_id: int | None = None,
    note: str = "",
    said: Later | None = None,
    values: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Application:
    """Take `action` on `app` as `actor`: the table decides whether it may (`states.step`),
    one conditional UPDATE makes it so, an event row records it (`note`: what the person
    typed; `said`: the platform's own note, read in the reader's language)."""
    target = step(app.state, action, actor)
    now = now or utcnow()
    where = [
        Application.id == app.id,
        Application.state == app.state,
        Application.version == app.version,
    ]
    if action == Action.ACCEPT and app.bank_id is None:
        where.append(Application.bank_id.is_(None))  # an open demand: the first bank wins
    try:
        decide_once(
            update(Application)
            .where(*where)
            .values(
                state=target, version=Application.version + 1, updated_at=now, **(values or {})
            ),
            Conflict(_("该申请已被他人处理，请刷新后查看"), code="concurrent_change"),
        )
    except Conflict:
        if app in db.session:
            db.session.expire(app)
        raise
    db.session.add(
        ApplicationEvent(
            application_id=app.id,
            user_id=user_id,
            bank_id=bank_id,
            action=action,
            from_state=app.state,
            to_state=target,
            note=note,
            message=said.msgid if said is not None else None,
            args=(said.to_json() or None) if said is not None else None,
            at=now,
        )
    )
    db.session.flush()
    db.session.refresh(app)
    return app


def _load(action: Action, application_id: int, user: User) -> Application:
    """The application `user` is about to act on: 403 when its role never takes `action`,
    404 when it may not see the application."""
    actor = actor_of(user)
    check_actor(action, actor)
    app = get_for_user(application_id, user)
    step(app.state, action, actor)  # 409 before the fields are read
    return app


def _link(application_id: int) -> str:
    try:
        return url_for("applications.detail", application_id=application_id)
    except RuntimeError:  # no request (scheduler): a relative path works in the site too
        return f"/applications/{application_id}"


def _tell_enterprise(app: Application, kind: str, text: Later) -> None:
    """Notify the enterprise that applied, with a link to the application."""
    notify(kind, text, link=_link(app.id), enterprise_id=app.enterprise_id)


def _tell_bank(app: Application, bank_id: int, kind: str, text: Later) -> None:
    """Notify a bank (the one applied to, or one the open demand fits), with a link to the
    application."""
    notify(kind, text, link=_link(app.id), bank_id=bank_id)


def create_application(
    enterprise_id: int,
    *,
    product_id: int | None,
    amount: Any,
    term_months: Any,
    purpose: str,
    user_id: int | None,
    now: datetime | None = None,
) -> Application:
    """A submitted application for one product, or an open demand (product_id None)."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    if not enterprise.verified:
        raise Forbidden(_("企业登记信息尚未核验，暂不能申请贷款"), code="unverified")
    amount_d = parse_amount(amount)
    term = parse_term(term_months)
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("purpose", _("请填写资金用途"))
    if len(purpose) > 300:
        raise ValidationFailed("purpose", _("资金用途不能超过 300 字"))
    bank_id = None
    if product_id is not None:
        product = products.get_published(int(product_id))
        if amount_d > product.amount_max:
            raise ValidationFailed(
                "amount", _("金额超出上限 %(v)s", v=format_yuan(product.amount_max))
            )
        if amount_d < product.amount_min:
            raise ValidationFailed(
                "amount", _("金额低于下限 %(v)s", v=format_yuan(product.amount_min))
            )
        if not product.term_min_months <= term <= product.term_max_months:
            raise ValidationFailed(
                "term_months",
                _(
                    "期限应在 %(a)d 至 %(b)d 个月之间",
                    a=product.term_min_months,
                    b=product.term_max_months,
                ),
            )
        bank_id = product.bank_id
    if (same := _same_open_application(enterprise_id, product_id, amount_d, term)) is not None:
        raise Conflict(
            _("已有一笔相同的申请正在办理（#%(id)d），请勿重复提交", id=same),
            code="duplicate_application",
        )
    now = now or utcnow()
    app = Application(
        enterprise_id=enterprise_id,
        product_id=product_id,
        bank_id=bank_id,
        state="draft",
        amount=amount_d,
        term_months=term,
        purpose=purpose,
        version=1,
        created_at=now,
    )
    db.session.add(app)
    db.session.flush()
    days = int(current_app.config.get("RESPONSE_WORKING_DAYS", 3))
    _transition(
        app,
        Action.SUBMIT,
        actor=Actor.ENTERPRISE,
        user_id=user_id,
        values={"submitted_at": now, "respond_by": workdays.deadline_after(now, days)},
        now=now,
    )
    _announce(app)
    return app


# --- drafts ---------------------------------------------------------------------------------


def save_draft(
    user_id: int, *, product_id: Any, amount: Any, term_months: Any, purpose: Any
) -> ApplicationDraft:
    """Keep what was typed into the application form, as typed (one draft per user)."""
    draft = db.session.scalar(select(ApplicationDraft).where(ApplicationDraft.user_id == user_id))
    if draft is None:
        draft = ApplicationDraft(user_id=user_id)
        db.session.add(draft)
    raw_product = str(product_id or "").strip()
    try:
        draft.product_id = products.get_published(int(raw_product)).id
    except (ValueError, NotFound):
        draft.product_id = None
    draft.amount = str(amount or "").strip()[:40]
    draft.term_months = str(term_months or "").strip()[:20]
    draft.purpose = str(purpose or "").strip()[:300]
    draft.saved_at = utcnow()
    db.session.flush()
    return draft


def draft_for(user_id: int) -> ApplicationDraft | None:
    return db.session.scalar(select(ApplicationDraft).where(ApplicationDraft.user_id == user_id))


def discard_draft(user_id: int) -> None:
    draft = draft_for(user_id)
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()


def _same_open_application(
    enterprise_id: int, product_id: int | None, amount: Decimal, term: int
) -> int | None:
    """The enterprise's open application for the same product (or the same open demand),
    amount and term, if any: applying twice is one application. The enterprise's row is
    locked first, so two identical requests at the same instant are serialised and the
    second sees the first (PostgreSQL; SQLite has one writer anyway)."""
    db.session.execute(
        select(Enterprise.id).where(Enterprise.id == enterprise_id).with_for_update()
    )
    product = (
        Application.product_id.is_(None)
        if product_id is None
        else Application.product_id == product_id
    )
    return db.session.scalar(
        select(Application.id)
        .where(
            Application.enterprise_id == enterprise_id,
            product,
            Application.amount == amount,
            Application.term_months == term,
            Application.state.in_(OPEN_STATES),
        )
        .limit(1)
    )


def _announce(app: Application) -> None:
    from app.matching.services import fitting_bank_ids

    if app.bank_id is not None:
        _tell_bank(
            app,
            app.bank_id,
            "application_new",
            later(
                "新的贷款申请：%(p)s，%(a)s，%(t)d 个月",
                p=app.product.name if app.product else "",
                a=format_yuan(app.amount),
                t=app.term_months,
            ),
        )
        return
    for bank_id in sorted(fitting_bank_ids(app.enterprise, app.amount, app.term_months)):
        _tell_bank(
            app,
            bank_id,
            "demand_new",
            later(
                "新的融资需求：%(a)s，%(t)d 个月，先受理者得",
                a=format_yuan(app.amount),
                t=app.term_months,
            ),
        )


def apply_with_consent(
    enterprise_id: int,
    *,
    product_id: int,
    amount: Any,
    term_months: Any,
    purpose: str,
    categories: Iterable[str],
    user_id: int | None,
    ip: str | None,
    text_id: int | None,
    text_hash: str | None = None,
    days: int | None = None,
) -> Application:
    """Apply to a product and, in the same transaction, let its bank view `categories`."""
    app = create_application(
        enterprise_id,
        product_id=product_id,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        user_id=user_id,
    )
    _grant_for_application(app, categories, user_id=user_id, ip=ip, text_id=text_id,
                           text_hash=text_hash, days=days)  # fmt: skip
    return app


def authorize_bank(
    application_id: int,
    enterprise_id: int,
    *,
    categories: Iterable[str],
    user_id: int | None,
    ip: str | None,
    text_id: int | None,
    text_hash: str | None = None,
    days: int | None = None,
):
    """After a bank picked up an open demand: let that bank view the enterprise's data."""
    app = get_for_enterprise(application_id, enterprise_id)
    if app.bank_id is None or app.state not in ("accepted", "approved"):
        raise Conflict(_("该申请目前无需授权"), code="nothing_to_authorize")
    return _grant_for_application(app, categories, user_id=user_id, ip=ip, text_id=text_id,
                                  text_hash=text_hash, days=days)  # fmt: skip


def _grant_for_application(app: Application, categories: Iterable[str], **consent_args):
    """The query authorization of `app`'s bank, for this application (双授权, second half)."""
    assert app.bank_id is not None
    return consent.grant_query(
        app.enterprise_id,
        app.bank_id,
        categories,
        purpose=consent.Purpose.PRE_LOAN,
        purpose_note=_("贷款申请 #%(id)d：%(p)s", id=app.id, p=app.purpose),
        application_id=app.id,
        **consent_args,
    )


def accept(application_id: int, user: User, *, now: datetime | None = None) -> Application:
    """受理. On an open demand the first bank wins; the enterprise is asked to authorize it."""
    app = _load(Action.ACCEPT, application_id, user)
    bank_id = user.bank_id
    now = now or utcnow()
    submitted = to_local(app.submitted_at or now)
    today = to_local(now)
    assert submitted is not None and today is not None
    was_open = app.bank_id is None
    _transition(
        app,
        Action.ACCEPT,
        actor=Actor.BANK,
        user_id=user.id,
        bank_id=bank_id,
        now=now,
        values={
            "bank_id": bank_id,
            "accepted_at": now,
            "response_working_days": max(
                0, workdays.working_days_between(submitted.date(), today.date())
            ),
        },
    )
    bank_name = user.bank.name if user.bank else ""
    if was_open:
        text = later("%(bank)s 已受理您的融资需求，请授权该行查询贵企业数据", bank=bank_name)
        try:
            link = url_for("applications.authorize", application_id=app.id)
        except RuntimeError:
            link = f"/applications/{app.id}/authorize"
        notify("demand_accepted", text, link=link, enterprise_id=app.enterprise_id)
    else:
        _tell_enterprise(
            app, "application_accepted", later("%(bank)s 已受理您的贷款申请", bank=bank_name)
        )
    return app


def check_approval(app: Application, amount: Any, rate: Any, term_months: Any):
    """The terms a bank approves, or ValidationFailed naming every wrong field: the amount
    within the product's range and not above the request (the platform has no counter-offer
    for the enterprise to accept), the term and the rate within the product's ranges (an
    open demand has no product: only the request and the general limits apply)."""
    problems: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    given = {"amount": amount, "rate": rate, "term_months": term_months}
    for field, parse in (
        ("amount", parse_amount),
        ("rate", parse_rate),
        ("term_months", parse_term),
    ):
        try:
            parsed[field] = parse(given[field], field)
        except ValidationFailed as exc:
            problems[field] = exc.message
    p = app.product
    if (value := parsed.get("amount")) is not None:
        if value > app.amount:
            problems["amount"] = _("批准金额不能超过申请金额 %(v)s", v=format_yuan(app.amount))
        elif p is not None and value > p.amount_max:
            problems["amount"] = _("批准金额超出产品上限 %(v)s", v=format_yuan(p.amount_max))
        elif p is not None and value < p.amount_min:
            problems["amount"] = _("批准金额低于产品下限 %(v)s", v=format_yuan(p.amount_min))
    rate, term = parsed.get("rate"), parsed.get("term_months")
    if p is not None and rate is not None and not p.rate_min <= rate <= p.rate_max:
        problems["rate"] = _(
            "年利率应在产品的 %(a)s%% 至 %(b)s%% 之间",
            a=format_rate(p.rate_min),
            b=format_rate(p.rate_max),
        )
    if p is not None and term is not None and not p.term_min_months <= term <= p.term_max_months:
        problems["term_months"] = _(
            "期限应在 %(a)d 至 %(b)d 个月之间", a=p.term_min_months, b=p.term_max_months
        )
    if problems:
        raise FieldErrors(problems)
    return parsed["amount"], parsed["rate"], parsed["term_months"]


def approve(application_id: int, user: User, *, amount: Any, rate: Any, term_months: Any):
    app = _load(Action.APPROVE, application_id, user)
    amount_d, rate_d, term = check_approval(app, amount, rate, term_months)
    _transition(
        app,
        Action.APPROVE,
        actor=Actor.BANK,
        user_id=user.id,
        bank_id=user.bank_id,
        said=later(
            "批准金额 %(amount)s，年利率 %(rate)s%%，期限 %(term)s 个月",
            amount=format_yuan(amount_d),
            rate=format_rate(rate_d),
            term=term,
        ),
        values={
            "approved_amount": amount_d,
            "approved_rate": rate_d,
            "approved_term_months": term,
            "decided_at": utcnow(),
        },
    )
    _tell_enterprise(
        app,
        "application_approved",
        later(
            "您的贷款申请已获批准：%(a)s，年利率 %(r)s%%，%(t)d 个月",
            a=format_yuan(amount_d),
            r=format_rate(rate_d),
            t=term,
        ),
    )
    return app


def reject(application_id: int, user: User, *, reason: Any):
    app = _load(Action.REJECT, application_id, user)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed("reason", _("请填写拒绝原因"))
    if app.bank_id is None:  # an open demand is passed over, not rejected for everyone
        raise Conflict(_("开放需求请先受理再决定"), code="invalid_transition")
    _transition(
        app,
        Action.REJECT,
        actor=Actor.BANK,
        user_id=user.id,
        bank_id=user.bank_id,
        note=reason[:2000],
        values={"reject_reason": reason[:2000], "decided_at": utcnow()},
    )
    _tell_enterprise(
        app, "application_rejected", later("您的贷款申请未获批准：%(r)s", r=reason[:200])
    )
    return app


def disburse(
    application_id: int, user: User, *, amount: Any, disbursed_on: Any, first_loan: Any = None
):
    app = _load(Action.DISBURSE, application_id, user)
    amount_d = parse_amount(amount)
    if app.approved_amount is not None and amount_d > app.approved_amount:
        raise ValidationFailed("amount", _("放款金额不能超过批准金额"))
    day = parse_date(disbursed_on, "disbursed_on")
    today = to_local(utcnow())
    assert today is not None
    if day > today.date():
        raise ValidationFailed("disbursed_on", _("放款日期不能晚于今天"))
    accepted = to_local(app.accepted_at) if app.accepted_at else None
    if accepted is not None and day < accepted.date():
        raise ValidationFailed("disbursed_on", _("放款日期不能早于受理日期"))
    declared = _bool(first_loan)
    platform = is_first_loan(app.enterprise_id, excluding=app.id)
    first = counted_first_loan(declared, platform)
    _transition(
        app,
        Action.DISBURSE,
        actor=Actor.BANK,
        user_id=user.id,
        bank_id=user.bank_id,
        said=(
            later(
                "放款 %(amount)s，放款日 %(day)s，首贷",
                amount=format_yuan(amount_d),
                day=day.isoformat(),
            )
            if first  # 首贷: the enterprise's first loan
            else later(
                "放款 %(amount)s，放款日 %(day)s", amount=format_yuan(amount_d), day=day.isoformat()
            )
        ),
        values={
            "disbursed_amount": amount_d,
            "disbursed_on": day,
            "first_loan": first,
            "first_loan_declared": declared,
            "first_loan_platform": platform,
        },
    )
    open_loan(app)  # the disbursed application becomes a loan, in the same transaction
    _tell_enterprise(
        app,
        "application_disbursed",
        later("贷款已放款：%(a)s（%(d)s）", a=format_yuan(amount_d), d=day.isoformat()),
    )
    return app


def withdraw(application_id: int, user: User, *, note: str = ""):
    app = _load(Action.WITHDRAW, application_id, user)
    _transition(
        app, Action.WITHDRAW, actor=Actor.ENTERPRISE, user_id=user.id,
        note=(note or "").strip()[:500],
    )  # fmt: skip
    if app.bank_id is not None:
        _tell_bank(
            app, app.bank_id, "application_withdrawn", later("申请 #%(id)d 已被企业撤回", id=app.id)
        )
    return app


def act(action: str, application_id: int, user: User, payload: dict[str, Any]) -> Application:
    """One entry point for the API and the web: a user's `action` with its payload."""
    handler = USER_ACTIONS.get(action)
    if handler is None:
        raise NotFound(_("未知操作"))
    return handler(application_id, user, payload)


# The actions people take (submitting is part of applying; expiring is the scheduler's).
USER_ACTIONS: dict[str, Callable[[int, User, dict[str, Any]], Application]] = {
    Action.ACCEPT: lambda i, user, _p: accept(i, user),
    Action.APPROVE: lambda i, user, p: approve(
        i, user, amount=p.get("amount"), rate=p.get("rate"), term_months=p.get("term_months")
    ),
    Action.REJECT: lambda i, user, p: reject(i, user, reason=p.get("reason")),
    Action.DISBURSE: lambda i, user, p: disburse(
        i,
        user,
        amount=p.get("amount"),
        disbursed_on=p.get("disbursed_on"),
        first_loan=p.get("first_loan"),
    ),
    Action.WITHDRAW: lambda i, user, p: withdraw(i, user, note=str(p.get("note") or "")),
}


# --- scheduler: remind, then expire ------------------------------------------------------


def remind_due(now: datetime | None = None) -> int:
    """Remind the bank once when one working day (or less) is left to accept."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Application).where(
                Application.state == "submitted",
                Application.reminded_at.is_(None),
                Application.respond_by.is_not(None),
                Application.respond_by >= now,
            )
        )
    )
    count = 0
    for app in due:
        assert app.respond_by is not None
        if workdays.working_days_left(app.respond_by, now) > 1:
            continue
        app.reminded_at = now
        if app.bank_id is not None:
            _tell_bank(
                app,
                app.bank_id,
                "application_reminder",
                later("申请 #%(id)d 将于 1 个工作日内到期，请及时受理", id=app.id),
            )
        count += 1
    db.session.flush()
    return count


def expire_overdue(now: datetime | None = None) -> int:
    """Submitted applications past their deadline expire; the enterprise is told."""
    now = now or utcnow()
    overdue = list(
        db.session.scalars(
            select(Application).where(
                Application.state == "submitted", Application.respond_by < now
            )
        )
    )
    count = 0
    for app in overdue:
        try:
            _transition(
                app, Action.EXPIRE, actor=Actor.SYSTEM, user_id=None,
                said=later("超过受理时限"), now=now,
            )  # fmt: skip
        except Conflict:  # accepted meanwhile
            continue
        _tell_enterprise(
            app, "application_expired", later("申请 #%(id)d 未在时限内获受理，已过期", id=app.id)
        )
        count += 1
    return count
