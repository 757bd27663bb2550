"""Figures of cases the office follows (credit repairs, objections): per group (deciding
authority, city), how many were filed, how each ended, and the median working days from
filing to decision, with small groups suppressed as the statistics suppress them.

A group resting on 1 to N-1 enterprises (`STATS_MIN_ENTERPRISES`) shows no figures; when
that leaves exactly one group hidden (its figures = the total minus the others), the
smallest shown group is hidden too; a total resting on too few enterprises is hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from app.enterprises.services import region_names
from app.errors import ValidationFailed
from app.stats.suppression import median, min_enterprises
from app.util import to_local
from app.workcalendar.services import working_days_between

DIMENSIONS = ("authority", "city")


@dataclass(frozen=True)
class Case:
    enterprise_id: int
    filed_on: date  # local day
    decided_on: date | None  # local day of the decision; None while open
    counts: tuple[str, ...]  # the counters this case adds one to ("approved", …)
    authority: str
    region_code: str | None

    @classmethod
    def of(
        cls,
        case: Any,
        decided_at: datetime | None,
        counts: Iterable[str],
        authority: str,
        region_code: str | None,
    ) -> Case:
        """A dispute or a repair (`enterprise_id`, `filed_at`) as counted: filed and decided
        on local days."""
        decided = to_local(decided_at)
        return cls(
            enterprise_id=case.enterprise_id,
            filed_on=to_local(case.filed_at).date(),  # type: ignore[union-attr]
            decided_on=decided.date() if decided else None,
            counts=tuple(counts),
            authority=authority,
            region_code=region_code,
        )


@dataclass
class Group:
    key: str
    label: str
    enterprises: set[int] = field(default_factory=set)
    filed: int = 0
    counts: Counter = field(default_factory=Counter)
    days: Counter = field(default_factory=Counter)  # working days to decision → count

    def add(self, case: Case) -> None:
        self.enterprises.add(case.enterprise_id)
        self.filed += 1
        self.counts.update(case.counts)
        if case.decided_on is not None:
            self.days[working_days_between(case.filed_on, case.decided_on)] += 1


def check_dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise ValidationFailed(
            "by",
            _("分组应为以下之一：%(all)s", all=", ".join(DIMENSIONS)),
            code="invalid_dimension",
        )
    return by


def tabulate(
    cases: Iterable[Case],
    by: str,
    counters: tuple[str, ...],
    *,
    filed_as: str = "filed",
) -> dict[str, Any]:
    """{by, groups: [{key, label, <filed_as>, <counters>…, median_working_days, suppressed}],
    total: {…}} of `cases`."""
    check_dimension(by)
    names = region_names() if by == "city" else {}
    groups: dict[str, Group] = {}
    total = Group("", _("合计"))
    for case in cases:
        if by == "authority":
            key = label = case.authority
        else:
            key = (case.region_code or "")[:4] + "00" if case.region_code else ""
            label = names.get(key, key or _("未知"))
        groups.setdefault(key, Group(key, label)).add(case)
        total.add(case)
    n = min_enterprises()
    hidden = {key for key, g in groups.items() if len(g.enterprises) < n}
    if len(hidden) == 1 and len(groups) > 1:
        shown = [g for key, g in groups.items() if key not in hidden]
        hidden.add(min(shown, key=lambda g: (len(g.enterprises), g.filed, g.key)).key)

    def row(group: Group, suppressed: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"key": group.key, "label": group.label, "suppressed": suppressed}
        out[filed_as] = None if suppressed else group.filed
        for name in counters:
            out[name] = None if suppressed else group.counts[name]
        out["median_working_days"] = None if suppressed else median(group.days)
        return out

    return {
        "by": by,
        "groups": [row(g, g.key in hidden) for g in sorted(groups.values(), key=lambda g: g.key)],
        "total": row(total, 0 < len(total.enterprises) < n),
    }
