"""The published figures of a cell, and small-group suppression, family by family (demand,
decisions, disbursements): figures resting on 1 to N-1 enterprises are withheld, and so are
the figures that would give them away by subtraction (docs/stats.md, "Small groups").
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.stats.queries import FAMILIES, SKETCH_K, Cell, merge_sketch

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


# --- families --------------------------------------------------------------------------------
# Each family of figures rests on its own enterprises (a sketch per family, `queries.FAMILIES`)
# and is shown or withheld on its own: a month with many applicants shows its demand even
# when only two firms borrowed in it.

FAMILY_FIGURES = {
    "applicants": ("demand_count", "demand_amount", "open_demands"),
    "deciders": ("picked_up", "lapsed", "pickup_rate", "accepted", "approved", "rejected",
                 "approval_rate", "median_days_to_accept"),
    "borrowers": ("disbursed_count", "disbursed_amount", "first_loans", "first_loan_amount",
                  "credit_amount", "credit_share", "avg_rate", "avg_term_months",
                  "median_days_to_disburse"),
}  # fmt: skip
# The names the API and exports give the families.
FAMILY_NAMES = {"applicants": "demand", "deciders": "decisions", "borrowers": "disbursements"}
FAMILY_LABELS = {
    "applicants": _l("需求数据"), "deciders": _l("审批数据"), "borrowers": _l("放款数据"),
}  # fmt: skip


def small(cell: Cell, family: str, n: int) -> bool:
    """A family of figures resting on 1..n-1 enterprises would reveal them."""
    return 0 < cell.distinct(family) < n


def small_families(cell: Cell, n: int, families: Iterable[str] = FAMILIES) -> set[str]:
    return {family for family in families if small(cell, family, n)}


def _size(cell: Cell, family: str, key: str) -> tuple[int, int, str]:
    """Which shown group to withhold first: the fewest enterprises, then events, then key
    (so every table that holds the same groups withholds the same ones)."""
    return cell.distinct(family), cell.events(family), key


def _distinct(cells: dict[str, Cell], keys: Iterable[str], family: str) -> int:
    ids: list[int] = []
    for key in keys:
        ids = merge_sketch(ids, getattr(cells[key], family))
    return len(ids)


def _one_level(cells: dict[str, Cell], keys: list[str], family: str, n: int) -> set[str]:
    """Of groups that add up to a shown figure (the total, or their parent), the ones to
    hide: those resting on 1..n-1 enterprises, then — while the hidden ones together, which
    the shown figure minus the shown groups gives away, rest on 1..n-1 — the smallest shown
    one, again and again."""
    hidden = {key for key in keys if small(cells[key], family, n)}
    while 0 < _distinct(cells, hidden, family) < n:
        others = [key for key in keys if key not in hidden and cells[key].distinct(family)]
        if not others:  # then the hidden ones are the whole: too small, and hidden with them
            break
        hidden.add(min(others, key=lambda k: _size(cells[k], family, k)))
    return hidden


def suppress(
    cells: dict[str, Cell],
    n: int,
    *,
    parent_of: Callable[[str], str] | None = None,
    whole: Iterable[str] = (),
    families: Iterable[str] = FAMILIES,
) -> dict[str, set[str]]:
    """Per family, the groups whose figures of that family are withheld.

    Any cell with the same protocol (`distinct`, `events`, `merge`, a sketch per family)
    is decided the same way: the loan-quality cells (`loan_quality.LoanCell`) are.

    `whole`: the families withheld from the table's total; every group of such a family is
    withheld too (the groups add up to the total). Otherwise the groups are decided as a
    level under the total (`_one_level`) — or, for children (`parent_of`: counties of a
    city, divisions of a section, products of a bank), first their parents exactly as the
    parents' own table decides them, then every child of a withheld parent (they add up to
    it), then each shown parent's children as a level under it. So the total minus the shown
    groups, and a parent minus its shown children, each rest on no enterprise or on n or
    more; and the same children are withheld whether the table shows every parent or is
    filtered on one (the dashboard's drill-down).
    """
    whole = set(whole)
    children: dict[str, list[str]] = {}
    parents: dict[str, Cell] = {}
    if parent_of is not None:
        for key in cells:
            children.setdefault(parent_of(key), []).append(key)
        parents = {
            parent: merged((cells[k] for k in keys), type(cells[keys[0]]))
            for parent, keys in children.items()
        }
    hidden: dict[str, set[str]] = {}
    for family in families:
        if family in whole:
            hidden[family] = set(cells)
        elif parent_of is None:
            hidden[family] = _one_level(cells, list(cells), family, n)
        else:
            withheld = _one_level(parents, list(parents), family, n)
            hidden[family] = set()
            for parent, keys in children.items():
                if parent in withheld:
                    hidden[family].update(keys)
                else:
                    hidden[family] |= _one_level(cells, keys, family, n)
    return hidden


# --- two axes ----------------------------------------------------------------------------------
# A table filtered on one axis and grouped by another shows a row of the two axes' cross: the
# bank table of 西安 is 西安's row of place × bank, the city table of bank A is bank A's
# column. A cell of the cross is in both, and in the tables at the finer and coarser levels
# of each axis; decided per table, it could be withheld in one (to protect a sibling) and
# shown in the other, and the row's total minus it would give the sibling away. So the cross
# is decided once, as a whole, and every table that shows a part of it reads its part.
#
# A node of the cross is ((depth on the first axis, key), (depth on the second, key)): depth
# 0 is the whole axis (key ""), 1 its coarse level (city, section, bank), 2 its fine level
# (county, division, product). Every node whose depth is 0 on one axis is a row of a table
# grouped by one axis alone (a margin): those are decided by their own tables and given.

Node = tuple[tuple[int, str], tuple[int, str]]


class Sizes:
    """What suppression reads of a node of a cross, per family: the enterprise ids behind
    it (a union of sketches, kept as a set that stops growing once it holds K, and cut to K
    when counted) and how many events; built by `cross_nodes` for thousands of nodes."""

    __slots__ = ("events_of", "ids")

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {}
        self.events_of: dict[str, int] = {}

    def distinct(self, family: str) -> int:
        return min(len(self.ids.get(family, ())), SKETCH_K)

    def events(self, family: str) -> int:
        return self.events_of.get(family, 0)


def cross_nodes(
    cells: dict[tuple[str, str], Any],
    parents: tuple[Callable[[str], str] | None, Callable[[str], str] | None],
    families: Iterable[str] = FAMILIES,
) -> dict[Node, Sizes]:
    """Every node of the cross, from the cells at its finest levels: `parents` gives, per
    axis, a fine key's coarse key (None when the finest level is the coarse one)."""
    families = tuple(families)
    chains: tuple[dict[str, list[tuple[int, str]]], dict[str, list[tuple[int, str]]]] = ({}, {})

    def chain(axis: int, key: str) -> list[tuple[int, str]]:
        found = chains[axis].get(key)
        if found is None:
            parent = parents[axis]
            found = [(1, key), (0, "")] if parent is None else [(2, key), (1, parent(key)), (0, "")]
            chains[axis][key] = found
        return found

    nodes: dict[Node, Sizes] = {}
    for (a, b), cell in cells.items():
        above = [(x, y) for x in chain(0, a) for y in chain(1, b)]
        for node in above:
            if node not in nodes:
                nodes[node] = Sizes()
        for family in families:
            ids = getattr(cell, family)
            if not ids:
                continue
            events = cell.events(family)
            for node in above:
                sizes = nodes[node]
                found = sizes.ids.get(family)
                if found is None:
                    sizes.ids[family] = set(ids)
                    sizes.events_of[family] = events
                else:
                    # A set of K ids already counts as K in every union it joins (counts
                    # are cut to K): it need not grow, and the root's would hold them all.
                    if len(found) < SKETCH_K:
                        found.update(ids)
                    sizes.events_of[family] += events
    return nodes


def _partitions(nodes: Iterable[Node], parents) -> list[tuple[Node, list[Node]]]:
    """Each interior node's parts along each axis (its children one level finer, the other
    axis held): the rows and columns of the cross, and the children of each of their
    cells. Partitions of a margin (a node at depth 0 on the held axis) are its own table's."""
    parts: dict[tuple[Node, int], list[Node]] = {}
    for node in sorted(nodes):
        for axis in (0, 1):
            depth, key = node[axis]
            if depth == 0 or node[1 - axis][0] == 0:
                continue
            up = (0, "") if depth == 1 else (1, parents[axis](key))
            total = (up, node[1]) if axis == 0 else (node[0], up)
            parts.setdefault((total, axis), []).append(node)
    return [(total, found) for (total, _axis), found in sorted(parts.items())]


def suppress_cross(
    nodes: dict[Node, Sizes],
    n: int,
    margins: dict[str, set[Node]],
    parents: tuple[Callable[[str], str] | None, Callable[[str], str] | None],
    families: Iterable[str] = FAMILIES,
) -> dict[str, set[Node]]:
    """Per family, the nodes of the cross withheld: the margins as their tables withhold
    them, the nodes resting on 1..n-1 enterprises, and then, until nothing changes, along
    every row, column and parent of the cross: all parts of a withheld node (they add up to
    it), and for a shown node the complement of its hidden parts (as `_one_level`; also
    when one withheld part would stand alone, and passing over parts known another way).
    A node's fate depends only on nodes at its levels or coarser, so the crosses that stop
    at a coarser level decide their nodes alike. A work list revisits only the partitions
    a newly withheld node is in."""
    partitions = _partitions(nodes, parents)
    touching: dict[Node, list[int]] = {}  # node → the partitions it is the total or a part of
    for i, (total, parts) in enumerate(partitions):
        for node in (total, *parts):
            touching.setdefault(node, []).append(i)
    hidden: dict[str, set[Node]] = {}
    for family in families:
        withheld = {node for node in margins.get(family, ()) if node in nodes}
        hidden[family] = _cross_family(nodes, n, partitions, touching, withheld, family)
    return hidden


def _cross_family(
    nodes: dict[Node, Sizes],
    n: int,
    partitions: list[tuple[Node, list[Node]]],
    touching: dict[Node, list[int]],
    withheld: set[Node],
    family: str,
) -> set[Node]:
    """`suppress_cross` for one family, from its withheld margins."""
    size = {node: (sizes.distinct(family), sizes.events(family), node)
            for node, sizes in nodes.items()}  # fmt: skip
    # A node that is the only one with enterprises among its parts equals their total:
    # withheld, it would still be known, so it protects nothing.
    pinned = set()
    for _total, parts in partitions:
        alive = [node for node in parts if size[node][0]]
        if len(alive) == 1:
            pinned.add(alive[0])
    ranked = [sorted((p for p in parts if size[p][0]), key=size.__getitem__)
              for _total, parts in partitions]  # fmt: skip
    withheld |= {node for node, (count, _e, _n) in size.items()
                 if node[0][0] and node[1][0] and 0 < count < n}  # fmt: skip

    def complement(i: int) -> list[Node]:
        """The parts to withhold besides those withheld, under a shown total."""
        hid = [p for p in ranked[i] if p in withheld]
        ids: set[int] = set()
        for p in hid:
            ids |= nodes[p].ids.get(family, set())
        more: list[Node] = []
        while len(hid) + len(more) == 1 or 0 < min(len(ids), SKETCH_K) < n:
            free = [p for p in ranked[i] if p not in withheld and p not in more]
            if not free:
                break
            pick = next((p for p in free if p not in pinned), free[0])
            more.append(pick)
            ids |= nodes[pick].ids.get(family, set())
        return more

    queue = deque(range(len(partitions)))
    queued = set(queue)
    while queue:
        i = queue.popleft()
        queued.discard(i)
        total, parts = partitions[i]
        more = [p for p in parts if p not in withheld] if total in withheld else complement(i)
        for node in more:
            withheld.add(node)
            for j in touching[node]:
                if j not in queued:
                    queue.append(j)
                    queued.add(j)
    return withheld


def merged(cells: Iterable[Any], kind: type = Cell) -> Any:
    """One cell of several (the inputs are left as they are)."""
    total = kind()
    for cell in cells:
        total.merge(cell)
    return total


def shown(cell: Cell, withheld: Iterable[str]) -> dict[str, Any]:
    """A row as published: the figures, those of the `withheld` families null;
    `suppressed` when any is, `suppressed_families` naming them."""
    values = figures(cell)
    families = [family for family in FAMILIES if family in set(withheld)]
    for family in families:
        values.update(dict.fromkeys(FAMILY_FIGURES[family]))
    return {
        "suppressed": bool(families),
        "suppressed_families": [FAMILY_NAMES[family] for family in families],
        **values,
    }
