"""Lists that grow without end, read a page at a time.

A page on the web shows `PER_PAGE` rows with a pager (`_macros.html`, `pager`); a list of
the API reads a window (`api.schemas.Paged`). Neither stops silently at some number of rows,
and neither loads the rows it does not show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select

from app.extensions import db

T = TypeVar("T")

PER_PAGE = 20


def page_of(total: int, page: int, per_page: int) -> tuple[int, int]:
    """(the page to show, how many pages) of `total` rows shown `per_page` at a time: a page
    asked for before the first or past the last shows the first or the last."""
    pages = max(1, -(-total // per_page))
    return min(max(1, page), pages), pages


@dataclass
class Page(Generic[T]):
    """One page of a list: its rows, which page it is of how many, and the rows in all."""

    rows: list[T]
    page: int
    pages: int
    total: int


def read_window(
    fetch: Callable[[int, int], list[T]], limit: int, offset: int
) -> tuple[list[T], bool]:
    """`limit` rows from `offset`, read by `fetch(limit, offset)` one row past the window,
    and whether more follow: for a list too long to count on every view (the access log)."""
    rows = fetch(limit + 1, offset)
    return rows[:limit], len(rows) > limit


def asked_page(param: str = "page") -> int:
    """The page the request asks for (`?page=`, or `param` for a second list on a page; the
    first when absent or not a number)."""
    return request.args.get(param, 1, type=int) or 1


def read_page(
    query: Select[Any], page: int | None = None, per_page: int = PER_PAGE, *, param: str = "page"
) -> Page:
    """The rows of `query` (ordered) on `page` (the request's `param` when not given):
    counted, then read `per_page` from where the page begins. A query of one entity gives
    its objects, of several their rows (tuples)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    shown, pages = page_of(total or 0, asked_page(param) if page is None else page, per_page)
    window = query.limit(per_page).offset((shown - 1) * per_page)
    one = len(query.column_descriptions) == 1
    rows = list(db.session.scalars(window) if one else db.session.execute(window))
    return Page(rows, shown, pages, total or 0)
