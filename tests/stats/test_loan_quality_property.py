"""Loan-quality suppression, proven on generated data as the lending figures' is
(tests/stats/test_suppression_property.py): no figure shown, and no difference of shown
figures along a hierarchy the page, the API or an export shows, rests on 1 … N-1
enterprises — in each family (the book, the overdue loans, the non-performing loans).

Hypothesis generates a few enterprises (county, division, size), loans of two banks'
products and of open demands, disbursed over three months, each with at most one status
report, and a question (a month and up to two filters). The test asks the services for every
table a user can see: each grouping, the drill-down from each city, section and bank, and
the table one filter up. Which enterprises each row rests on is worked out here from the
generated data (the oracle reads the book its own way: disbursed by the month's end, the
report if dated by then, closed statuses out, overdue = days past due, non-performing =
不良); the attacker's deductions are those of the lending test.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.applications.models import Application
from app.extensions import db
from app.loans.models import Loan, LoanReport
from app.stats import loan_quality
from app.util import SHANGHAI
from tests.stats.conftest import _product

NOW = datetime(2025, 4, 15, 12, 0, tzinfo=SHANGHAI)
COUNTIES = {"610104": "610100", "610113": "610100", "610302": "610300", "610303": "610300"}
DIVISIONS = {"13": "C", "34": "C", "01": "A"}
SIZES = ("micro", "small", "medium")
MONTHS = (202501, 202502, 202503)
KINDS = ("PA1", "PA2", "PB1", "openBA", "openBB")
# (status, days past due) a report may say
REPORTS = (None, ("normal", 0), ("special_mention", 0), ("special_mention", 4),
           ("overdue", 30), ("non_performing", 95), ("non_performing", 0), ("settled", 0),
           ("written_off", 200))  # fmt: skip
POOL = 7
PURPOSE = "质量性质测试"


@dataclass(frozen=True)
class Spec:
    enterprise: int
    kind: str
    month: int  # disbursed on the 10th
    report: tuple[str, int] | None
    report_month: int  # dated the 20th of the disbursement month or later


@dataclass(frozen=True)
class Fact:
    enterprise: int
    county: str
    division: str
    size: str
    bank: str
    product: str  # "" for an open demand
    disbursed: date
    report: tuple[str, int] | None
    reported: date


@dataclass
class World:
    enterprises: list
    banks: dict
    products: dict


@pytest.fixture
def world(factories) -> World:
    banks = {"BA": factories.bank("LQBA", "质量甲银行"), "BB": factories.bank("LQBB", "质量乙银行")}
    products = {
        "PA1": _product(banks["BA"], "甲信用贷", "credit"),
        "PA2": _product(banks["BA"], "甲抵押贷", "collateral"),
        "PB1": _product(banks["BB"], "乙担保贷", "guarantee"),
    }
    return World([factories.enterprise() for _ in range(POOL)], banks, products)


def _day(month: int, day: int) -> date:
    return date(month // 100, month % 100, day)


def _store(world: World, places: list, specs: list[Spec]) -> list[Fact]:
    for i, (_county, _division, size) in enumerate(places):
        world.enterprises[i].size = size
    facts = []
    for spec in specs:
        county, division, size = places[spec.enterprise]
        enterprise = world.enterprises[spec.enterprise]
        if spec.kind.startswith("open"):
            product, bank = None, world.banks[spec.kind[4:]]
        else:
            product = world.products[spec.kind]
            bank = world.banks["BA" if spec.kind.startswith("PA") else "BB"]
        disbursed = _day(spec.month, 10)
        when = datetime(2025, 1, 2, 10, tzinfo=SHANGHAI)
        app = Application(
            enterprise_id=enterprise.id, product_id=product.id if product else None,
            bank_id=bank.id, state="disbursed", amount=Decimal(100000), term_months=12,
            purpose=PURPOSE, submitted_at=when, accepted_at=when, decided_at=when,
            approved_amount=Decimal(100000), approved_rate=Decimal("4.5"),
            approved_term_months=12, disbursed_amount=Decimal(100000), disbursed_on=disbursed,
            version=1, created_at=when, updated_at=when, region_code=county,
            industry_section=DIVISIONS[division], industry_division=division,
        )  # fmt: skip
        db.session.add(app)
        db.session.flush()
        loan = Loan(
            application_id=app.id, enterprise_id=enterprise.id, bank_id=bank.id,
            principal=Decimal(100000), term_months=12, disbursed_on=disbursed,
            maturity_on=date(2026, 1, 10), repayment="bullet", status="normal",
            days_past_due=0, outstanding=Decimal(100000),
        )  # fmt: skip
        db.session.add(loan)
        db.session.flush()
        reported = _day(max(spec.month, spec.report_month), 20)
        if spec.report:
            status, dpd = spec.report
            closed = status in ("settled", "written_off")
            db.session.add(LoanReport(
                loan_id=loan.id, as_of=reported, status=status, days_past_due=dpd,
                outstanding=Decimal(0 if closed else 80000), origin="web",
            ))  # fmt: skip
        facts.append(Fact(spec.enterprise, county, division, size, str(bank.id),
                          str(product.id) if product else "", disbursed, spec.report,
                          reported))  # fmt: skip
    db.session.flush()
    return facts


# --- nodes: the loans matching a set of constraints, and who they rest on -----------------


@dataclass(frozen=True)
class Node:
    place: tuple[str, str] | None = None
    industry: tuple[str, str] | None = None
    bank: tuple[str, str] | None = None  # ("bank", id) | ("product", id) | ("open", bank id)
    size: str | None = None

    def refine(self, **parts) -> Node:
        values = {**self.__dict__, **parts}
        return Node(**values)


def _matches(fact: Fact, node: Node) -> bool:
    if node.place:
        level, code = node.place
        if (fact.county[:4] + "00" if level == "city" else fact.county) != code:
            return False
    if node.industry:
        level, code = node.industry
        if (DIVISIONS[fact.division] if level == "section" else fact.division) != code:
            return False
    if node.bank:
        level, key = node.bank
        if level == "bank" and fact.bank != key:
            return False
        if level == "product" and fact.product != key:
            return False
        if level == "open" and (fact.product or fact.bank != key):
            return False
    return node.size is None or fact.size == node.size


def enterprises(facts: list[Fact], node: Node, family: str, day: date) -> frozenset[int]:
    found = set()
    for fact in facts:
        if fact.disbursed > day or not _matches(fact, node):
            continue
        status, dpd = fact.report if fact.report and fact.reported <= day else ("normal", 0)
        if status in ("settled", "written_off"):
            continue
        if (
            family == "book"
            or (family == "overdue" and dpd > 0)
            or (family == "npl" and status == "non_performing")
        ):
            found.add(fact.enterprise)
    return frozenset(found)


# --- the tables a user can see ------------------------------------------------------------


@dataclass
class Table:
    total: Node
    rows: dict[Node, set[str]]
    total_withheld: set[str]
    partitions: list[tuple[Node, list[Node]]]


def _base(args: dict, codes: dict) -> Node:
    node = Node()
    if place := args.get("place"):
        node = node.refine(place=("county" if place in COUNTIES else "city", place))
    if industry := args.get("industry"):
        node = node.refine(industry=("division" if industry in DIVISIONS else "section", industry))
    if bank := args.get("bank"):
        node = node.refine(bank=("bank", codes[bank]))
    if size := args.get("size"):
        node = node.refine(size=size)
    return node


def _table(group_by: str, month: int, args: dict, world: World, decided: dict) -> Table:
    query = loan_quality.parse_query({"group_by": group_by, "month": _label(month), **args}, NOW)
    summary = loan_quality.summarize(query, decided=decided)
    codes = {b.code: str(b.id) for b in world.banks.values()}
    base = _base(args, codes)
    names = {name: family for family, name in loan_quality.FAMILY_NAMES.items()}
    rows: dict[Node, set[str]] = {}
    parents: dict[Node, list[Node]] = {}
    for row in summary.rows:
        key = row["key"]
        if group_by in ("city", "county"):
            node = base.refine(place=(group_by, key or ""))
        elif group_by in ("section", "division"):
            node = base.refine(industry=(group_by, key or ""))
        elif group_by == "bank":
            node = base.refine(bank=("bank", codes[key]))
        elif group_by == "size":
            node = base.refine(size=key or "")
        elif key is not None:
            node = base.refine(bank=("product", key))
        else:
            node = base.refine(bank=("open", codes[row["bank"]]))
        rows[node] = {names[name] for name in row["suppressed_families"]}
        parent = None
        if group_by == "county":
            parent = node.refine(place=("city", node.place[1][:4] + "00"))
        elif group_by == "division":
            parent = node.refine(industry=("section", DIVISIONS[node.industry[1]]))
        elif group_by == "product":
            parent = node.refine(bank=("bank", codes[row["bank"]]))
        if parent is not None:
            parents.setdefault(parent, []).append(node)
    withheld = {names[name] for name in summary.totals["suppressed_families"]}
    return Table(base, rows, withheld, [(base, list(rows)), *parents.items()])


def _label(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def views(month: int, args: dict, world: World) -> list[Table]:
    decided: dict = {}
    tables = [_table(g, month, args, world, decided) for g in loan_quality.GROUPINGS]
    by = {g: tables[loan_quality.GROUPINGS.index(g)] for g in ("city", "section", "bank")}
    drills = {"city": ("county", "place"), "section": ("division", "industry"),
              "bank": ("product", "bank")}  # fmt: skip
    codes = {str(b.id): b.code for b in world.banks.values()}
    for group_by, (child, param) in drills.items():
        for node in by[group_by].rows:
            value = {"city": node.place, "section": node.industry, "bank": node.bank}[group_by]
            key = value[1] if group_by != "bank" else codes.get(value[1])
            if not key or args.get(param) not in (None, key):
                continue
            tables.append(_table(child, month, {**args, param: key}, world, decided))
    up = {"place": ("county", "city"), "industry": ("division", "section"), "bank": ("bank",),
          "size": ("size",)}  # fmt: skip
    for param, levels in up.items():
        if value := args.get(param):
            fine = value in COUNTIES or value in DIVISIONS or param in ("bank", "size")
            rest = {k: v for k, v in args.items() if k != param}
            tables.append(_table(levels[0] if fine else levels[-1], month, rest, world, decided))
    return tables


def leaks(tables: list[Table], facts: list[Fact], n: int, day: date) -> list[str]:
    problems = []
    for family in loan_quality.FAMILIES:
        known: set[Node] = set()
        for table in tables:
            if family not in table.total_withheld:
                known.add(table.total)
            known |= {node for node, withheld in table.rows.items() if family not in withheld}
        partitions = [p for t in tables for p in t.partitions]
        sums: set[frozenset[Node]] = set()
        changed = True
        while changed:
            changed = False
            for parent, parts in partitions:
                unknown = frozenset(p for p in parts if p not in known)
                if parent in known and unknown:
                    sums.add(unknown)
                    if len(unknown) == 1:
                        known |= unknown
                        changed = True
                if not unknown and parent not in known:
                    known.add(parent)
                    changed = True

        def rests_on(nodes, family=family) -> int:
            return len(frozenset().union(*(enterprises(facts, x, family, day) for x in nodes)))

        for node in known:
            if 0 < (count := rests_on([node])) < n:
                problems.append(f"{family}: {node} shown or worked out, on {count}")
        for parts in sums:
            if 0 < (count := rests_on(parts)) < n:
                problems.append(f"{family}: a total minus its shown parts {set(parts)}, on {count}")
    return problems


specs = st.lists(
    st.builds(
        Spec,
        enterprise=st.integers(0, POOL - 1),
        kind=st.sampled_from(KINDS),
        month=st.sampled_from(MONTHS),
        report=st.sampled_from(REPORTS),
        report_month=st.sampled_from(MONTHS),
    ),
    min_size=1,
    max_size=14,
)
places = st.lists(
    st.tuples(
        st.sampled_from(sorted(COUNTIES)),
        st.sampled_from(sorted(DIVISIONS)),
        st.sampled_from(SIZES),
    ),
    min_size=POOL,
    max_size=POOL,
)
questions = st.fixed_dictionaries(
    {},
    optional={
        "place": st.sampled_from(["610100", "610300", "610104", "610302"]),
        "industry": st.sampled_from(["C", "A", "13"]),
        "bank": st.sampled_from(["LQBA", "LQBB"]),
        "size": st.sampled_from(["micro", "small"]),
    },
).filter(lambda q: len(q) <= 2)


def _cleanup() -> None:
    ids = select(Application.id).where(Application.purpose == PURPOSE)
    loans = select(Loan.id).where(Loan.application_id.in_(ids))
    db.session.execute(delete(LoanReport).where(LoanReport.loan_id.in_(loans)))
    db.session.execute(delete(Loan).where(Loan.application_id.in_(ids)))
    db.session.execute(delete(Application).where(Application.purpose == PURPOSE))
    db.session.flush()


# 30 examples by default; XYD_PROPERTY_EXAMPLES=500 for a longer search.
@settings(max_examples=int(os.environ.get("XYD_PROPERTY_EXAMPLES", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(places=places, specs=specs, question=questions, month=st.sampled_from(MONTHS),
       n=st.sampled_from([2, 3]))  # fmt: skip
def test_nothing_shown_or_worked_out_rests_on_too_few(app, world, places, specs, question,
                                                       month, n):  # fmt: skip
    app.config["STATS_MIN_ENTERPRISES"] = n
    try:
        facts = _store(world, places, specs)
        day = _day(month, calendar.monthrange(month // 100, month % 100)[1])
        problems = leaks(views(month, question, world), facts, n, day)
        assert not problems, (question, month, n, problems[:5])
    finally:
        app.config["STATS_MIN_ENTERPRISES"] = 3
        _cleanup()


def test_the_check_finds_primary_suppression_leaking(world, monkeypatch):
    """Two counties of 西安 with one and three borrowers: hiding the small county alone
    leaves 西安 minus the other county showing it."""
    places = [("610104", "13", "small"), *[("610113", "13", "small")] * 3,
              *[("610302", "01", "micro")] * 3]  # fmt: skip
    specs = [Spec(e, "PA1", 202501, None, 202501) for e in range(POOL)]
    facts = _store(world, places, specs)
    day = date(2025, 1, 31)
    assert not leaks(views(202501, {}, world), facts, 3, day)

    def primary_only(cells, n, *, parent_of=None, whole=(), families=()):
        return {f: {k for k in cells if 0 < cells[k].distinct(f) < n}
                | (set(cells) if f in whole else set()) for f in families}  # fmt: skip

    monkeypatch.setattr(loan_quality, "suppress", primary_only)
    assert any("book" in leak for leak in leaks(views(202501, {}, world), facts, 3, day))
