"""Every headed table on a page gets its cells labelled by their columns, for the phone's
card layout (app/tables.py through the base template)."""

from __future__ import annotations

import re

from app.tables import label_cells


def _labels(html: str) -> list[str | None]:
    cells = re.findall(r"<t[dh]\b([^>]*)>", html.split("</thead>")[-1])
    return [m.group(1) if (m := re.search(r'data-label="([^"]*)"', c)) else None for c in cells]


def test_body_and_footer_cells_take_their_columns_header_text():
    html = label_cells(
        '<table class="stats-table"><thead><tr><th scope="col">分组</th><th>金额 <abbr>¥</abbr></th>'
        '<th>A &amp; B</th><th>笔数</th></tr></thead><tbody><tr><th scope="row">西安</th><td>1</td>'
        "<td>2</td><td>3</td></tr></tbody><tfoot><tr><th>合计</th><td>1</td><td>2</td><td>3</td>"
        "</tr></tfoot></table>"
    )
    assert _labels(html) == ["分组", "金额 ¥", "A &amp; B", "笔数"] * 2
    assert '<table class="stats-table reflow">' in html


def test_a_table_of_two_or_three_columns_stays_a_table():
    html = label_cells(
        "<table><thead><tr><th>维度</th><th>权重</th><th>得分</th></tr></thead>"
        "<tbody><tr><td>经营能力</td><td>20%</td><td>75.7</td></tr></tbody></table>"
    )
    assert _labels(html) == ["维度", "权重", "得分"]
    assert "reflow" not in html


def test_spans_shift_the_columns_and_a_spanning_cell_has_no_label():
    html = label_cells(
        "<table><thead><tr><th>指标</th><th>区间</th><th>分值</th></tr></thead><tbody>"
        '<tr><td rowspan="2">纳税</td><td>高</td><td>10</td></tr><tr><td>低</td><td>0</td></tr>'
        '<tr><td colspan="3">未配置</td></tr><tr><td>x</td><td colspan="2">y</td></tr></tbody></table>'
    )
    assert _labels(html) == ["指标", "区间", "分值", "区间", "分值", None, "指标", None]


def test_tables_without_a_head_and_cells_already_labelled_are_left_alone():
    plain = "<table><tr><th>名称</th><td>甲</td></tr></table>"
    assert label_cells(plain) == plain
    labelled = (
        '<table class="reflow"><thead><tr><th>期次</th></tr></thead>'
        '<tbody><tr><td data-label="第几期">1</td></tr></tbody></table>'
    )
    assert label_cells(labelled) == labelled


def test_a_table_inside_a_cell_has_its_own_columns():
    html = label_cells(
        "<table><thead><tr><th>外</th><th>外二</th></tr></thead><tbody><tr><td>"
        "<table><thead><tr><th>内</th></tr></thead><tbody><tr><td>i</td></tr></tbody></table>"
        "</td><td>o</td></tr></tbody></table>"
    )
    assert re.findall(r'data-label="([^"]*)"', html) == ["外", "内", "外二"]


def test_every_page_passes_through_it(login_as):
    """The base template labels the tables of any page: the sessions on the settings page."""
    web, _user = login_as("enterprise")
    page = web.get("/account/settings").get_data(as_text=True)
    assert '<td data-label="登录时间">' in page
    assert '<table class="reflow">' in page
