"""Publicity periods: each tier's window on its boundary days, honoured by every reader (the
bank's view, the score, the facts), the daily expiry and the operator's rule table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.facts import services as facts
from app.facts.records import counts
from app.ingest.models import PublicCreditRecord
from app.ingest.services import ingest_records
from app.profiles.services import latest_profile
from app.publicity import services as publicity
from app.scoring.features import extract_features
from tests.consent.test_guard import grant_query


def _penalty(uscc, ref, decided_on, severity="一般", category="行政处罚"):
    ingest_records(
        "public_credit",
        [{"uscc": uscc, "category": category, "ref_no": ref, "authority": "西安市市场监管局",
          "decided_on": decided_on, "content": "测试", "penalty_amount": "1000",
          "severity": severity}],
        origin="push",
    )  # fmt: skip
    return db.session.scalars(
        select(PublicCreditRecord).where(
            PublicCreditRecord.uscc == uscc, PublicCreditRecord.ref_no == ref
        )
    ).one()


def _fixture_penalty(world) -> PublicCreditRecord:
    return world.record(PublicCreditRecord, ref_no="陕市监罚〔2026〕12号")


def _counts_on(record, day) -> bool:
    found = db.session.scalar(
        select(PublicCreditRecord.id).where(
            PublicCreditRecord.id == record.id, counts("public_credit", PublicCreditRecord, day)
        )
    )
    return found is not None


# --- the window ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "severity", "tier", "shown_from", "shown_until", "repairable_from"),
    [
        ("penalty", "slight", "minor", None, date(2025, 9, 14), date(2025, 6, 15)),
        ("penalty", "minor", "general", date(2025, 6, 15), date(2026, 6, 14), date(2025, 9, 15)),
        ("penalty", "major", "general", date(2025, 6, 15), date(2026, 6, 14), date(2025, 9, 15)),
        ("penalty", None, "general", date(2025, 6, 15), date(2026, 6, 14), date(2025, 9, 15)),
        ("penalty", "severe", "serious", date(2025, 6, 15), date(2028, 6, 14), date(2026, 6, 15)),
        ("black_list", None, "serious", date(2025, 6, 15), date(2028, 6, 14), date(2026, 6, 15)),
    ],
)
def test_the_default_rules_give_each_tier_its_window(
    world, category, severity, tier, shown_from, shown_until, repairable_from
):
    w = publicity.window(category, severity, date(2025, 6, 15))
    assert (w.tier, w.shown_from, w.shown_until, w.repairable_from) == (
        tier, shown_from, shown_until, repairable_from
    )  # fmt: skip


def test_licences_and_the_red_list_are_not_graded(world):
    for category in ("license", "red_list"):
        assert publicity.window(category, None, date(2025, 6, 15)) == publicity.UNGRADED
    assert world.record(PublicCreditRecord, category="license").tier is None


def test_month_ends_are_clamped(world):
    assert publicity.window("penalty", "minor", date(2025, 11, 30)).shown_until == date(
        2026, 11, 29
    )
    leap = publicity.window("black_list", None, date(2024, 2, 29))
    assert (leap.shown_until, leap.repairable_from) == (date(2027, 2, 27), date(2025, 2, 28))
    assert publicity.window("penalty", "minor", date(2025, 8, 31)).repairable_from == date(
        2025, 11, 30
    )


@pytest.mark.parametrize(
    ("severity", "last_day"),
    [("一般", date(2025, 12, 17)), ("严重", date(2027, 12, 17))],
)
def test_a_record_counts_on_its_last_day_and_not_the_day_after(world, severity, last_day):
    record = _penalty(world.enterprise.uscc, "边界-1", "2024-12-18", severity=severity)
    assert record.shown_until == last_day and record.shown_from == date(2024, 12, 18)
    assert not _counts_on(record, date(2024, 12, 17))  # decided the next day
    assert _counts_on(record, date(2024, 12, 18))
    assert _counts_on(record, last_day)
    assert not _counts_on(record, last_day + timedelta(days=1))


def test_a_minor_record_never_counts(world):
    record = _penalty(world.enterprise.uscc, "轻微-1", "2026-11-01", severity="轻微")
    assert (record.tier, record.shown_from) == ("minor", None)
    for day in (date(2026, 11, 1), date(2026, 11, 18), record.shown_until):
        assert not _counts_on(record, day)


# --- every reader honours it -------------------------------------------------------------


def test_an_expired_penalty_reaches_no_bank_and_no_score(api, world, bank):
    the_bank, _officer, token = bank
    expired = _penalty(world.enterprise.uscc, "过期-1", "2025-11-17")  # last day 2026-11-16
    serious = _penalty(world.enterprise.uscc, "严重-1", "2025-11-17", severity="严重")
    black = _penalty(world.enterprise.uscc, "黑名单-1", "2022-11-17", category="严重失信")
    assert black.shown_until == date(2025, 11, 16)
    grant_query(world.enterprise, the_bank, ["public_credit"])
    db.session.commit()
    body = api.get(f"/api/v1/enterprises/{world.enterprise.uscc}/profile", token=token).get_json()
    shown = {r["ref_no"] for r in body["sections"]["public_credit"]["records"]}
    assert expired.ref_no not in shown and black.ref_no not in shown
    assert serious.ref_no in shown and _fixture_penalty(world).ref_no in shown
    assert body["facts"]["black_listed"] is False
    assert not facts.facts_of(world.enterprise.id).black_listed

    features = extract_features([world.enterprise.id], date(2026, 11, 18))[world.enterprise.id]
    # the fixture's penalty (一般, 2026-03-05) and the serious one; not the expired one
    assert (features.penalties_minor, features.penalties_severe) == (1, 1)
    assert not features.black_listed
    # the rebuild after the import batch read the windows already (assigned first)
    assert latest_profile(world.enterprise.id).features["penalties_minor"] == 1


# --- the daily run -------------------------------------------------------------------------


def test_the_daily_run_marks_expired_records_once_and_rebuilds_their_profiles(world, _clock):
    record = _penalty(world.enterprise.uscc, "到期-1", "2025-11-19")  # last day 2026-11-18
    other = _penalty(world.other.uscc, "未到期-1", "2026-11-18")
    db.session.commit()
    assert latest_profile(world.enterprise.id).features["penalties_minor"] == 2

    _clock.move_to("2026-11-19T01:00:00+08:00")
    summary = publicity.run()
    db.session.commit()
    assert (summary.expired, summary.restored, summary.reassigned) == (1, 0, 0)
    assert summary.profiles_rebuilt == 1
    db.session.refresh(record)
    db.session.refresh(other)
    assert record.publicity_ended_at is not None and other.publicity_ended_at is None
    rebuilt = latest_profile(world.enterprise.id)
    assert rebuilt.trigger == "publicity" and rebuilt.features["penalties_minor"] == 1

    again = publicity.run()
    assert (again.expired, again.restored, again.reassigned, again.profiles_rebuilt) == (0, 0, 0, 0)


def test_the_operator_lengthens_a_tier_and_the_record_is_shown_again(world):
    record = _penalty(world.enterprise.uscc, "延长-1", "2025-10-01")
    publicity.run(today=date(2026, 11, 18))
    db.session.refresh(record)
    assert record.publicity_ended_at is not None and not _counts_on(record, date(2026, 11, 18))

    publicity.set_tier("general", min_months=6, max_months=24)
    summary = publicity.run(today=date(2026, 11, 18))
    db.session.refresh(record)
    assert record.shown_until == date(2027, 9, 30) and record.publicity_ended_at is None
    assert summary.restored == 1 and summary.reassigned == 2  # both enterprises' penalties
    assert _counts_on(record, date(2026, 11, 18))
    assert publicity.window("penalty", "minor", date(2025, 10, 1)).repairable_from == date(
        2026, 4, 1
    )


def test_a_rule_moves_a_severity_to_another_tier(world):
    publicity.set_rule("penalty", "major", "serious")
    record = _penalty(world.enterprise.uscc, "较重-1", "2025-01-10", severity="较重")
    assert (record.tier, record.shown_until) == ("serious", date(2028, 1, 9))
    assert [r.severity for r in publicity.list_rules() if r.category == "penalty"] == [
        "major", "severe", "slight", None
    ]  # fmt: skip


def test_bad_rules_are_refused(world):
    from app.errors import NotFound, ValidationFailed

    with pytest.raises(ValidationFailed):
        publicity.set_tier("general", min_months=13, max_months=12)
    with pytest.raises(NotFound):
        publicity.set_tier("huge", min_months=1, max_months=2)
    with pytest.raises(ValidationFailed):
        publicity.set_rule("license", None, "general")
    with pytest.raises(ValidationFailed):
        publicity.set_rule("penalty", "catastrophic", "serious")


def test_the_cli_runs_and_lists_the_rules(app, world):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["publicity", "rules"])
    assert listed.exit_code == 0
    assert "tier general: 3-12 months, published" in listed.output
    assert "rule black_list * -> serious" in listed.output
    ran = runner.invoke(args=["publicity", "run"])
    assert ran.exit_code == 0 and '"expired"' in ran.output
    refused = runner.invoke(args=["publicity", "set-tier", "general", "--min-months", "5",
                                  "--max-months", "4"])  # fmt: skip
    assert refused.exit_code != 0 and "最短" in refused.output


# --- the enterprise sees its own, marked -------------------------------------------------


def test_the_enterprise_lists_its_records_with_their_publicity(api, world, factories):
    _penalty(world.enterprise.uscc, "过期-2", "2025-11-01")
    _penalty(world.enterprise.uscc, "轻微-2", "2026-10-01", severity="轻微")
    token = factories.token(world.owner)
    db.session.commit()
    response = api.get("/api/v1/me/records?source=public_credit", token=token)
    assert response.status_code == 200
    rows = {r["values"]["ref_no"]: r for r in response.get_json()}
    expired, minor = rows["过期-2"], rows["轻微-2"]
    assert (expired["tier"], expired["shown_from"], expired["shown_until"]) == (
        "general", "2025-11-01", "2026-10-31"
    )  # fmt: skip
    assert (expired["shown"], expired["publicity"]) == (False, "expired")
    assert (minor["tier"], minor["shown"], minor["publicity"]) == ("minor", False, "not_published")
    current = rows[_fixture_penalty(world).ref_no]
    assert (current["id"], current["shown"], current["publicity"]) == (
        _fixture_penalty(world).id, True, "shown"
    )  # fmt: skip
    licence = rows["许可-001"]
    assert licence["tier"] is None and licence["publicity"] is None and licence["shown"]

    taxes = api.get("/api/v1/me/records?source=tax_payments", token=token).get_json()
    assert {r["values"]["period"] for r in taxes} == {"2026-03", "2026-04"}
    assert "tier" not in taxes[0]
    bad = api.get("/api/v1/me/records?source=nothing", token=token)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "source"


def test_the_records_page_says_publicity_ended(app, world):
    from tests.disputes.test_pages import _client

    _penalty(world.enterprise.uscc, "过期-3", "2025-11-01")
    db.session.commit()
    page = _client(app, world.owner).get("/enterprise/records?source=public_credit")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "公示期满，不再公示" in text and "过期-3" in text


def test_the_operator_page_edits_tiers_and_rules_and_applies_them(app, world):
    from app.publicity.models import PublicityTier
    from tests.disputes.test_pages import _client, _open

    web = _client(app, world.admin)
    page = _open(web, "/admin/publicity").get_data(as_text=True)
    assert "公示期规则" in page and "国办发〔2025〕22号" in page and "严重失信" in page
    bad = web.post("/admin/publicity/tiers/general", {"min_months": "13", "max_months": "12",
                                                      "published": "y"})  # fmt: skip
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "最短 ≤ 最长" in text and 'value="13"' in text
    assert db.session.get(PublicityTier, "general").min_months == 3  # nothing written
    ok = web.post("/admin/publicity/tiers/general", {"min_months": "6", "max_months": "24",
                                                     "published": "y"})  # fmt: skip
    assert ok.status_code == 302
    db.session.expire_all()
    tier = db.session.get(PublicityTier, "general")
    assert (tier.min_months, tier.max_months, tier.published) == (6, 24, True)
    assert web.post("/admin/publicity/rules", {"category": "penalty", "severity": "major",
                                               "tier": "serious"}).status_code == 302  # fmt: skip
    refused = web.post("/admin/publicity/rules", {"category": "license", "severity": "",
                                                  "tier": "general"})  # fmt: skip
    assert refused.status_code == 422 and "公示期只适用于" in refused.get_data(as_text=True)
    applied = web.post("/admin/publicity/run", {}, follow_redirects=True)
    assert applied.status_code == 200 and "已按规则重新计算" in applied.get_data(as_text=True)
    assert _client(app, world.owner).get("/admin/publicity").status_code == 403
