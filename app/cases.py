"""Cases an enterprise files about one of its records for the operator to decide: objections
(`app.disputes`) and credit repairs (`app.repairs`). The reading rules they share: a case
and its evidence files are the operator's to see and its own enterprise's; to anyone else
it does not exist (not found, never forbidden)."""

from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role, User
from app.errors import NotFound
from app.extensions import db

Case = TypeVar("Case")


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
