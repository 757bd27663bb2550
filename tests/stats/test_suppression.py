"""Groups resting on fewer enterprises than the minimum are hidden, and so is a second
group where the total would otherwise give the hidden one away."""

from __future__ import annotations

from app.extensions import db
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


def test_each_family_is_withheld_on_its_own(lending):
    months = _rows(_summary("month"))
    jan = months["2025-01"]
    # January: 4 applicants and 4 deciders (E1-E4), but one borrower (E1): its demand and
    # decisions are shown, its disbursements withheld
    assert jan["suppressed"] is True and jan["suppressed_families"] == ["disbursements"]
    assert (jan["demand_count"], jan["demand_amount"], jan["open_demands"]) == (4, "650000.00", 1)
    assert (jan["accepted"], jan["approved"], jan["rejected"]) == (4, 3, 1)
    assert all(jan[name] is None for name in suppression.FAMILY_FIGURES["borrowers"])
    # February and March rest on two enterprises or fewer in every family
    for month in ("2025-02", "2025-03"):
        assert months[month]["suppressed_families"] == ["demand", "decisions", "disbursements"]
        assert all(months[month][name] is None for name in suppression.FIGURES)
    # the quarter: 5 applicants, 5 deciders, 3 borrowers (E1, E2, E4)
    assert _summary("month").totals["suppressed_families"] == []


def test_a_table_of_two_rows_withholds_both(lending):
    cities = _rows(_summary("city"))
    # 宝鸡 rests on two applicants, two deciders, one borrower; 西安 would be the total minus
    # 宝鸡, so it goes too (its own two borrowers would have anyway)
    for city in ("610100", "610300"):
        assert cities[city]["suppressed_families"] == ["demand", "decisions", "disbursements"]
    # the totals are shown, and the counties of a withheld city are withheld with it
    counties = _rows(_summary("county"))
    assert all(row["suppressed_families"] == ["demand", "decisions", "disbursements"]
               for row in counties.values())  # fmt: skip


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
    # 莲湖区 (610104): E3 alone applied and was decided: withheld. 西安 minus 雁塔区 (610113,
    # E1 and E2, fine on its own) would be 莲湖区: 雁塔区's demand and decisions go too.
    assert counties["610104"]["demand_count"] is None and counties["610104"]["accepted"] is None
    assert counties["610113"]["demand_count"] is None and counties["610113"]["accepted"] is None
    assert not suppression.small(_cell_of("610113"), "applicants", 2)
    # Disbursements: 宝鸡 has one borrower (E4), so the city table withholds it and 西安 (the
    # total minus 宝鸡); the counties of both then withhold theirs (they add up to them).
    cities = _rows(_summary("city"))
    assert cities["610100"]["suppressed_families"] == ["disbursements"]
    assert cities["610300"]["suppressed_families"] == ["disbursements"]
    assert all(row["disbursed_amount"] is None for row in counties.values())
    # 渭滨区 (610302): two applicants (E4, E5), two deciders: shown
    assert counties["610302"]["suppressed_families"] == ["disbursements"]
    assert counties["610302"]["demand_count"] == 3
    # The drill-down (西安's counties) withholds exactly what the county table does.
    drill = _rows(_summary("county", place="610100"))
    for county in ("610104", "610113"):
        assert drill[county]["suppressed_families"] == counties[county]["suppressed_families"]
    assert _summary("county", place="610100").totals["suppressed_families"] == ["disbursements"]


def _cell_of(county):
    query = services.parse_query({"group_by": "county", "from": "2025-01", "to": "2025-03"}, NOW)
    return services.cells_for(query, now=NOW).by_key[county]


def test_suppression_rule_unit():
    from app.stats.queries import Cell

    big = Cell(demand_count=5, applicants=[1, 2, 3])
    small = Cell(demand_count=1, applicants=[4])
    mid = Cell(demand_count=2, applicants=[5, 6, 7])
    hidden = suppression.suppress({"a": big, "b": small, "c": mid}, 3)
    assert hidden["applicants"] == {"b", "c"}  # c is smaller than a
    assert hidden["deciders"] == hidden["borrowers"] == set()
    assert suppression.suppress({"a": big, "c": mid}, 3)["applicants"] == set()
    assert suppression.small(Cell(), "applicants", 3) is False  # nothing reveals nobody
    # a family withheld from the total is withheld from every group
    assert suppression.suppress({"a": big, "c": mid}, 3, whole=["applicants"])["applicants"] == {
        "a",
        "c",
    }
    # children: x1 and x2 (one applicant each) under x; y1 alone under y. The parents' table
    # hides y (one applicant) and x with it; then all their children.
    cells = {"x1": Cell(applicants=[1]), "x2": Cell(applicants=[2]), "x3": Cell(applicants=[3, 4, 5]),
             "y1": Cell(applicants=[6])}  # fmt: skip
    parent = {"x1": "x", "x2": "x", "x3": "x", "y1": "y"}.get
    assert suppression.suppress(cells, 3, parent_of=parent)["applicants"] == set(cells)
    # with y resting on three, x's two small children need a third: x3
    cells["y1"] = Cell(applicants=[6, 7, 8])
    assert suppression.suppress(cells, 3, parent_of=parent)["applicants"] == {"x1", "x2", "x3"}


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


