"""`flask scorecards …` and the public /scorecards page."""

from __future__ import annotations

import json

from app.extensions import db
from app.scoring import services


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["scorecards", *args])


def test_list_and_show(app):
    listed = _run(app, "list")
    assert listed.exit_code == 0
    assert "v1" in listed.output and "active" in listed.output

    shown = _run(app, "show", "1")
    assert shown.exit_code == 0
    assert "遵纪守法" in shown.output and "AAA≥900" in shown.output
    assert "BLACK_LIST → at most C" in shown.output

    missing = _run(app, "show", "9")
    assert missing.exit_code == 1 and "不存在" in missing.output


def test_export_edit_import_and_activate_round_trip(app, tmp_path, factories):
    admin = factories.user("admin", email="ops@example.test")
    db.session.commit()
    exported = json.loads(_run(app, "show", "1", "--json").output)
    exported["name"] = "第二版：加重履约"
    dims = exported["definition"]["dimensions"]
    dims[0]["weight"], dims[1]["weight"] = 0.15, 0.30
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")

    imported = _run(app, "import", str(path), "--by", "ops@example.test")
    assert imported.exit_code == 0, imported.output
    assert "imported v2 (draft): 第二版：加重履约" in imported.output
    assert services.get_version(2).created_by_id == admin.id

    activated = _run(app, "activate", "2")
    assert activated.exit_code == 0 and "v2 is now active" in activated.output
    assert services.active_scorecard().version == 2
    again = _run(app, "activate", "2")
    assert again.exit_code == 1 and "已是生效版本" in again.output


def test_import_refuses_a_bad_file_and_stores_nothing(app, tmp_path, v1_definition):
    broken = dict(v1_definition, grades=[])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    result = _run(app, "import", str(path), "--activate")
    assert result.exit_code == 1
    assert "grades" in result.output and "至少需要一个等级" in result.output

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    result = _run(app, "import", str(garbage))
    assert result.exit_code == 1 and "cannot read" in result.output
    assert [c.version for c in services.list_versions()] == [1]


def test_import_by_a_non_admin_is_refused(app, tmp_path, v1_definition, factories):
    factories.user("regulator", email="office@example.test")
    db.session.commit()
    path = tmp_path / "v.json"
    path.write_text(json.dumps(v1_definition), encoding="utf-8")  # a bare definition
    result = _run(app, "import", str(path), "--by", "office@example.test")
    assert result.exit_code == 1 and "无权" in result.output


def test_anyone_can_read_the_active_scorecard(web):
    page = web.get("/scorecards")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("信用评分卡", "第1版", "现行版本", "遵纪守法", "监管风险", "20%", "25%"):
        assert text in html
    assert "AAA" in html and "≥ 900" in html
    assert "被列入严重失信主体名单 → 最高 C" in html  # the cap in words
    assert "95%" in html  # ratio cut-offs shown as percentages
    assert "按该规则的中性分计入" in html
    # figures as people write them, words instead of codes, no repository path
    assert "1,000,000" in html and "e+0" not in html
    assert "近36个月罚款金额较大" in html
    for code in ("BLACK_LIST", "PENALTY_AMOUNT", "penalty_amount", "compliance", "docs/"):
        assert code not in html, code


def test_previous_versions_stay_readable(web, v1_definition):
    d = json.loads(json.dumps(v1_definition))
    d["dimensions"][0]["weight"], d["dimensions"][1]["weight"] = 0.15, 0.30
    services.create_version(d, user_id=None, name="第二版")
    services.activate(2, user_id=None)
    db.session.commit()

    html = web.get("/scorecards").get_data(as_text=True)
    assert "第2版" in html and "30%" in html and "已停用" in html
    old = web.get("/scorecards/1")
    assert old.status_code == 200
    assert "已停用" in old.get_data(as_text=True)
    assert web.get("/scorecards/77").status_code == 404


def test_the_page_speaks_english_on_request(web):
    html = web.get("/scorecards", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Compliance" in html and "Regulatory risk" in html and "Excellent" in html
