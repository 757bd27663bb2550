"""The enterprise's own access log."""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Day, InstantText, Paged, Shape, answer, choice, read_query
from app.api.spec import doc
from app.audit import services
from app.audit.models import OUTCOMES
from app.audit.routes import log_filter
from app.auth.models import Role
from app.consent.forms import CHANNEL_LABELS


class AccessEntry(Shape):
    at: InstantText
    bank: str | None = Field(description="the bank's code")
    bank_name: str | None
    user: str | None
    categories: list[str] = Field(description="the categories given (none when denied)")
    requested: list[str]
    purpose: str
    keep_copy_days: int | None = Field(
        description="days the bank may keep a copy of what an allowed read gave it "
        "(0: none; null: no authorization cited)"
    )
    endpoint: str
    channel: choice(CHANNEL_LABELS)  # type: ignore[valid-type]
    outcome: choice(OUTCOMES)  # type: ignore[valid-type]


class AccessLogQuery(Paged):
    bank: str | None = Field(None, description="bank code")
    outcome: choice(OUTCOMES) | None = None  # type: ignore[valid-type]
    from_: Day | None = Field(None, alias="from", description="Asia/Shanghai, inclusive")
    to: Day | None = Field(None, description="Asia/Shanghai, inclusive")


@bp.route("/me/access-log")
@api_auth(Role.ENTERPRISE)
@doc(response=list[AccessEntry], query=AccessLogQuery, tag="authorizations")
def my_access_log():
    """Who looked at my data: every bank read attempt, allowed or denied, newest first."""
    query = read_query(AccessLogQuery)
    entries, links = query.read(
        lambda limit, offset: services.entries_for_enterprise(
            current_api_user().enterprise_id,
            log_filter(query.bank, query.outcome, query.from_, query.to),
            limit=limit,
            offset=offset,
        )
    )
    return (
        jsonify(
            [
                answer(
                    AccessEntry,
                    {
                        "at": e["at"].isoformat(),
                        "bank": e["bank_code"],
                        "bank_name": e["bank"],
                        "user": e["user"],
                        "categories": e["categories"] if e["outcome"] == "allowed" else [],
                        "requested": e["requested"],
                        "purpose": e["purpose"],
                        "keep_copy_days": e["keep_copy_days"]
                        if e["outcome"] == "allowed"
                        else None,
                        "endpoint": e["endpoint"],
                        "channel": e["channel"],
                        "outcome": e["outcome"],
                    },
                )
                for e in entries
            ]
        ),
        200,
        links,
    )