def test_two_hidden_siblings_do_not_show_as_their_parent_minus_the_third(factories):
    """西安's counties 莲湖 and 雁塔 rest on one applicant each, 未央 on three; 宝鸡's 渭滨 on
    one, 金台 on three. The three small counties together rest on three enterprises, so the
    table as a whole is safe — but 西安 (shown in the city table) minus 未央 would be the
    two small counties of 西安 together: two enterprises."""
    from tests.stats.conftest import at, demand

    counts = {"610104": 1, "610113": 1, "610112": 3, "610302": 1, "610303": 3}
    for county, count in counts.items():
        for _ in range(count):
            demand(factories.enterprise(region_code=county), at(1, 6))
    db.session.flush()
    cities, counties = _rows(_summary("city")), _rows(_summary("county"))
    assert cities["610100"]["demand_count"] == 5  # 西安: five applicants, shown
    assert counties["610104"]["demand_count"] is None  # one applicant each: hidden
    assert counties["610113"]["demand_count"] is None
    assert counties["610302"]["demand_count"] is None
    # 西安 − 未央 = 莲湖 + 雁塔 (two enterprises): 未央 must go too
    assert counties["610112"]["demand_count"] is None
    # and so must 金台, or 宝鸡 − 金台 = 渭滨
    assert counties["610303"]["demand_count"] is None


def test_a_cross_is_decided_as_one_table():
    """Place × bank, N=3. Row 西安: bank A (three applicants) and bank B (one); row 宝鸡:
    bank A (three), bank C (three). Bank B's cell is small; the row hides A's with it, and
    then A's column, where 西安's cell would stand alone as A's total minus 宝鸡's, hides
    宝鸡's too — which its row protects by hiding C's."""
    from app.stats.queries import Cell

    def c(*ids):
        return Cell(demand_count=len(ids), applicants=list(ids))

    cells = {("xa", "A"): c(1, 2, 3), ("xa", "B"): c(4), ("bj", "A"): c(5, 6, 7),
             ("bj", "C"): c(8, 9, 10)}  # fmt: skip
    nodes = suppression.cross_nodes(cells, (None, None))
    hidden = suppression.suppress_cross(nodes, 3, {}, (None, None), families=["applicants"])
    assert {(a[1], b[1]) for a, b in hidden["applicants"]} == set(cells)
    # the row alone (one table, decided by itself) would have shown 宝鸡's A
    assert suppression.suppress({"A": c(5, 6, 7), "C": c(8, 9, 10)}, 3)["applicants"] == set()


def test_a_cell_that_equals_its_column_does_not_protect_its_row():
    """Bank A lends only in 西安 (its column total is 西安's cell): hiding 西安's A cell to
    protect B's would protect nothing; 西安's D cell is hidden instead."""
    from app.stats.queries import Cell

    def c(*ids):
        return Cell(demand_count=len(ids), applicants=list(ids))

    cells = {("xa", "A"): c(1, 2, 3), ("xa", "B"): c(4), ("xa", "D"): c(5, 6, 7, 8),
             ("bj", "D"): c(9, 10, 11)}  # fmt: skip
    nodes = suppression.cross_nodes(cells, (None, None))
    hidden = suppression.suppress_cross(nodes, 3, {}, (None, None), families=["applicants"])
    cells_hidden = {(a[1], b[1]) for a, b in hidden["applicants"]}
    assert ("xa", "A") not in cells_hidden
    assert {("xa", "B"), ("xa", "D"), ("bj", "D")} <= cells_hidden


def test_a_cross_within_one_city_decides_its_cells_as_the_whole_cross():
    """A county's cells are tied only to its city's other counties and to coarser cells:
    `services.decide_cross` given the counties of one city (`within`: and every city's
    coarse cells) gives that city's cells the fate the whole cross gives them, whatever
    the data."""
    import random

    from app.stats.models import AXES
    from app.stats.queries import Cell

    levels = {"place": "county", "bank": "bank"}
    counties = [f"61{c}{k:02d}" for c in ("01", "02", "03") for k in (1, 2, 3)]
    banks = ["1", "2", "3", "4"]

    def decide(cells, within=None):
        return services.decide_cross(levels, AXES, cells, 3, lambda dim: {},
                                     families=["applicants"], within=within)["applicants"]  # fmt: skip

    for seed in range(40):
        rng = random.Random(seed)
        fine = {}
        for county in counties:
            for bank in banks:
                if rng.random() < 0.6:
                    ids = sorted(rng.sample(range(40), rng.choice([1, 1, 2, 3, 5])))
                    fine[(county, bank)] = Cell(demand_count=len(ids), applicants=ids)
        coarse: dict = {}
        for (county, bank), cell in fine.items():
            key = (county[:4] + "00", bank)
            coarse[key] = coarse.get(key, Cell()).merge(cell)
        one_city = {k: v for k, v in fine.items() if k[0].startswith("6102")}
        within = decide(one_city, ("place", coarse))
        whole = decide(fine)
        assert within == {n for n in whole if n[0][0] < 2 or n[0][1].startswith("6102")}, seed
        assert within and any(n[0][0] == 2 for n in within), seed  # the county level decided
