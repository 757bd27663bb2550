"""The ingestion path shared by files, HTTP pulls and the push API.

`ingest_file` and `ingest_records` run one batch in the caller's transaction: read in
bounded chunks, normalise and validate against the source's field spec, stage, write
set-based, and flush. The caller commits (CLI command, web view, API handler, job).

When the input turns out unusable (or anything else fails) part-way, the session is
rolled back — nothing of the batch stays — and the failed batch is then recorded and
committed in its own short transaction, so that the operator sees it. So a failure ends
the caller's transaction too: callers should not hold other uncommitted work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app import events
from app.clock import local_today, utcnow
from app.enterprises.models import Industry, Region
from app.errors import NotFound
from app.extensions import db
from app.ingest.models import ImportBatch, ImportRejection, RecordHistory
from app.ingest.normalize import Context, check_chunk
from app.ingest.readers import (
    Chunk,
    RecordHasher,
    UnusableInput,
    count_rows,
    file_checksum,
    read_file,
    read_records,
)
from app.ingest.specs import SOURCES, SPECS, SourceSpec
from app.ingest.writers import enterprise_ids_for, writer_for
from app.progress import NO_PROGRESS, Progress

__all__ = [
    "SOURCES",
    "BatchSummary",
    "Submitted",
    "UnusableInput",
    "ingest_file",
    "ingest_records",
    "ingest_upload",
]

# How many rejections a summary carries; all of them are stored with the batch.
SUMMARY_REJECTIONS = 10_000


@dataclass
class BatchSummary:
    source: str
    batch_id: int
    origin: str = "file"
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped_no_consent: int = 0
    rejections: list[dict] = field(default_factory=list)
    rejections_truncated: bool = False
    # For the profile rebuild: enterprises whose records this batch inserted or changed.
    touched_usccs: list[str] = field(default_factory=list)
    touched_enterprise_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The import summary (`ingest file --json`): source, counts, batch_id, rejections.

        Rejections are {row, column, reason}, rows numbered as a spreadsheet shows them.
        """
        body = {
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped_no_consent": self.skipped_no_consent,
            "batch_id": self.batch_id,
            "rejections": self.rejections,
        }
        if self.rejections_truncated:
            body["rejections_truncated"] = True
        return body


def get_spec(source: str) -> SourceSpec:
    try:
        return SPECS[source]
    except KeyError:
        raise UnusableInput(
            _("未知的数据源：%(source)s（可选：%(all)s）", source=source, all=", ".join(SOURCES)),
            code="unknown_source",
        ) from None


def ingest_file(
    source: str,
    path: str | Path,
    *,
    user_id: int | None = None,
    filename: str | None = None,
    origin: str = "file",
    progress: Progress = NO_PROGRESS,
    batch: ImportBatch | None = None,
) -> BatchSummary:
    """Import a CSV or XLSX file (detected by content) for `source`; `progress` hears of
    each chunk of rows handled (a CLI progress bar, a background job's batch row).

    `batch`: a queued batch claimed by a background job (app/ingest/jobs.py), which this
    import fills in rather than making its own."""
    spec = get_spec(source)
    path = Path(path)
    name = filename or path.name
    try:
        checksum = file_checksum(path)
    except OSError:
        raise UnusableInput(_("无法读取文件：%(name)s", name=name), code="unreadable") from None
    chunks = read_file(path, spec)
    if progress is not NO_PROGRESS:
        progress.total(count_rows(path))
        chunks = _reporting(chunks, progress)
    return _run(spec, chunks, origin, user_id, name, lambda: checksum, batch, progress)


def _reporting(chunks: Iterator[Chunk], progress: Progress) -> Iterator[Chunk]:
    """The chunks, telling `progress` the rows of each once it has been handled."""
    for chunk in chunks:
        yield chunk
        progress.advance(len(chunk.frame))


def ingest_records(
    source: str,
    records: Iterable[dict],
    *,
    origin: str,
    user_id: int | None = None,
    label: str | None = None,
) -> BatchSummary:
    """Import records (dicts keyed by field names or Chinese headers, raw values).

    `records` may be a generator yielding page after page: it is consumed chunk by chunk
    inside the one batch; an exception it raises rolls the whole batch back and is
    re-raised (after the failed batch is recorded). Rejections number records from 1.
    """
    spec = get_spec(source)
    hasher = RecordHasher()
    return _run(spec, read_records(records, spec, hasher), origin, user_id, label, hasher.hexdigest)


