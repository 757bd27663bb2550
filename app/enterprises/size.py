"""Enterprise size by the national standard (工信部联企业〔2011〕300号, 中小企业划型标准规定).

The standard sorts an enterprise into large, medium, small or micro by its industry and one
or two of: employees (从业人员, persons), operating revenue (营业收入, 万元) and total assets
(资产总额, 万元). `RULES` is its table, one row per industry group, kept as data; `size_of`
is the one function that reads it. Its reading of the standard:

- large, medium and small must meet *every* lower bound of their row, otherwise the
  enterprise drops one tier (下划一档); micro needs only one figure below the small bounds;
- so: one known figure below the small bound → micro, whatever else is unknown; otherwise
  every figure the row names must be known, and the size is the highest tier all of them
  reach;
- the industry group comes from the GB/T 4754-2017 code the registry holds (a section
  letter, or a code of two to four digits): the longest prefix in the table wins. 物业管理
  is 702x; any other code of division 70 (房地产业), the bare "70" included, is read as
  房地产开发经营 (7010), the bulk of the division's borrowers. A section letter that spans
  several groups (F, G, H, I, K) decides nothing.

The registry's declared size (企业规模, `Enterprise.scale`) is kept beside the computed one
(`Enterprise.size`); `facts` gives both and whether they disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from flask_babel import lazy_gettext as _l


class Size(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


SIZES: tuple[str, ...] = tuple(s.value for s in Size)  # smallest first
SIZE_LABELS = {
    Size.MICRO: _l("微型"),
    Size.SMALL: _l("小型"),
    Size.MEDIUM: _l("中型"),
    Size.LARGE: _l("大型"),
}


def size_label(code: str | None) -> str:
    """A size in the reader's language ("—" when unknown): never micro/small on a page."""
    return str(SIZE_LABELS[Size(code)]) if code in SIZES else "—"


# Small and micro enterprises (小微企业): what credit policies and the fund mean by "small".
SMALL_AND_MICRO = frozenset({Size.SMALL.value, Size.MICRO.value})

EMPLOYEES, REVENUE, ASSETS = "employees", "revenue", "total_assets"
METRIC_LABELS = {
    EMPLOYEES: _l("从业人员（人）"),
    REVENUE: _l("营业收入（万元）"),
    ASSETS: _l("资产总额（万元）"),
}


@dataclass(frozen=True)
class SizeRule:
    group: str
    label: object  # lazy msgid
    codes: tuple[str, ...]  # GB/T 4754 code prefixes (section letters or divisions)
    metrics: tuple[str, ...]
    # The lower bounds of large, medium and small, one tuple per tier, in `metrics` order.
    large: tuple[int, ...]
    medium: tuple[int, ...]
    small: tuple[int, ...]

    def bounds(self) -> tuple[tuple[Size, tuple[int, ...]], ...]:
        return ((Size.LARGE, self.large), (Size.MEDIUM, self.medium), (Size.SMALL, self.small))


def _divisions(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{n:02d}" for n in range(first, last + 1))


E, R, A = EMPLOYEES, REVENUE, ASSETS
RULES: tuple[SizeRule, ...] = (
    SizeRule("agriculture", _l("农、林、牧、渔业"), ("A", *_divisions(1, 5)), (R,),
             (20000,), (500,), (50,)),
    SizeRule("industry", _l("工业"), ("B", "C", "D", *_divisions(6, 46)), (E, R),
             (1000, 40000), (300, 2000), (20, 300)),
    SizeRule("construction", _l("建筑业"), ("E", *_divisions(47, 50)), (R, A),
             (80000, 80000), (6000, 5000), (300, 300)),
    SizeRule("wholesale", _l("批发业"), ("51",), (E, R), (200, 40000), (20, 5000), (5, 1000)),
    SizeRule("retail", _l("零售业"), ("52",), (E, R), (300, 20000), (50, 500), (10, 100)),
    # 交通运输业 excludes railways (53), which falls to the last row.
    SizeRule("transport", _l("交通运输业"), _divisions(54, 58), (E, R),
             (1000, 30000), (300, 3000), (20, 200)),
    SizeRule("warehousing", _l("仓储业"), ("59",), (E, R), (200, 30000), (100, 1000), (20, 100)),
    SizeRule("postal", _l("邮政业"), ("60",), (E, R), (1000, 30000), (300, 2000), (20, 100)),
    SizeRule("accommodation", _l("住宿业"), ("61",), (E, R), (300, 10000), (100, 2000), (10, 100)),
    SizeRule("catering", _l("餐饮业"), ("62",), (E, R), (300, 10000), (100, 2000), (10, 100)),
    SizeRule("telecoms", _l("信息传输业"), ("63", "64"), (E, R),
             (2000, 100000), (100, 1000), (10, 100)),
    SizeRule("software", _l("软件和信息技术服务业"), ("65",), (E, R),
             (300, 10000), (100, 1000), (10, 50)),
    SizeRule("property_management", _l("物业管理"), ("702",), (E, R),
             (1000, 5000), (300, 1000), (100, 500)),
    SizeRule("real_estate", _l("房地产开发经营"), ("70",), (R, A),
             (200000, 10000), (1000, 5000), (100, 2000)),
    SizeRule("leasing", _l("租赁和商务服务业"), ("L", "71", "72"), (E, A),
             (300, 120000), (100, 8000), (10, 100)),
    SizeRule("other", _l("其他未列明行业"), ("",), (E,), (300,), (100,), (10,)),
)  # fmt: skip
# Sections whose divisions fall into different rows: a section-only code decides nothing.
_MIXED_SECTIONS = frozenset("FGHIK")


@lru_cache(maxsize=4096)
def rule_for(industry_code: str | None) -> SizeRule | None:
    """The row of the standard for a GB/T 4754 code: the longest prefix that names it."""
    if not industry_code:
        return None
    if industry_code in _MIXED_SECTIONS:
        return None
    best: tuple[int, SizeRule] | None = None
    for rule in RULES:
        for prefix in rule.codes:
            if industry_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rule)
    return best[1] if best else None


def size_of(
    industry_code: str | None,
    employees: int | None,
    revenue: Decimal | None,
    total_assets: Decimal | None,
) -> str | None:
    """The size by the standard, or None when the industry or a needed figure is unknown."""
    rule = rule_for(industry_code)
    if rule is None:
        return None
    known = {EMPLOYEES: employees, REVENUE: revenue, ASSETS: total_assets}
    values = [known[m] for m in rule.metrics]
    if any(v is not None and v < low for v, low in zip(values, rule.small, strict=True)):
        return Size.MICRO.value
    if any(v is None for v in values):
        return None
    for tier, lows in rule.bounds():
        if all(v >= low for v, low in zip(values, lows, strict=True)):  # type: ignore[operator]
            return tier.value
    return Size.MICRO.value  # unreachable: the small bounds were met above
