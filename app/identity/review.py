"""Verification by the operator's review: the account uploads the business licence (营业执照)
and, when the user is not the legal representative, a letter of authorization (授权委托书);
the operator approves or rejects with a reason within `VERIFICATION_REVIEW_WORKING_DAYS`
Chinese working days. Files are checked by content and kept outside the web root
(`app.evidence`); only the operator and the enterprise's own accounts are served them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, select

from app import evidence
from app.auth.models import Role, User
from app.clock import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.identity import services
from app.identity.models import (
    EventKind,
    ReviewFile,
    ReviewFileKind,
    ReviewState,
    VerificationMethod,
    VerificationReview,
    VerificationState,
)
from app.workcalendar.services import deadline_after, working_days_left


def submit(
    user: User,
    *,
    licence: list[Any],
    authorization: list[Any],
    legal_rep: bool,
    ip: str | None = None,
) -> VerificationReview:
    """Hand in the files; every file is checked before any is kept. The account is 审核中
    (still unverified) until the operator decides."""
    if user.role != Role.ENTERPRISE:
        raise ValidationFailed(None, _("只有企业账户需要核验"), code="not_enterprise")
    if services.is_verified(user):
        raise Conflict(_("账户已核验，无需提交材料"), code="already_verified")
    if user.verification_state == VerificationState.PENDING:
        raise Conflict(_("材料已提交，正在等待平台审核"), code="review_pending")
    services.require_unclaimed(user.enterprise_id)
    licences = evidence.check_all(licence, field="licence")
    letters = evidence.check_all(authorization, required=not legal_rep, field="authorization")
    now = utcnow()
    days = int(current_app.config["VERIFICATION_REVIEW_WORKING_DAYS"])
    review = VerificationReview(
        user_id=user.id,
        enterprise_id=user.enterprise_id,
        legal_rep=legal_rep,
        state=ReviewState.PENDING,
        submitted_at=now,
        due_at=deadline_after(now, days),
    )
    db.session.add(review)
    kinds = [ReviewFileKind.LICENCE] * len(licences) + [ReviewFileKind.AUTHORIZATION] * len(letters)
    with evidence.keeping(licences + letters) as kept:
        for kind, (upload, stored_name) in zip(kinds, kept, strict=True):
            row = ReviewFile.kept(upload, stored_name, now)
            row.kind = kind
            review.files.append(row)
        user.verification_state = VerificationState.PENDING
        db.session.flush()
    services.record_event(
        user,
        EventKind.EVIDENCE_SUBMITTED,
        _("审核单 #%(id)s，%(n)d 个文件", id=review.id, n=len(kept)),
        ip=ip,
    )
    return review


def get_review(review_id: int) -> VerificationReview:
    review = db.session.get(VerificationReview, review_id)
    if review is None:
        raise NotFound(_("审核单不存在"))
    return review


def reviews(*, pending_only: bool = False) -> list[VerificationReview]:
    """The queue: pending first, by deadline (the overdue on top); then the decided."""
    query = select(VerificationReview)
    if pending_only:
        query = query.where(VerificationReview.state == ReviewState.PENDING)
    pending_first = case((VerificationReview.state == ReviewState.PENDING, 0), else_=1)
    return list(
        db.session.scalars(
            query.order_by(pending_first, VerificationReview.due_at, VerificationReview.id)
        )
    )


def days_left(review: VerificationReview) -> int:
    """Working days to the deadline (0 on the last day, negative when late)."""
    return working_days_left(review.due_at, utcnow())


def latest_for(user: User) -> VerificationReview | None:
    return services.latest_attempt(VerificationReview, user)


def decide(
    review_id: int, *, approve: bool, reason: str, actor: User | None = None
) -> VerificationReview:
    """The operator's decision; a rejection needs a reason (the enterprise reads it)."""
    review = get_review(review_id)
    if review.state != ReviewState.PENDING:
        raise Conflict(_("该审核单已处理"), code="already_decided")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed("reason", _("请填写不通过的理由"), code="reason_required")
    user = db.session.get(User, review.user_id)
    assert user is not None
    review.decided_at = utcnow()
    review.decided_by_id = actor.id if actor is not None else None
    review.reason = reason or None
    if approve:
        review.state = ReviewState.APPROVED
        if services.is_verified(user):  # meanwhile verified another way
            db.session.flush()
            return review
        services.require_unclaimed(review.enterprise_id)
        services.mark_verified(
            user,
            VerificationMethod.REVIEW,
            detail=_("人工审核 #%(id)s", id=review.id),
            actor=actor,
        )
    else:
        review.state = ReviewState.REJECTED
        user.verification_state = VerificationState.REJECTED
        services.record_event(user, EventKind.REVIEW_REJECTED, reason, actor=actor)
    db.session.flush()
    return review


def file_for(review_id: int, file_id: int, user: User) -> ReviewFile:
    """A file of a review, for the operator, the account that uploaded it and the
    enterprise's verified accounts only (another claimant of the same code, or anyone else:
    not found)."""
    review = db.session.get(VerificationReview, review_id)
    allowed = review is not None and (
        user.role == Role.ADMIN
        or user.id == review.user_id
        or (user.enterprise_id == review.enterprise_id and services.is_verified(user)
            and user.role == Role.ENTERPRISE)
    )  # fmt: skip
    found = next((f for f in review.files if f.id == file_id), None) if allowed else None
    if found is None:
        raise NotFound(_("文件不存在"))
    return found