def _context() -> Context:
    industries = db.session.execute(select(Industry.code, Industry.level)).all()
    return Context(
        today=local_today(),
        regions=frozenset(db.session.scalars(select(Region.code))),
        sections=frozenset(c for c, level in industries if level == "section"),
        divisions=frozenset(c for c, level in industries if level == "division"),
    )


def _run(
    spec: SourceSpec,
    chunks: Iterator[Chunk],
    origin: str,
    user_id: int | None,
    filename: str | None,
    checksum,
    claimed: ImportBatch | None = None,
    progress: Progress = NO_PROGRESS,
) -> BatchSummary:
    started = utcnow()
    batch = claimed or ImportBatch(
        source=spec.name,
        origin=origin,
        filename=filename,
        user_id=user_id,
        started_at=started,
        status="running",
    )
    claimed_id = claimed.id if claimed is not None else None
    try:
        if claimed is None:
            db.session.add(batch)
            db.session.flush()
        summary = _load(spec, batch, chunks, progress)
        batch.checksum = checksum()
        # What a batch implies, inside its transaction (`app.events`).
        events.batch_written.send(summary)
        events.batch_settled.send(summary)
    except Exception as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, UnusableInput) else f"{type(exc).__name__}: {exc}"
        if claimed_id is not None:
            _fail_claimed(claimed_id, message)
        else:
            _record_failure(spec.name, origin, filename, user_id, started, message)
        raise
    batch.status = "succeeded"
    batch.finished_at = utcnow()
    db.session.flush()
    return summary


def _record_failure(
    source: str, origin: str, filename: str | None, user_id: int | None, started, message: str
) -> None:
    db.session.add(
        ImportBatch(
            source=source,
            origin=origin,
            filename=filename,
            user_id=user_id,
            started_at=started,
            finished_at=utcnow(),
            status="failed",
            error=message[:2000],
        )
    )
    db.session.commit()


