"""The cells of two axes crossed (place × bank, place × industry, industry × bank), for
suppression (`suppression.suppress_cross`): one cell per pair of keys, with the sketches and
event counts that decide what is withheld. Completed months come from the rollup grain that
holds both axes where there is one (`models.GRAINS`); the others are computed live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.extensions import db
from app.stats.models import AXES, GRAINS, StatsMonthly
from app.stats.queries import (
    Cell,
    Filters,
    cell_of,
    current_month,
    grain_at,
    group_key,
    month_runs,
    period_select,
)
from app.stats.rollup import rolled_months, rollup_select, with_provisional

Pair = tuple[str, str]


def cross_cells(
    levels: Mapping[str, str],
    filters: Filters,
    months: Sequence[int],
    *,
    now: datetime | None = None,
    live_only: bool = False,
) -> dict[Pair, Cell]:
    """Each pair of keys' cell over `months` (up to the current one): `levels` names two
    axes and the level of each; the keys are in `AXES` order and as the groupings of those
    levels key their rows ("" for unknown or none). A cell holds what suppression reads:
    its sketches and event counts (`Cell.EVENT_SUMS`), not the figures shown."""
    axes = [axis for axis in AXES if axis in levels]
    wanted = [m for m in months if m <= current_month(now)]
    grain = grain_at(levels, filters)
    usable = grain in GRAINS and not live_only
    rolled = sorted(rolled_months(wanted)) if usable else []

    def add(cells: dict[Pair, Cell], a: str, b: str, cell: Cell) -> None:
        pair = (group_key(levels[axes[0]], a), group_key(levels[axes[1]], b))
        cells[pair] = cells[pair].merge(cell) if pair in cells else cell

    def read(partial: dict) -> dict[Pair, Cell]:
        # As `services.cells_for`: the current month's completed days from its provisional
        # rollup, the rest live, so that the cross is decided on the cells its tables show.
        cells: dict[Pair, Cell] = {}
        stored = [*rolled, *partial]
        if stored:
            m = StatsMonthly.__table__
            keys = [m.c[axes[0]], m.c[axes[1]]]
            query = rollup_select(grain, keys, filters, stored, days=False, sums=Cell.EVENT_SUMS)
            for row in db.session.execute(query):
                add(cells, str(row[0]), str(row[1]), cell_of(row, Cell.EVENT_SUMS))
        live = [month for month in wanted if month not in stored]
        for first, last in [*month_runs(live), *[(month, month) for month in partial]]:
            query = period_select(
                first, last, levels, filters, since=partial.get(first), sums=Cell.EVENT_SUMS
            )
            for row in db.session.execute(query):
                add(cells, getattr(row, f"g_{axes[0]}"), getattr(row, f"g_{axes[1]}"),
                    cell_of(row, Cell.EVENT_SUMS))  # fmt: skip
        return cells

    return with_provisional([m for m in wanted if m not in rolled] if usable else [], read)
