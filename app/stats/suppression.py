"""The published figures of a cell, and small-group suppression: a group resting on 1 to
N-1 enterprises is hidden, and so are the groups that would give it away by subtraction.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app

from app.stats.queries import FAMILIES, SKETCH_K, Cell, section_of

FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


def _ratio(num, den) -> str | None:
    if not den:
        return None
    return str((Decimal(num) / Decimal(den)).quantize(FOUR, rounding=ROUND_HALF_UP))


def median(hist: Counter) -> float | None:
    """The median of a histogram {value: count}; the mean of the two middle values when
    the count is even."""
    total = sum(hist.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(hist):
        count = hist[value]
        for position in wanted[len(found) :]:
            if position < seen + count:
                found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


FIGURES = (
    "demand_count", "demand_amount", "open_demands", "picked_up", "lapsed", "pickup_rate",
    "accepted", "approved", "rejected", "approval_rate", "disbursed_count",
    "disbursed_amount", "first_loans", "first_loan_amount", "credit_amount",
    "credit_share", "avg_rate", "avg_term_months", "median_days_to_accept",
    "median_days_to_disburse",
)  # fmt: skip


def figures(cell: Cell) -> dict[str, Any]:
    """The published figures of a cell (money and ratios as decimal strings)."""
    return {
        "demand_count": cell.demand_count,
        "demand_amount": str(Decimal(cell.demand_amount).quantize(TWO)),
        "open_demands": cell.open_demands,
        "picked_up": cell.picked_up,
        "lapsed": cell.lapsed,
        "pickup_rate": _ratio(cell.picked_up, cell.picked_up + cell.lapsed),
        "accepted": cell.accepted,
        "approved": cell.approved,
        "rejected": cell.rejected,
        "approval_rate": _ratio(cell.approved, cell.approved + cell.rejected),
        "disbursed_count": cell.disbursed_count,
        "disbursed_amount": str(Decimal(cell.disbursed_amount).quantize(TWO)),
        "first_loans": cell.first_loans,
        "first_loan_amount": str(Decimal(cell.first_loan_amount).quantize(TWO)),
        "credit_amount": str(Decimal(cell.credit_amount).quantize(TWO)),
        "credit_share": _ratio(cell.credit_amount, cell.typed_amount),
        "avg_rate": None
        if not cell.rate_n
        else str((Decimal(cell.rate_sum) / cell.rate_n).quantize(TWO, rounding=ROUND_HALF_UP)),
        "avg_term_months": None
        if not cell.term_n
        else str(
            (Decimal(cell.term_sum) / cell.term_n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        ),
        "median_days_to_accept": median(cell.accept_days),
        "median_days_to_disburse": median(cell.disburse_days),
    }


def min_enterprises() -> int:
    n = int(current_app.config.get("STATS_MIN_ENTERPRISES", 3))
    return max(1, min(n, SKETCH_K))


def too_small(cell: Cell, n: int) -> bool:
    """A family of figures resting on 1..n-1 enterprises would reveal them."""
    return any(0 < cell.distinct(family) < n for family in FAMILIES)


def _parent(dim: str, key: str, product_banks: dict[str, str]) -> str | None:
    if dim == "county":
        return key[:4] if key else None
    if dim == "division":
        return section_of(key)
    if dim == "product":
        return product_banks.get(key)
    return None


def suppress(
    dim: str, cells: dict[str, Cell], n: int, product_banks: dict[str, str] | None = None
) -> set[str]:
    """The keys to hide: groups under `n` enterprises, then complementary ones.

    While the hidden groups together could be recovered by subtracting the shown ones from
    the total (one hidden group, or hidden groups that together still rest on fewer than
    `n` enterprises), the smallest shown group is hidden too — a sibling under the same
    parent (city, section, bank) first, since the parent's own row is shown elsewhere.
    """
    hidden = {key for key, cell in cells.items() if too_small(cell, n)}
    if not hidden:
        return hidden
    banks = product_banks or {}

    def exposed() -> bool:
        union = Cell()
        for key in hidden:
            union.merge(copy_cell(cells[key]))
        return len(hidden) == 1 or too_small(union, n)

    def size(key: str) -> tuple:
        cell = cells[key]
        return (cell.distinct("applicants") + cell.distinct("borrowers"), cell.demand_count, key)

    while exposed():
        shown = [key for key in cells if key not in hidden and _has_figures(cells[key])]
        if not shown:
            break
        parents = {_parent(dim, key, banks) for key in hidden} - {None}
        siblings = [key for key in shown if _parent(dim, key, banks) in parents]
        hidden.add(min(siblings or shown, key=size))
    # Per parent too: one hidden child of a shown parent is its parent minus its siblings.
    if dim in ("county", "division", "product"):
        for parent in {_parent(dim, key, banks) for key in hidden} - {None}:
            children = [key for key in cells if _parent(dim, key, banks) == parent]
            mine = [key for key in children if key in hidden]
            rest = [key for key in children if key not in hidden and _has_figures(cells[key])]
            if len(mine) == 1 and rest:
                hidden.add(min(rest, key=size))
    return hidden


def copy_cell(cell: Cell) -> Cell:
    return Cell().merge(cell)


def _has_figures(cell: Cell) -> bool:
    return bool(cell.demand_count or cell.accepted or cell.lapsed or cell.approved
                or cell.rejected or cell.disbursed_count)  # fmt: skip