def _fail_claimed(batch_id: int, message: str) -> None:
    """A claimed background batch that failed: its row says why (committed at once)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is not None:
        batch.status = "failed"
        batch.finished_at = utcnow()
        batch.error = message[:2000]
        db.session.commit()


def _load(
    spec: SourceSpec, batch: ImportBatch, chunks: Iterator[Chunk], progress: Progress = NO_PROGRESS
) -> BatchSummary:
    ctx = _context()
    writer = writer_for(spec)(spec, batch.id, batch.started_at, user_id=batch.user_id)
    rows = 0
    try:
        for chunk in chunks:
            writer.headers = writer.headers or chunk.headers
            checked = check_chunk(chunk.frame, spec, ctx)
            rows += checked.rows
            writer.add_rejections(checked.rejections)
            writer.add_rows(checked.valid)
            progress.rejected(len({r.row for r in checked.rejections}))
        counts = writer.finish()
    finally:
        writer.close()
    rejected = (
        db.session.scalar(
            select(func.count(func.distinct(ImportRejection.row))).where(
                ImportRejection.batch_id == batch.id
            )
        )
        or 0
    )
    batch.rows = rows
    batch.inserted = counts.inserted
    batch.updated = counts.updated
    batch.unchanged = counts.unchanged
    batch.rejected = rejected
    batch.skipped_no_consent = counts.skipped_no_consent
    listed = db.session.execute(
        select(
            ImportRejection.row,
            ImportRejection.column,
            ImportRejection.reason_zh,
            ImportRejection.reason_en,
            ImportRejection.code,
        )
        .where(ImportRejection.batch_id == batch.id)
        .order_by(ImportRejection.row, ImportRejection.id)
        .limit(SUMMARY_REJECTIONS + 1)
    ).all()
    return BatchSummary(
        source=spec.name,
        batch_id=batch.id,
        origin=batch.origin,
        rows=rows,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=rejected,
        skipped_no_consent=counts.skipped_no_consent,
        rejections=[
            {
                "row": r.row,
                "column": r.column,
                "reason": r.reason_zh,
                "reason_en": r.reason_en,
                "code": r.code,
            }
            for r in listed[:SUMMARY_REJECTIONS]
        ],
        rejections_truncated=len(listed) > SUMMARY_REJECTIONS,
        touched_usccs=counts.touched_usccs,
        touched_enterprise_ids=enterprise_ids_for(counts.touched_usccs),
    )


# --- what the operator pages read -----------------------------------------------------


def batches(*, source: str | None = None) -> Select[tuple[ImportBatch]]:
    """The import batches, newest first (of one source when given)."""
    query = select(ImportBatch).order_by(ImportBatch.id.desc())
    return query.where(ImportBatch.source == source) if source else query


def get_batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(_("导入批次不存在"))
    return batch


def batch_rejections(batch_id: int, limit: int | None = None) -> list[ImportRejection]:
    query = (
        select(ImportRejection)
        .where(ImportRejection.batch_id == batch_id)
        .order_by(ImportRejection.row, ImportRejection.id)
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def describe_values(source: str, values_json: str, *, english: bool = False) -> str:
    """A stored JSON object of a record's fields ({"period": "2025-03", ...}) in words:
    each field by its column heading (Chinese; its name in English) and each listed value by
    its usual spelling ("所属期 2025-03；类别 水")."""
    import json

    spec = SPECS.get(source)
    try:
        values = json.loads(values_json)
    except ValueError:
        return values_json
    if spec is None or not isinstance(values, dict):
        return values_json
    names = {f.name: f for f in spec.fields}
    parts = []
    for name, value in values.items():
        f = names.get(name)
        if f is None:
            heading = name.replace("_", " ")
        else:
            heading = name.replace("_", " ") if english or not f.aliases else f.aliases[0]
        words = getattr(f.choices, "words", {}) if f is not None else {}
        shown = "—" if value is None else (value if english else words.get(value, value))
        parts.append(f"{heading} {shown}")
    return ("; " if english else "；").join(parts)


def record_history(*, uscc: str | None = None) -> Select[tuple[RecordHistory]]:
    """The values later batches replaced, newest first (of one enterprise when given)."""
    query = select(RecordHistory).order_by(RecordHistory.id.desc())
    return query.where(RecordHistory.uscc == uscc.strip().upper()) if uscc else query


# --- uploads (web page and push API) ---------------------------------------------------

UPLOAD_EXTENSIONS = (".csv", ".xlsx")


@dataclass
class Submitted:
    """What became of an upload: imported at once (`summary`) or queued (`queued`)."""

    batch_id: int
    summary: BatchSummary | None = None

    @property
    def queued(self) -> bool:
        return self.summary is None


def ingest_upload(
    source: str,
    stream: IO[bytes],
    filename: str,
    *,
    user_id: int | None,
    origin: str,
    background: bool = True,
) -> Submitted:
    """Store an uploaded file, then import it at once or queue it: the one place that
    decides. A file of at most INGEST_BACKGROUND_BYTES is imported now (and its stored copy
    removed); a bigger one becomes a `queued` batch that the scheduler's `run_import_jobs`
    imports (app/ingest/jobs.py), answered at once (`background=False`: always at once).

    Only `.csv` and `.xlsx` names are taken (the content is checked again by the reader);
    the size limit is Flask's MAX_CONTENT_LENGTH (413 before we get here).
    """
    from app.ingest import jobs

    spec = get_spec(source)
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_EXTENSIONS:
        raise UnusableInput(
            _("只接受 CSV 或 XLSX 文件（.csv、.xlsx）"), code="unsupported_type", field="file"
        )
    stored = jobs.store_upload(stream, suffix)
    if background and stored.stat().st_size > jobs.background_bytes():
        batch = jobs.queue_file(spec.name, stored, name, user_id=user_id, origin=origin)
        return Submitted(batch_id=batch.id)
    try:
        summary = ingest_file(spec.name, stored, user_id=user_id, filename=name, origin=origin)
    finally:
        stored.unlink(missing_ok=True)
    return Submitted(batch_id=summary.batch_id, summary=summary)
