"""The incremental rebuild against the full one, on generated data: the same features, the
same scores and fingerprints, the same written / unchanged counts, whichever way the
months are counted (bit masks on PostgreSQL, `count(DISTINCT)` elsewhere)."""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.extensions import db
from app.ingest import services as ingest
from app.profiles import services
from app.profiles.models import CurrentProfile, ProfileSnapshot
from app.scoring import features as features_module
from app.scoring import services as scoring_services
from app.scoring.features import extract_features, period_of, shift_month
from app.scoring.scorecard import score
from tests.ingest.conftest import csv_text, grant

SEED = 18
ENTERPRISES = 24
TAX_HEADER = ["uscc", "period", "tax_type", "amount", "due_on", "paid_on"]


def _period(today: date, back: int) -> str:
    return period_of(*shift_month(today.year, today.month, -back))


def _days(period: str, rng: random.Random) -> tuple[date, date | None]:
    """(due date, paid date or None) of a period: on time, late, unpaid, or paid after
    today (pending on the day of the rebuild)."""
    year, month = int(period[:4]), int(period[5:])
    due = date(*shift_month(year, month, 1), 15)
    kind = rng.random()
    if kind < 0.08:
        return due, None
    if kind < 0.2:
        return due, due + timedelta(days=rng.randint(1, 40))
    return due, due - timedelta(days=rng.randint(0, 10))


def _generate(factories, sources, rng: random.Random) -> list:
    """Enterprises with 0–40 months of each monthly source (gaps, late and unpaid months,
    several taxes a month, this month's records), penalties, list entries, ratings."""
    today = local_today()
    made = []
    for _ in range(ENTERPRISES):
        enterprise = factories.enterprise(
            established_on=today - timedelta(days=rng.randint(30, 7000)),
            registered_capital=f"{rng.randint(1, 5000)}.00",
        )
        grant(enterprise)
        uscc = enterprise.uscc
        months = rng.choice((0, 3, 14, 30, 40))
        for back in range(months, -1, -1):  # back 0: this month (not in any window yet)
            if rng.random() < 0.1:
                continue  # a gap
            period = _period(today, back)
            for tax_type in rng.sample(("增值税", "企业所得税", "印花税"), rng.randint(1, 2)):
                due, paid = _days(period, rng)
                sources.tax(uscc, period, f"{rng.randint(100, 90000)}.00", due, paid, tax_type)
            due, paid = _days(period, rng)
            bill = rng.randint(100, 5000)
            sources.utility(uscc, period, f"{bill}.00", f"{bill - rng.choice((0, 0, 0, 50))}.00",
                            due_on=due, paid_on=paid)  # fmt: skip
            if rng.random() < 0.8:
                headcount = rng.randint(1, 80)
                sources.social(uscc, period, headcount, f"{headcount * 900}.00",
                               f"{headcount * rng.choice((900, 900, 800))}.00", paid_on=paid)  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            category = rng.choice(("penalty", "penalty", "black_list", "red_list", "license"))
            decided = today - timedelta(days=rng.randint(0, 1400))
            until = rng.choice((None, decided + timedelta(days=rng.randint(1, 900))))
            sources.public(uscc, category, decided, valid_until=until,
                           amount=str(rng.randint(0, 90000)) if category == "penalty" else None,
                           severity=rng.choice((None, "minor", "major", "severe")))  # fmt: skip
        for year in rng.sample(range(today.year - 4, today.year + 1), rng.randint(0, 3)):
            sources.rating(uscc, year, rng.choice("ABMCD"))
        made.append(enterprise)
    db.session.flush()
    return made


