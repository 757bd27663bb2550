"""Groups resting on fewer enterprises than the minimum are hidden, and so is a second
group where the total would otherwise give the hidden one away."""

from __future__ import annotations

from app.stats import services, suppression
from tests.stats.conftest import NOW


def _summary(group_by, **args):
    query = services.parse_query({"group_by": group_by, "from": "2025-01", "to": "2025-03",
                                  **args}, NOW)  # fmt: skip
    return services.summarize(query, now=NOW)


def _rows(summary):
    return {row["key"]: row for row in summary.rows}


def test_default_minimum_is_three(app, lending):
    assert app.config["STATS_MIN_ENTERPRISES"] == 3
    assert services.min_enterprises() == 3


def test_small_groups_are_null_and_flagged(lending):
    rows = _rows(_summary("city"))
    # 西安: 3 applicants (E1-E3), 3 deciders, but 2 borrowers (E1, E2) → hidden
    assert rows["610100"]["suppressed"] is True
    assert all(rows["610100"][name] is None for name in suppression.FIGURES)
    # 宝鸡: 2 applicants → hidden anyway
    assert rows["610300"]["suppressed"] is True
    # the province as a whole: 5 applicants, 4 deciders, 3 borrowers (E1, E2, E4)
    assert _summary("city").totals["suppressed"] is False


def test_one_hidden_group_takes_the_next_smallest_with_it(app, monkeypatch, lending):
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 2)
    rows = _rows(_summary("section"))
    # A: E4 alone → hidden; C is then the only other group: total − C = A, so C goes too
    assert rows["A"]["suppressed"] and rows["C"]["suppressed"]
    banks = _rows(_summary("bank"))
    # nobody's row (the lapsed open demand of E5) is one enterprise: hidden; the smallest
    # other group (STBB: E1, E4) is hidden with it; STBA stays
    assert banks[None]["suppressed"] and banks["STBB"]["suppressed"]
    assert banks["STBA"]["suppressed"] is False
    assert banks["STBA"]["demand_amount"] == "820000.00"


def test_hidden_child_is_not_its_parent_minus_siblings(app, monkeypatch, lending):
    monkeypatch.setitem(app.config, "STATS_MIN_ENTERPRISES", 2)
    counties = _rows(_summary("county"))
    # 莲湖区 (610104): E3 alone → hidden; 渭滨区 (610302): one borrower (E4) → hidden. Together
    # they still have one borrower, so one more goes: 雁塔区 (610113, E1 and E2, fine on its
    # own), the sibling under 西安, whose own row the city table shows.
    assert counties["610104"]["suppressed"] and counties["610302"]["suppressed"]
    assert not suppression.too_small(_cell_of("610113"), 2)
    assert counties["610113"]["suppressed"]


def _cell_of(county):
    query = services.parse_query({"group_by": "county", "from": "2025-01", "to": "2025-03"}, NOW)
    return services.cells_for(query, now=NOW).by_key[county]


def test_suppression_rule_unit():
    from app.stats.queries import Cell

    big = Cell(demand_count=5, applicants=[1, 2, 3])
    small = Cell(demand_count=1, applicants=[4])
    mid = Cell(demand_count=2, applicants=[5, 6, 7])
    hidden = suppression.suppress("city", {"a": big, "b": small, "c": mid}, 3)
    assert hidden == {"b", "c"}  # c is smaller than a
    assert suppression.suppress("city", {"a": big, "c": mid}, 3) == set()
    assert suppression.too_small(Cell(), 3) is False  # nothing at all reveals nobody


def test_sketch_merge_is_exact_below_k():
    from app.stats.queries import SKETCH_K, merge_sketch

    merged = merge_sketch(list(range(0, 20, 2)), list(range(0, 20, 3)))
    assert merged == sorted(set(range(0, 20, 2)) | set(range(0, 20, 3)))[:SKETCH_K]
    assert merge_sketch([1, 5], [1, 2]) == [1, 2, 5]  # 3 distinct, counted once each


def test_a_saturated_sketch_counts_at_least_k():
    from app.stats.queries import SATURATED, SKETCH_K, merge_sketch, parse_sketch

    assert parse_sketch("", SKETCH_K) == list(SATURATED)  # its ids were not read
    assert parse_sketch("9,3,3,5", 3) == [3, 5, 9]  # SQLite keeps every id, unsorted
    assert len(merge := merge_sketch(list(SATURATED), [1, 2])) == SKETCH_K
    assert len(merge_sketch(merge, list(range(100, 120)))) == SKETCH_K
