"""Set-based writes of one batch, inside the caller's transaction.

Valid rows are staged in a TEMP table (PostgreSQL: COPY; SQLite: executemany), then
whole-batch SQL does the rest: unknown enterprises, the collection-consent filter,
duplicate keys, the correction history, one `UPDATE … FROM` of the keys whose values
differ and one `INSERT … SELECT` of the new keys (an upsert split in two, because the
classifying pass counts both anyway). Counts come from the same statements, so they are
exact:

    inserted  = staged keys not yet in the table
    updated   = staged keys whose values differ (= history rows written)
    unchanged = staged keys with equal values + identical duplicates in the input
                (+ keys another batch committed while this one ran, with equal values)
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.consent.services import collecting_enterprise_ids
from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import ImportRejection, RecordHistory
from app.ingest.normalize import ROW, Rejection, reason
from app.ingest.specs import TEXT, SourceSpec
from app.types import UTCDateTime
from app.upsert import upsert
from app.util import among, chunked


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_no_consent: int = 0
    touched_usccs: list[str] = field(default_factory=list)


# PostgreSQL work_mem while a batch is matched against its target (see `finish`).
HASH_WORK_MEM = "256MB"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _copy_escape(text: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _target(spec: SourceSpec) -> Table:
    return db.Model.metadata.tables[spec.table]


class BatchWriter:
    """Stages one batch's valid rows and writes them when the input is exhausted.

    This one writes records about enterprises (keyed by `uscc`); a source of another kind
    registers its own subclass in `WRITERS` (`app.loans.imports` for `loan_status`), which
    keeps the staging and the rejections and replaces `_finish`.
    """

    # the staged field a rejection of the whole row shows as its value
    value_field = "uscc"

    def __init__(
        self, spec: SourceSpec, batch_id: int, now: datetime, *, user_id: int | None = None
    ):
        self.spec = spec
        self.batch_id = batch_id
        self.now = now
        self.user_id = user_id  # who imports (None: the operator's command line)
        self.conn: Connection = db.session.connection()
        self.postgres = self.conn.dialect.name == "postgresql"
        self.target = _target(spec)
        self.headers: dict[str, str] = {}
        # 64-bit hashes of the staged keys: a cheap "any duplicates at all?" before SQL
        self.key_hashes: list[np.ndarray] = []
        # Enterprises written by the registry source become verified.
        self.extra = ("verified",) if spec.name == "enterprises" else ()
        self.compare = (*spec.value_fields, *self.extra)
        columns = [Column(ROW, Integer)]
        for name in spec.field_names:
            columns.append(Column(name, self.target.c[name].type))
        if self.extra:
            columns.append(Column("verified", Boolean))
        self.stage = Table(
            f"ingest_stage_{spec.name}", MetaData(), *columns, prefixes=["TEMPORARY"]
        )
        self.stage.drop(self.conn, checkfirst=True)
        self.stage.create(self.conn)
        # PostgreSQL: each chunk's COPY runs in a sender thread while this one reads and
        # checks the next chunk (the server parses and stores it on another core). At most
        # one COPY is in flight, and nothing else may use the connection meanwhile: every
        # other statement of the batch waits for it first (`_wait_for_copy`).
        self.sender = ThreadPoolExecutor(1, "ingest-copy") if self.postgres else None
        self.in_flight: Future | None = None

    # --- per chunk -------------------------------------------------------------------

    def add_rows(self, frame: pd.DataFrame) -> None:
        """Stage valid rows (stored text or None per field, see `normalize.stored_text`)."""
        if frame.empty:
            return
        names = [ROW, *self.spec.field_names, *self.extra]
        keys = frame[list(self.spec.key)]
        self.key_hashes.append(pd.util.hash_pandas_object(keys, index=False).to_numpy())
        if self.postgres:
            self._copy(names, frame)
            return
        columns: list = [frame[ROW].to_numpy(dtype=np.int64).tolist()]
        columns += [frame[name].to_numpy(dtype=object) for name in self.spec.field_names]
        if self.extra:
            columns.append([1] * len(frame))
        marks = ", ".join("?" for _ in names)
        self.conn.exec_driver_sql(
            # names come from the field spec, never from the input
            f"INSERT INTO {self.stage.name} ({_quoted(names)}) VALUES ({marks})",  # noqa: S608
            list(zip(*columns, strict=True)),
        )

    def _copy(self, names: list[str], frame: pd.DataFrame) -> None:
        """COPY … FROM STDIN in text format; cells escaped once per distinct value."""
        text_fields = {f.name for f in self.spec.fields if f.kind == TEXT}
        parts = [frame[ROW].astype(np.int64).astype(str).to_numpy(dtype=object)]
        for name in self.spec.field_names:
            column = frame[name].to_numpy(dtype=object)
            if name in text_fields:
                codes, uniques = pd.factorize(column, use_na_sentinel=True)
                table = np.array([*(_copy_escape(u) for u in uniques), "\\N"], dtype=object)
                parts.append(table[codes])
            else:  # codes, dates, periods, numbers: nothing to escape
                parts.append(np.where(pd.isna(column), "\\N", column))
        if self.extra:
            parts.append(np.full(len(frame), "t", dtype=object))
        data = "\n".join(map("\t".join, zip(*parts, strict=True))) + "\n"
        self._wait_for_copy()
        assert self.sender is not None
        self.in_flight = self.sender.submit(self._send, names, data)

    def _send(self, names: list[str], data: str) -> None:
        """COPY one chunk's text into the stage (in the sender thread)."""
        raw = self.conn.connection.driver_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {self.stage.name} ({_quoted(names)}) FROM STDIN") as copy,
        ):
            copy.write(data)

    def _wait_for_copy(self) -> None:
        """Let the COPY in flight finish; its error, if any, is raised here."""
        if self.in_flight is not None:
            in_flight, self.in_flight = self.in_flight, None
            in_flight.result()

    def close(self) -> None:
        """Stop the sender thread, after the COPY in flight if the batch failed part-way
        (so that the rollback that follows finds the connection idle)."""
        if self.sender is not None:
            self.sender.shutdown(wait=True)
            self.sender = None

    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        self._wait_for_copy()
        texts: dict[tuple[str | None, str], tuple[str, str]] = {}
        payload = []
        for r in rejections:
            key = (r.field, r.code)
            if key not in texts:
                texts[key] = reason(r.code, self.spec.get(r.field) if r.field else None)
            zh, en = texts[key]
            payload.append(
                {
                    "batch_id": self.batch_id,
                    "row": r.row,
                    "column": self.headers.get(r.field, r.field) if r.field else None,
                    "code": r.code,
                    "value": r.value,
                    "reason_zh": zh,
                    "reason_en": en,
                }
            )
        self.conn.execute(insert(ImportRejection.__table__), payload)

    # --- the whole batch ---------------------------------------------------------------

    def _reject_staged(
        self, where, code: str, column: str | None, texts: tuple[str, str] | None = None
    ) -> int:
        """Record a rejection for each staged row matching `where`, then unstage them
        (`texts`: the Chinese and English reason, when not the code's in `REASONS`)."""
        zh, en = texts or reason(code)
        s = self.stage
        rejections = ImportRejection.__table__
        self.conn.execute(
            insert(rejections).from_select(
                ["batch_id", "row", "column", "code", "value", "reason_zh", "reason_en"],
                select(
                    literal(self.batch_id),
                    s.c[ROW],
                    literal(column, String),
                    literal(code),
                    cast(s.c[self.value_field], String),
                    literal(zh),
                    literal(en),
                ).where(where),
            )
        )
        return self.conn.execute(delete(s).where(where)).rowcount

    def finish(self) -> WriteCounts:
        if not self.postgres:
            return self._finish()
        self._wait_for_copy()
        # The whole-batch joins below match up to millions of staged rows against the
        # target: give them memory for hash joins for this batch. With the default 4 MB
        # work_mem PostgreSQL probes the unique index once per staged row instead, ~7x slower.
        previous = self.conn.exec_driver_sql("SHOW work_mem").scalar()
        self.conn.exec_driver_sql(f"SET LOCAL work_mem = '{HASH_WORK_MEM}'")
        counts = self._finish()
        self.conn.exec_driver_sql("SELECT set_config('work_mem', %s, true)", (previous,))
        return counts

    def _finish(self) -> WriteCounts:
        counts = WriteCounts()
        s, t, spec = self.stage, self.target, self.spec
        e = Enterprise.__table__
        if self.postgres:
            self.conn.exec_driver_sql(f"ANALYZE {s.name}")
        else:
            key_list = ", ".join(f'"{k}"' for k in spec.key)
            self.conn.exec_driver_sql(f"CREATE INDEX {s.name}_key ON {s.name} ({key_list}, {ROW})")

        if spec.name != "enterprises":
            unknown = ~exists().where(e.c.uscc == s.c.uscc)
            self._reject_staged(unknown, "unknown_enterprise", self.headers.get("uscc", "uscc"))
        if spec.non_public:
            consenting = exists().where(
                e.c.uscc == s.c.uscc, e.c.id.in_(collecting_enterprise_ids(spec.name))
            )
            counts.skipped_no_consent = self.conn.execute(delete(s).where(~consenting)).rowcount

        counts.unchanged += self._resolve_duplicates()

        on_key = and_(*(t.c[k] == s.c[k] for k in spec.key))
        differs = or_(*(t.c[c].is_distinct_from(s.c[c]) for c in self.compare))
        # One pass classifies every staged row: its key is new (no target row), or it
        # exists with equal values, or it exists with other values (a correction).
        staged, matched, changed = self.conn.execute(
            select(
                func.count(), func.count(t.c.id), func.count(t.c.id).filter(differs)
            ).select_from(s.outerjoin(t, on_key))
        ).one()
        counts.updated = self._write_history(on_key, differs) if changed else 0
        counts.inserted = staged - matched
        counts.unchanged += matched - counts.updated
        if counts.inserted or counts.updated:
            touched = select(s.c.uscc).distinct()
            if matched:  # some keys exist already: only the new or changed ones count
                touched = touched.select_from(s.outerjoin(t, on_key)).where(
                    or_(t.c.id.is_(None), differs)
                )
            counts.touched_usccs = list(self.conn.scalars(touched))
        # A re-import writes nothing at all.
        if counts.updated:
            self._update(on_key, differs)
        if counts.inserted:
            written = self._insert(on_key, only_new=matched > 0)
            if written < counts.inserted:
                self._count_late_keys(counts, written, on_key, differs)
        self.stage.drop(self.conn)
        return counts

    def _resolve_duplicates(self) -> int:
        """Same key twice: identical rows count once (the rest `unchanged`), differing
        ones are all rejected. Returns the number of identical extras removed."""
        s, key = self.stage, self.spec.key
        hashes = np.concatenate(self.key_hashes) if self.key_hashes else np.array([])
        # all keys distinct (no false negatives)? A hash table in C, ~30x faster than np.unique
        if not pd.Series(hashes, copy=False).duplicated().any():
            return 0
        key_cols = [s.c[k] for k in key]
        variants = select(*(s.c[n] for n in self.spec.field_names)).distinct().subquery()
        conflicting = (
            select(*(variants.c[k] for k in key))
            .group_by(*(variants.c[k] for k in key))
            .having(func.count() > 1)
        )
        self._reject_staged(tuple_(*key_cols).in_(conflicting), "duplicate_conflict", None)
        earlier = s.alias("earlier")
        has_earlier = (
            exists().where(*(earlier.c[k] == s.c[k] for k in key)).where(earlier.c[ROW] < s.c[ROW])
        )
        return self.conn.execute(delete(s).where(has_earlier)).rowcount

    def _json(self, table: Table, names: Sequence[str]):
        pairs = []
        for name in names:
            pairs += [literal_column(f"'{name}'"), table.c[name]]
        if self.postgres:
            return cast(func.json_build_object(*pairs), Text)
        return func.json_object(*pairs)

    def _write_history(self, on_key, differs) -> int:
        s, t = self.stage, self.target
        query = (
            select(
                literal(self.spec.name),
                t.c.uscc,
                self._json(t, self.spec.key),
                self._json(t, self.compare),
                literal(self.batch_id),
                literal(self.now, UTCDateTime()),
            )
            .select_from(t.join(s, on_key))
            .where(differs)
        )
        columns = ["source", "uscc", "natural_key", "old_values", "batch_id", "replaced_at"]
        statement = insert(RecordHistory.__table__).from_select(columns, query)
        result = self.conn.execute(statement.execution_options(preserve_rowcount=True))
        return result.rowcount

    def _update(self, on_key, differs) -> None:
        """The corrections: existing keys whose values differ (their history is written)."""
        s, t = self.stage, self.target
        self.conn.execute(
            update(t)
            .where(on_key, differs)
            .values(
                {
                    **{c: s.c[c] for c in self.compare},
                    "batch_id": self.batch_id,
                    "updated_at": literal(self.now, UTCDateTime()),
                }
            )
        )

    def _insert(self, on_key, *, only_new: bool) -> int:
        """The new keys; returns how many were written. When none of the staged keys
        exists (`only_new` false: a first load), a plain INSERT: no per-row probe of the
        unique index as with ON CONFLICT or an anti-join, which makes it about twice as
        fast. Should another batch commit some of these keys after they were classified
        (two imports of the same records at once, PostgreSQL), the insert is tried again
        in its savepoint skipping the keys that exist now; `_count_late_keys` counts them."""
        s, t, spec = self.stage, self.target, self.spec
        names = [*spec.field_names, *self.extra]
        now = literal(self.now, UTCDateTime())
        query = select(*(s.c[n] for n in names), literal(self.batch_id), now, now)
        if only_new:
            query = query.where(~exists().where(on_key))
        columns = [*names, "batch_id", "created_at", "updated_at"]
        if not self.postgres:
            return self._rowcount(insert(t).from_select(columns, query))
        savepoint = self.conn.begin_nested()
        try:
            written = self._rowcount(insert(t).from_select(columns, query))
        except IntegrityError:
            savepoint.rollback()
            statement = upsert(t, self.conn).from_select(columns, query).on_conflict_do_nothing()
            return self._rowcount(statement)
        savepoint.commit()
        return written

    def _rowcount(self, statement) -> int:
        return self.conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount

    def _count_late_keys(self, counts: WriteCounts, written: int, on_key, differs) -> None:
        """Keys classified as new that another batch committed meanwhile: equal values count
        unchanged; other values are a correction like any other (history, then update). The
        enterprises touched are then only those whose rows this batch wrote."""
        late = counts.inserted - written
        corrected = self._write_history(on_key, differs)
        if corrected:
            self._update(on_key, differs)
        counts.inserted = written
        counts.updated += corrected
        counts.unchanged += late - corrected
        s, t = self.stage, self.target
        counts.touched_usccs = list(
            self.conn.scalars(
                select(s.c.uscc)
                .distinct()
                .select_from(s.join(t, on_key))
                .where(t.c.batch_id == self.batch_id)
            )
        )


# Writers of the sources that are not records about an enterprise, by source name
# (registered by their domain at start-up).
WRITERS: dict[str, type[BatchWriter]] = {}


def writer_for(spec: SourceSpec) -> type[BatchWriter]:
    if spec.name in WRITERS:
        return WRITERS[spec.name]
    assert "uscc" in spec.key, f"no writer registered for {spec.name}"
    return BatchWriter


def enterprise_ids_for(usccs: Sequence[str]) -> list[int]:
    """Registry ids of the given codes (chunked, to stay under bind-parameter limits)."""
    ids: list[int] = []
    for part in chunked(usccs):
        ids += db.session.scalars(
            select(Enterprise.id).where(among(db.session, Enterprise.uscc, part))
        )
    return ids