def _current() -> dict[int, tuple]:
    rows = db.session.execute(
        select(
            CurrentProfile.enterprise_id,
            CurrentProfile.fingerprint,
            ProfileSnapshot.score,
            ProfileSnapshot.grade,
            ProfileSnapshot.features,
            ProfileSnapshot.reasons,
        ).join(ProfileSnapshot, ProfileSnapshot.id == CurrentProfile.snapshot_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


@pytest.fixture
def generated(factories, sources):
    return _generate(factories, sources, random.Random(SEED))


def test_the_months_are_counted_alike_both_ways(generated, monkeypatch):
    ids = [e.id for e in generated]
    as_of = local_today()
    counted = extract_features(None, as_of)
    monkeypatch.setattr(features_module._MonthSets, "use_masks", False)
    assert extract_features(None, as_of) == counted
    assert extract_features(ids[::3], as_of) == {i: counted[i] for i in ids[::3]}
    assert any(f.tax_months and f.tax_months_paid != f.tax_months for f in counted.values())
    assert any(f.utility_months_in_arrears for f in counted.values())
    assert any(
        f.si_months_paid != f.si_months_expected for f in counted.values() if f.si_months_paid
    )


@pytest.mark.parametrize("since", ["same day", "confirmed", "day before", "new version"])
def test_a_batch_rebuilds_its_enterprises_as_a_full_rebuild_would(
    generated, tmp_path, since, v1_definition, monkeypatch
):
    """`since`: the current snapshots are of today (the batch reads only tax payments again
    and takes the rest from them); of the day before, and today's rebuild found some of them
    unchanged ("confirmed": they hold as of today, and are taken as the day's); of the day
    before (not used: everything is read); or of the scorecard version before the active
    one (read again, and scored)."""
    today = local_today()
    yesterday = today - timedelta(days=1)
    services.rebuild(None, trigger="full", as_of=yesterday if since != "same day" else None)
    if since == "confirmed":
        nightly = services.rebuild(None, trigger="full")
        assert nightly.unchanged  # found unchanged: confirmed as of today
        assert set(db.session.scalars(select(CurrentProfile.as_of))) == {today}
    reused: list[int] = []
    known_features = services._known_features

    def spy(ids, as_of):
        found = known_features(ids, as_of)
        reused.extend(found)
        return found

    monkeypatch.setattr(services, "_known_features", spy)
    if since == "new version":
        changed = copy.deepcopy(v1_definition)
        changed["dimensions"][0]["weight"] = 0.25
        changed["dimensions"][1]["weight"] = 0.20
        card = scoring_services.create_version(changed, user_id=None)
        scoring_services.activate(card.version, user_id=None)
    before = _current()
    snapshots = db.session.scalar(select(func.count()).select_from(ProfileSnapshot))

    # A corrected tax row for two thirds of the enterprises with records in the last year;
    # some corrections change nothing the profile shows (an amount outside the windows'
    # sums), some change their scores.
    rng = random.Random(SEED + 1)
    rows = []
    for enterprise in generated:
        if rng.random() < 0.33:
            continue
        back = rng.choice((1, 2, 13, 30))
        period = _period(today, back)
        due, paid = _days(period, rng)
        rows.append([enterprise.uscc, period, "增值税", f"{rng.randint(1, 9) * 1000}.00",
                     due.isoformat(), "" if paid is None else paid.isoformat()])  # fmt: skip
    path = tmp_path / "batch.csv"
    path.write_text(csv_text(TAX_HEADER, rows), encoding="utf-8")
    summary = ingest.ingest_file("tax_payments", path)
    touched = set(summary.touched_enterprise_ids)
    assert len(touched) >= ENTERPRISES // 4  # rows paid after today are refused

    # What the full path makes of every touched enterprise now.
    card, compiled = scoring_services.compiled_active()
    expected_changed = set()
    for eid, values in extract_features(None, today).items():
        stored = services.snapshot_values(values, score(values, compiled))
        digest = services.fingerprint(card.version, stored)
        if eid in touched and digest != before[eid][0]:
            expected_changed.add(eid)
    written = db.session.scalars(
        select(ProfileSnapshot.enterprise_id).where(
            ProfileSnapshot.trigger == f"batch:{summary.batch_id}"
        )
    ).all()
    assert sorted(written) == sorted(expected_changed)
    if since in ("same day", "confirmed"):  # every touched enterprise from its snapshot
        assert sorted(reused) == sorted(touched)
    elif since == "day before":
        assert reused == []
    if since == "new version":
        assert expected_changed == touched
        return
    if since == "day before":
        return  # the calendar moved for everyone: a full rebuild has more to write
    assert expected_changed and expected_changed != touched  # both kinds are exercised
    after = _current()
    assert {e: v for e, v in after.items() if e not in touched} == {
        e: v for e, v in before.items() if e not in touched
    }

    # The full rebuild finds nothing to write: every fingerprint is the one it makes.
    full = services.rebuild(None, trigger="full")
    assert (full.written, full.unchanged) == (0, full.enterprises)
    assert _current() == after
    assert db.session.scalar(select(func.count()).select_from(ProfileSnapshot)) == snapshots + len(
        expected_changed
    )
