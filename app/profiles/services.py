"""Profile rebuilds: features → score → snapshots, set-based in chunks of 5,000 enterprises.

`rebuild()` is the one way a profile is made; it is called after every import batch (only the
enterprises the batch touched, inside the batch's transaction), by `flask profiles rebuild`,
by the nightly job (the `as_of` day moves, so windows move) and by disputes. It flushes and
never commits: the caller commits at its boundary.

Unchanged profiles are not written again. Each scored enterprise gets a fingerprint: SHA-256
of the scorecard version, its record-derived features (all but `as_of` and `age_years`, which
move with the calendar alone) and the result (score, grade, dimensions, reasons, confidence,
coverage); see `encode`. When it equals the fingerprint of the current snapshot, nothing is
written; so a firm whose age grows by a day is re-written only when that changes its points.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, text

from app import events
from app.clock import local_today, utcnow
from app.errors import ValidationFailed
from app.extensions import db
from app.ingest.services import BatchSummary
from app.profiles import cache as profile_cache
from app.profiles.models import CurrentProfile, ProfileSnapshot
from app.progress import NO_PROGRESS, Progress
from app.scoring import services as scoring_services
from app.scoring.features import (
    CHUNK_SIZE,
    FEATURE_FIELDS,
    Features,
    extract_features,
)
from app.scoring.models import Scorecard
from app.scoring.scorecard import REASONS, CompiledScorecard, Result, score
from app.upsert import upsert
from app.util import among

TRIGGER_KINDS = ("batch", "full", "dispute", "manual", "schedule", "publicity", "repair")
_TRIGGER = re.compile(r"^(" + "|".join(TRIGGER_KINDS) + r")(:[\w.\-]{1,48})?$")
# Features that move with the calendar alone, left out of the fingerprint.
_CALENDAR_FEATURES = ("as_of", "age_years")


@dataclass
class RebuildSummary:
    trigger: str
    as_of: date
    scorecard_version: int
    enterprises: int = 0  # scored
    written: int = 0  # new snapshots
    unchanged: int = 0  # same fingerprint as the current snapshot: nothing written
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["as_of"] = self.as_of.isoformat()
        return body


def check_trigger(trigger: str) -> str:
    if not isinstance(trigger, str) or not _TRIGGER.match(trigger):
        raise ValidationFailed(
            "trigger",
            _("未知的重建触发方式：%(trigger)s", trigger=trigger),
            code="invalid_trigger",
        )
    return trigger


# --- rebuilding --------------------------------------------------------------------------


def rebuild(
    enterprise_ids: Sequence[int] | None,
    *,
    trigger: str,
    as_of: date | None = None,
    progress: Progress = NO_PROGRESS,
    changed_sources: Collection[str] | None = None,
) -> RebuildSummary:
    """Rebuild the profiles of `enterprise_ids` (None = every enterprise) with the active
    scorecard version, as of `as_of` (default today); write a snapshot where it changed.

    `trigger`: `batch:<id>`, `full`, `dispute[:<id>]`, `manual`, `schedule`. A past `as_of`
    writes snapshots for the record but does not replace a current profile of a later day.
    A full rebuild extracts every enterprise's features in one pass per source (a scan, not
    20 index probes of 5,000), then scores and writes them 5,000 at a time.

    `changed_sources`: only these sources' records changed for these enterprises since
    their profiles were last rebuilt (an import batch: its source; None = any may have).
    An enterprise whose current snapshot holds as of the same `as_of` (written by a rebuild
    of that day, or found unchanged by one: `_SnapshotWriter._confirm`) then has only the
    registry and those sources read again, the other sources' features taken from the
    snapshot (every change of records rebuilds the enterprises it concerns in the same
    transaction, so the snapshot of the day holds for the sources that did not change); and
    when its
    features come out the same as the snapshot's under the same scorecard version, it is
    unchanged without being scored again (the same features make the same result).
    """
    started = time.perf_counter()
    check_trigger(trigger)
    as_of = as_of or local_today()
    if as_of > local_today():
        raise ValidationFailed("as_of", _("画像日期不能晚于今天"), code="future_as_of")
    card, compiled = scoring_services.compiled_active()
    summary = RebuildSummary(trigger=trigger, as_of=as_of, scorecard_version=card.version)
    writer = _SnapshotWriter(card, compiled, trigger, as_of)
    if enterprise_ids is None:
        everything = extract_features(None, as_of)
        progress.total(len(everything))
        for chunk in _chunks(sorted(everything)):
            writer.write({eid: everything[eid] for eid in chunk}, summary)
            progress.advance(len(chunk))
    else:
        wanted_ids = sorted(set(enterprise_ids))
        progress.total(len(wanted_ids))
        for chunk in _chunks(wanted_ids):
            known = {} if changed_sources is None else _known_features(chunk, as_of)
            found = extract_features(
                chunk,
                as_of,
                known={e: k[1] for e, k in known.items()},
                changed=changed_sources or (),
            )
            writer.write(found, summary, known)
            progress.advance(len(chunk))
    profile_cache.data_changed(enterprise_ids)
    db.session.flush()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _known_features(ids: list[int], as_of: date) -> dict[int, tuple[int, Features]]:
    """Enterprise id → (scorecard version, features) of the current snapshots that hold as
    of `as_of`."""
    rows = db.session.execute(
        select(
            CurrentProfile.enterprise_id,
            ProfileSnapshot.scorecard_version,
            ProfileSnapshot.features,
            ProfileSnapshot.coverage,
        )
        .join(ProfileSnapshot, ProfileSnapshot.id == CurrentProfile.snapshot_id)
        .where(among(db.session, CurrentProfile.enterprise_id, ids), CurrentProfile.as_of == as_of)
    )
    return {
        eid: (version, Features.from_dict(values, coverage))
        for eid, version, values, coverage in rows
    }


def _same(a: Features, b: Features) -> bool:
    """The same features as stored: each field of the same value and type (1 is not 1.0 in
    JSON, nor Decimal 1.0 "1.00"), the same coverage. (The derived ratios follow.)"""
    if a.coverage != b.coverage:
        return False
    for name in FEATURE_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x != y or type(x) is not type(y):
            return False
        if type(x) is Decimal and x.as_tuple() != y.as_tuple():
            return False
    return True


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK_SIZE):
        yield ids[start : start + CHUNK_SIZE]


def snapshot_values(features: Features, result: Result) -> dict[str, Any]:
    """The JSON columns of a snapshot: codes and numbers (names and messages are looked up
    when shown, in the reader's language)."""
    feature_values = features.to_dict()
    feature_values.pop("coverage", None)
    return {
        "score": result.score,
        "raw_score": result.raw_score,
        "grade": result.grade,
        "confidence": result.confidence,
        "confidence_level": result.confidence_level,
        "dimensions": [
            {"code": d.code, "score": d.score, "weight": d.weight, "data_share": d.data_share}
            for d in result.dimensions
        ],
        "reasons": [
            {"code": r.code, "kind": r.kind, "points_lost": r.points_lost} for r in result.reasons
        ],
        "coverage": dict(result.coverage),
        "features": feature_values,
    }


# One encoder for every snapshot: `json.dumps` with any non-default option builds a new
# `JSONEncoder` per call, and a full rebuild encodes 100,000 snapshots of four columns each.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)
_dumps = _ENCODER.encode


JSON_COLUMNS = ("dimensions", "reasons", "coverage", "features")
SCALAR_COLUMNS = ("score", "raw_score", "grade", "confidence", "confidence_level")


def encode(version: int, values: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """(the JSON columns as text, the fingerprint): SHA-256 over the version, the scalar
    results and the JSON columns, with the calendar-only features left out.

    The features are encoded once: the steady ones (sorted, as the fingerprint has always
    read them), then the calendar ones put in front of them for the stored column."""
    features = values["features"]
    steady = {k: v for k, v in features.items() if k not in _CALENDAR_FEATURES}
    steady_text = _dumps(steady)
    calendar = {k: features[k] for k in _CALENDAR_FEATURES if k in features}
    features_text = steady_text
    if calendar:
        calendar_text = _dumps(calendar)
        features_text = calendar_text[:-1] + "," + steady_text[1:] if steady else calendar_text
    encoded = {name: _dumps(values[name]) for name in ("dimensions", "reasons", "coverage")}
    encoded["features"] = features_text
    parts = [str(version), *(str(values[k]) for k in SCALAR_COLUMNS)]
    parts += [encoded["dimensions"], encoded["reasons"], encoded["coverage"], steady_text]
    return encoded, hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fingerprint(version: int, values: Mapping[str, Any]) -> str:
    return encode(version, values)[1]


_COPY_COLUMNS = (
    "id", "enterprise_id", "scorecard_id", "scorecard_version", "computed_at", "as_of",
    *SCALAR_COLUMNS, *JSON_COLUMNS, "trigger", "fingerprint",
)  # fmt: skip


class _SnapshotWriter:
    """Scores a chunk, drops the unchanged, bulk-inserts the rest and moves the pointers."""

    def __init__(self, card: Scorecard, compiled: CompiledScorecard, trigger: str, as_of: date):
        self.card, self.compiled = card, compiled
        self.trigger, self.as_of = trigger, as_of
        self.now = utcnow()
        self.postgres = db.session.get_bind().dialect.name == "postgresql"

    def write(
        self,
        features: dict[int, Features],
        summary: RebuildSummary,
        known: Mapping[int, tuple[int, Features]] | None = None,
    ) -> None:
        """`known`: enterprise id → (version, features) of current snapshots: the same
        features under the same version are unchanged without scoring."""
        if not features:
            return
        if known:
            same = {
                eid
                for eid, values in features.items()
                if eid in known
                and known[eid][0] == self.card.version
                and _same(values, known[eid][1])
            }
            summary.enterprises += len(same)
            summary.unchanged += len(same)
            features = {eid: v for eid, v in features.items() if eid not in same}
            if not features:
                return
        current = dict(
            db.session.execute(
                select(CurrentProfile.enterprise_id, CurrentProfile.fingerprint).where(
                    among(db.session, CurrentProfile.enterprise_id, list(features))
                )
            ).all()
        )
        rows, confirmed = [], []
        for enterprise_id, values in features.items():
            stored = snapshot_values(values, score(values, self.compiled))
            encoded, digest = encode(self.card.version, stored)
            if current.get(enterprise_id) != digest:
                rows.append((enterprise_id, stored, encoded, digest))
            else:
                confirmed.append(enterprise_id)
        summary.enterprises += len(features)
        summary.unchanged += len(confirmed)
        summary.written += len(rows)
        if rows:
            inserted = self._copy(rows) if self.postgres else self._insert(rows)
            self._point_to(inserted)
        if confirmed:
            self._confirm(confirmed)

    def _confirm(self, enterprise_ids: list[int]) -> None:
        """The current snapshots of `enterprise_ids` came out the same as of this day: they
        hold as of it, so a batch later this day takes the sources it did not change from
        them (`_known_features`) instead of reading everything again. Never moved back (a
        backfill of a past day)."""
        table = CurrentProfile.__table__
        db.session.execute(
            table.update()
            .where(among(db.session, table.c.enterprise_id, enterprise_ids))
            .where(table.c.as_of < self.as_of)
            .values(as_of=self.as_of)
        )

    def _common(self, enterprise_id: int, digest: str) -> dict[str, Any]:
        return {
            "enterprise_id": enterprise_id,
            "scorecard_id": self.card.id,
            "scorecard_version": self.card.version,
            "computed_at": self.now,
            "as_of": self.as_of,
            "trigger": self.trigger,
            "fingerprint": digest,
        }

    def _insert(self, rows: list) -> list[tuple[int, int, str]]:
        """Portable: one multi-row INSERT … RETURNING per 1,000 rows (SQLAlchemy's
        insertmanyvalues)."""
        table = ProfileSnapshot.__table__
        params = [
            {**{k: stored[k] for k in (*SCALAR_COLUMNS, *JSON_COLUMNS)}, **self._common(e, d)}
            for e, stored, _encoded, d in rows
        ]
        returning = insert(table).returning(table.c.id, table.c.enterprise_id, table.c.fingerprint)
        return [tuple(r) for r in db.session.execute(returning, params)]

    def _copy(self, rows: list) -> list[tuple[int, int, str]]:
        """PostgreSQL: ids drawn from the table's sequence, then one COPY (about 5× faster
        than INSERT … RETURNING for 5,000 rows of JSON)."""
        connection = db.session.connection()
        ids = (
            connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('profile_snapshots', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
            .scalars()
            .all()
        )
        raw: Any = connection.connection.driver_connection  # the psycopg connection
        statement = f"COPY profile_snapshots ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
        out = []
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for snapshot_id, row in zip(ids, rows, strict=True):
                enterprise_id, stored, encoded, digest = row
                copy.write_row(
                    (
                        snapshot_id, enterprise_id, self.card.id, self.card.version, self.now,
                        self.as_of, *(stored[k] for k in SCALAR_COLUMNS),
                        *(encoded[k] for k in JSON_COLUMNS), self.trigger, digest,
                    )
                )  # fmt: skip
                out.append((snapshot_id, enterprise_id, digest))
        return out

    def _point_to(self, inserted: Sequence[tuple[int, int, str]]) -> None:
        """Upsert `current_profiles` to the new snapshots, unless the current one is of a later
        day (a backfill with a past `as_of` keeps its snapshots but changes nothing current)."""
        table = CurrentProfile.__table__
        stmt = upsert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.enterprise_id],
            set_={
                "snapshot_id": stmt.excluded.snapshot_id,
                "fingerprint": stmt.excluded.fingerprint,
                "as_of": stmt.excluded.as_of,
                "updated_at": stmt.excluded.updated_at,
            },
            where=table.c.as_of <= stmt.excluded.as_of,
        )
        db.session.execute(
            stmt,
            [
                {
                    "enterprise_id": enterprise_id,
                    "snapshot_id": snapshot_id,
                    "fingerprint": digest,
                    "as_of": self.as_of,
                    "updated_at": self.now,
                }
                for snapshot_id, enterprise_id, digest in inserted
            ],
        )


@events.batch_settled.connect
def rebuild_after_batch(summary: BatchSummary) -> None:
    """The incremental rebuild: only the enterprises whose records the batch changed."""
    if summary.touched_enterprise_ids:
        rebuild(
            summary.touched_enterprise_ids,
            trigger=f"batch:{summary.batch_id}",
            changed_sources=(summary.source,),
        )


@events.records_changed.connect
def rebuild_after_change(
    _sender, *, enterprise_ids: Sequence[int], trigger: str, as_of: date | None = None
) -> None:
    """The enterprises whose records count differently now (`events.records_changed`)."""
    rebuild(enterprise_ids, trigger=trigger, as_of=as_of)


@events.profile_shown_changed.connect
def forget_kept_material(_sender, *, enterprise_ids: Iterable[int]) -> None:
    """Their kept profile material is no longer used (`events.profile_shown_changed`)."""
    profile_cache.data_changed(enterprise_ids)


# --- reading -----------------------------------------------------------------------------


def latest_profile(enterprise_id: int) -> ProfileSnapshot | None:
    """The current snapshot of one enterprise (one primary-key lookup), or None."""
    return db.session.scalar(
        select(ProfileSnapshot)
        .join(CurrentProfile, CurrentProfile.snapshot_id == ProfileSnapshot.id)
        .where(CurrentProfile.enterprise_id == enterprise_id)
    )


def latest_profiles(enterprise_ids: Sequence[int]) -> dict[int, ProfileSnapshot]:
    """The current snapshots of many enterprises, keyed by enterprise id (absent = none yet)."""
    out: dict[int, ProfileSnapshot] = {}
    ids = sorted(set(enterprise_ids))
    for chunk in _chunks(ids):
        for snapshot in db.session.scalars(
            select(ProfileSnapshot)
            .join(CurrentProfile, CurrentProfile.snapshot_id == ProfileSnapshot.id)
            .where(CurrentProfile.enterprise_id.in_(chunk))
        ):
            out[snapshot.enterprise_id] = snapshot
    return out


def snapshot_history(enterprise_id: int, limit: int = 20) -> list[ProfileSnapshot]:
    """An enterprise's snapshots, newest first."""
    return list(
        db.session.scalars(
            select(ProfileSnapshot)
            .where(ProfileSnapshot.enterprise_id == enterprise_id)
            .order_by(ProfileSnapshot.id.desc())
            .limit(limit)
        )
    )


def _scorecard_labels(
    scorecard_id: int,
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """(dimension code → (zh, en) name, grade → (zh, en) label) of one scorecard version."""
    card = db.session.get(Scorecard, scorecard_id)
    definition = card.definition if card else {}
    dims = {d["code"]: (d["name_zh"], d["name_en"]) for d in definition.get("dimensions", [])}
    grades = {g["grade"]: (g["label_zh"], g["label_en"]) for g in definition.get("grades", [])}
    return dims, grades


def profile_dict(snapshot: ProfileSnapshot, locale: str = "zh") -> dict[str, Any]:
    """The scoring part of the API's profile shape for one snapshot, in `locale`:
    `snapshot_id, score, grade, grade_label, model_version, computed_at, as_of, confidence,
    confidence_level, dimensions [{code, name, score, weight, data_share}], reasons [{code,
    message, kind}], coverage, features`."""
    english = locale == "en"
    names, labels = _scorecard_labels(snapshot.scorecard_id)
    grade_label = labels.get(snapshot.grade, (snapshot.grade, snapshot.grade))
    return {
        "snapshot_id": snapshot.id,
        "score": snapshot.score,
        "grade": snapshot.grade,
        "grade_label": grade_label[1] if english else grade_label[0],
        "model_version": snapshot.scorecard_version,
        "computed_at": snapshot.computed_at.isoformat(),
        "as_of": snapshot.as_of.isoformat(),
        "confidence": snapshot.confidence,
        "confidence_level": snapshot.confidence_level,
        "dimensions": [
            {
                "code": d["code"],
                "name": _pick(names.get(d["code"], (d["code"], d["code"])), english),
                "score": d["score"],
                "weight": d["weight"],
                "data_share": d.get("data_share"),
            }
            for d in snapshot.dimensions
        ],
        "reasons": [
            {
                "code": r["code"],
                "kind": r.get("kind"),
                "message": _pick(REASONS.get(r["code"], (r["code"], r["code"])), english),
            }
            for r in snapshot.reasons
        ],
        "coverage": dict(snapshot.coverage),
        "features": dict(snapshot.features),
    }


def _pick(pair: tuple[str, str], english: bool) -> str:
    return pair[1] if english else pair[0]
