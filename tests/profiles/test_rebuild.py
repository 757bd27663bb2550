"""Rebuilds: snapshots with the active version, nothing written when nothing changed, old
snapshots kept, the current pointer, scorecard activation, triggers and dates."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.errors import ValidationFailed
from app.extensions import db
from app.profiles import services
from app.profiles.models import CurrentProfile, ProfileSnapshot
from app.scoring import services as scoring_services
from tests.profiles.conftest import paid_day, recent_periods


def _snapshots(enterprise_id=None) -> int:
    query = select(func.count()).select_from(ProfileSnapshot)
    if enterprise_id is not None:
        query = query.where(ProfileSnapshot.enterprise_id == enterprise_id)
    return db.session.scalar(query)


def test_rebuild_writes_one_snapshot_each_with_the_active_version(punctual, factories):
    good = punctual()
    empty = factories.enterprise()
    summary = services.rebuild([good.id, empty.id, good.id], trigger="manual")
    assert (summary.enterprises, summary.written, summary.unchanged) == (2, 2, 0)
    assert summary.scorecard_version == 1 and summary.as_of == local_today()

    snap = services.latest_profile(good.id)
    assert snap.scorecard_version == 1 and snap.trigger == "manual"
    assert snap.as_of == local_today()
    assert 0 <= snap.score <= 1000 and snap.grade in {"AAA", "AA", "A"}
    assert snap.coverage["tax_payments"] == 24 and snap.coverage["social_insurance"] == 24
    assert snap.features["tax_months"] == 24 and snap.features["tax_on_time_ratio"] == 1.0
    assert [d["code"] for d in snap.dimensions][:2] == ["compliance", "performance"]
    assert len(snap.fingerprint) == 64

    nothing = services.latest_profile(empty.id)
    assert nothing.confidence_level == "low"
    assert nothing.grade == "BBB"  # missing data is neither good nor bad
    codes = [r["code"] for r in nothing.reasons]
    assert "NO_TAX_DATA" in codes and "NO_SOCIAL_INSURANCE_DATA" in codes
    assert nothing.score < snap.score

    assert set(services.latest_profiles([good.id, empty.id, 999_999])) == {good.id, empty.id}


def test_unchanged_rebuild_writes_nothing(punctual):
    enterprise = punctual()
    services.rebuild([enterprise.id], trigger="manual")
    first = services.latest_profile(enterprise.id)
    again = services.rebuild([enterprise.id], trigger="full")
    assert (again.written, again.unchanged) == (0, 1)
    assert _snapshots(enterprise.id) == 1
    assert services.latest_profile(enterprise.id).id == first.id


def test_a_changed_record_writes_a_new_snapshot_and_keeps_the_old(punctual, sources):
    enterprise = punctual()
    services.rebuild([enterprise.id], trigger="manual")
    before = services.latest_profile(enterprise.id)
    sources.public(enterprise.uscc, "penalty", local_today() - timedelta(days=30),
                   amount="50000", severity="major")  # fmt: skip
    summary = services.rebuild([enterprise.id], trigger="dispute:7")
    assert summary.written == 1
    after = services.latest_profile(enterprise.id)
    assert after.id != before.id and after.trigger == "dispute:7"
    assert after.score < before.score
    assert "PENALTY_MAJOR" in [r["code"] for r in after.reasons]
    history = services.snapshot_history(enterprise.id)
    assert [s.id for s in history] == [after.id, before.id]
    assert db.session.get(ProfileSnapshot, before.id).score == before.score  # kept as it was


def test_the_next_rebuild_after_activation_uses_the_new_version(punctual, v1_definition):
    enterprise = punctual()
    services.rebuild([enterprise.id], trigger="full")
    assert services.latest_profile(enterprise.id).scorecard_version == 1
    changed = copy.deepcopy(v1_definition)
    changed["dimensions"][0]["weight"] = 0.25
    changed["dimensions"][1]["weight"] = 0.20
    card = scoring_services.create_version(changed, user_id=None)
    scoring_services.activate(card.version, user_id=None)

    summary = services.rebuild(None, trigger="full")
    assert summary.scorecard_version == 2 and summary.written >= 1
    snap = services.latest_profile(enterprise.id)
    assert snap.scorecard_version == 2 and snap.scorecard_id == card.id
    assert {d["code"]: d["weight"] for d in snap.dimensions}["compliance"] == 0.25


def test_a_past_as_of_is_kept_but_does_not_replace_the_current_profile(punctual):
    enterprise = punctual()
    services.rebuild([enterprise.id], trigger="full")
    current = services.latest_profile(enterprise.id)
    past = local_today() - timedelta(days=400)
    summary = services.rebuild([enterprise.id], trigger="manual", as_of=past)
    assert summary.written == 1
    assert services.latest_profile(enterprise.id).id == current.id
    pointer = db.session.get(CurrentProfile, enterprise.id)
    assert pointer.as_of == local_today()
    old = services.snapshot_history(enterprise.id)[0]
    assert old.as_of == past and old.features["as_of"] == past.isoformat()


def test_bad_trigger_and_future_date_are_refused(factories):
    enterprise = factories.enterprise()
    with pytest.raises(ValidationFailed, match="触发方式"):
        services.rebuild([enterprise.id], trigger="whenever")
    with pytest.raises(ValidationFailed):
        services.rebuild([enterprise.id], trigger="manual", as_of=local_today() + timedelta(1))
    assert _snapshots(enterprise.id) == 0


def test_full_rebuild_covers_every_enterprise(factories, punctual):
    ids = {punctual().id, factories.enterprise().id, factories.enterprise().id}
    summary = services.rebuild(None, trigger="full")
    assert summary.enterprises >= 3
    assert ids <= set(services.latest_profiles(list(ids)))


def test_a_rebuild_records_its_trigger(punctual):
    enterprise = punctual()
    summary = services.rebuild([enterprise.id], trigger="dispute")
    assert summary.written == 1
    assert services.latest_profile(enterprise.id).trigger == "dispute"


def test_a_late_payer_scores_below_a_punctual_one(punctual, factories, sources):
    good = punctual()
    late = factories.enterprise()
    for period in recent_periods(24):
        due, paid = paid_day(period, late=True)
        sources.tax(late.uscc, period, "12000.00", due_on=due, paid_on=paid)
    services.rebuild([good.id, late.id], trigger="manual")
    profiles = services.latest_profiles([good.id, late.id])
    assert profiles[late.id].score < profiles[good.id].score
    assert "TAX_LATE" in [r["code"] for r in profiles[late.id].reasons]


def test_the_stored_text_and_the_fingerprint_keep_their_format(punctual):
    """Fingerprints written by earlier code must still compare equal, or every profile would
    be written again once for nothing. The fingerprint is the SHA-256 of the version, the
    scalar results and the sorted JSON of the columns with the calendar features left out,
    and the stored features are that JSON with the calendar ones (they differ day by day)."""
    good = punctual()
    services.rebuild([good.id], trigger="manual")
    snap = services.latest_profile(good.id)
    stored = {k: getattr(snap, k) for k in (*services.SCALAR_COLUMNS, *services.JSON_COLUMNS)}
    encoded, digest = services.encode(snap.scorecard_version, stored)

    def dumps(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    steady = {k: v for k, v in stored["features"].items() if k not in ("as_of", "age_years")}
    parts = [str(snap.scorecard_version), *(str(stored[k]) for k in services.SCALAR_COLUMNS)]
    parts += [dumps(stored[k]) for k in ("dimensions", "reasons", "coverage")] + [dumps(steady)]
    assert digest == hashlib.sha256("\x1f".join(parts).encode()).hexdigest() == snap.fingerprint
    assert {k: dumps(stored[k]) for k in services.JSON_COLUMNS} == encoded
    assert json.loads(encoded["features"]) == stored["features"]
    assert {"as_of", "age_years"} <= set(stored["features"])
