"""Cases an enterprise files about one of its records for the operator to decide: objections
(`app.disputes`) and credit repairs (`app.repairs`). The reading rules they share: a case
and its evidence files are the operator's to see and its own enterprise's; to anyone else
it does not exist (not found, never forbidden). The deadline's clock (`working_days_left`,
`is_overdue`, `timing_json`) is also that of the fund's compensation claims (`app.funds`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.auth.models import Role, User
from app.clock import local_today, utcnow
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.types import UTCDateTime
from app.workcalendar.services import working_days_between

Case = TypeVar("Case")


def active_user(user_id: int) -> User:
    """Who files or acts on a case: an existing, active account (else Forbidden)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise Forbidden(_("用户不存在或已停用"))
    return user


def case_text(
    value: Any, field: str, limit: int, message: str, *, required: bool = True
) -> str | None:
    """A text a case is filed or decided with, stripped: `message` (code `required`) when it
    is required and empty, None when it is optional and empty, `too_long` over `limit`."""
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise ValidationFailed(field, message, code="required")
        return None
    if len(text) > limit:
        raise ValidationFailed(field, _("内容过长（最多 %(n)s 字）", n=limit), code="too_long")
    return text


def get_case(
    model: type[Case], case_id: int, missing: str, *, enterprise_id: int | None = None
) -> Case:
    """The case, else NotFound(`missing`); with `enterprise_id`, only that enterprise's."""
    case: Any = db.session.get(model, case_id)
    if case is None or (enterprise_id is not None and case.enterprise_id != enterprise_id):
        raise NotFound(missing)
    return case


def evidence_file(model: type[Any], case_id: int, file_id: int, user: User, missing: str) -> Any:
    """An evidence file of a case, for the operator and the enterprise that filed it only."""
    if user.role == Role.ADMIN:
        case = get_case(model, case_id, missing)
    elif user.role == Role.ENTERPRISE and user.enterprise_id is not None:
        case = get_case(model, case_id, missing, enterprise_id=user.enterprise_id)
    else:
        raise NotFound(_("文件不存在"))
    found = next((f for f in case.files if f.id == file_id), None)
    if found is None:
        raise NotFound(_("文件不存在"))
    return found


def cases_of(model: type[Case], enterprise_id: int) -> list[Case]:
    """The enterprise's cases, the latest filed first."""
    case: Any = model
    return list(
        db.session.scalars(
            select(case)
            .where(case.enterprise_id == enterprise_id)
            .order_by(case.filed_at.desc(), case.id.desc())
        )
    )


def working_days_left(case: Any, today: date | None = None) -> int:
    """Working days from `today` (exclusive) to the case's deadline (inclusive); 0 on the
    deadline itself, negative once overdue (the working days past it)."""
    return working_days_between(today or local_today(), case.deadline)


def is_overdue(case: Any, today: date | None = None) -> bool:
    """An open case whose deadline has passed."""
    return case.is_open and (today or local_today()) > case.deadline


def timing_json(case: Any) -> dict:
    """A case's clock in the API: filed when, due when, the working days left while open
    (else null), overdue or not."""
    return {
        "filed_at": case.filed_at.isoformat(),
        "deadline": case.deadline.isoformat(),
        "working_days_left": working_days_left(case) if case.is_open else None,
        "overdue": is_overdue(case),
    }


def name_of(user: User | None) -> str | None:
    """How a case names a user (who filed, decided, acted): the display name, else the
    e-mail address."""
    return None if user is None else (user.display_name or user.email)


class CaseKind(Generic[Case]):
    """One kind of case (`model`) read by the rules above; `missing` is its not-found
    message (a lazy gettext, so that it is said in the reader's language)."""

    def __init__(self, model: type[Case], missing: Any) -> None:
        self.model = model
        self.missing = missing

    def get(self, case_id: int) -> Case:
        """The case, else NotFound."""
        return get_case(self.model, case_id, str(self.missing))

    def get_own(self, case_id: int, enterprise_id: int) -> Case:
        """The enterprise's own case; another's is NotFound (not Forbidden)."""
        return get_case(self.model, case_id, str(self.missing), enterprise_id=enterprise_id)

    def file_for(self, case_id: int, file_id: int, user: User) -> Any:
        """An evidence file of the case, for the operator and the enterprise that filed it
        only (anyone else: not found)."""
        return evidence_file(self.model, case_id, file_id, user, str(self.missing))

    def list_for_enterprise(self, enterprise_id: int) -> list[Case]:
        """The enterprise's cases, the latest filed first."""
        return cases_of(self.model, enterprise_id)


# --- what a case is made of: its events and evidence files -----------------------------------


def case_part(model: str, case: str) -> Any:
    """A case's events or evidence files (`model`, whose `case` attribute is the case): in
    the order they came, kept and deleted with the case."""
    return relationship(back_populates=case, order_by=f"{model}.id", cascade="all, delete-orphan")


class CaseEvent:
    """The columns of a transition of a case (a dispute's, a repair's): who moved it from which
    status to which, when, and why; the history pages of both read them alike."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    to_status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    @declared_attr
    def user(cls) -> Mapped[User | None]:  # noqa: N805 - a class-level attribute
        return relationship(User, lazy="joined")
