"""The `loan_status` source: a bank's monthly file of its loans' status, through the ordinary
import path (`app.ingest`: readers, field spec, rejections, batch history).

The rows are staged like any source's; what differs is the write. Each row is judged by the
rules a report on the web or through the API is judged by (`services.report_problems`, over
plain values read in bulk), in `as_of` order per loan, so that a row after a row settling
the loan finds it closed; the reports taken are then written with one COPY (PostgreSQL) or
one executemany (SQLite), and the loans' current status with one `UPDATE … FROM`.

Counts: `inserted` = a first report of that loan and day, `updated` = a correction of an
earlier report of that day (appended: reports are never edited), `unchanged` = the day's
latest report already says the same (a re-import) or an identical repeat in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from app.auth.models import BANK_ROLES, Role, User
from app.clock import local_today
from app.errors import NotFound
from app.extensions import db
from app.funds import services as funds
from app.funds.models import Registration
from app.ingest.models import ImportBatch, ImportRejection
from app.ingest.normalize import ROW
from app.ingest.writers import WRITERS, BatchWriter, WriteCounts
from app.loans.models import Loan, LoanReport, LoanStatus, ReportOrigin
from app.loans.services import REPORT_RULES, LoanFacts, becomes_current, report_problems
from app.sources.models import Source
from app.types import Money, UTCDateTime

NOT_FOUND = "loan_not_found"
# The same words whether the loan is another bank's or does not exist: nothing is revealed.
NOT_FOUND_TEXT = _l("贷款不存在或不是本行发放的")
CONFLICT = "duplicate_conflict"
CONFLICT_TEXT = _l("同一批数据中同一贷款同一日期出现多次且内容不一致")
CLOSING = 5000  # loans per query when releasing the funds' reservations of settled loans


def _texts(message) -> tuple[str, str]:
    """A message in Chinese and English, as a rejection stores it."""
    with force_locale("zh"):
        zh = str(message)
    with force_locale("en"):
        en = str(message)
    return zh, en


def bank_scope(user_id: int | None) -> int | None:
    """Whose loans the importer may report: a bank user its bank's (-1: none, for a user
    of no bank or of another role), the operator (the command line, an admin) any bank's
    (None)."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or user.role == Role.ADMIN:
        return None
    if user.role in BANK_ROLES and user.bank_id is not None:
        return user.bank_id
    return -1


class LoanStatusWriter(BatchWriter):
    value_field = "loan_id"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bank_id = bank_scope(self.user_id)
        self.rule_texts: dict[str, tuple[str, str]] = {}

    def _finish(self) -> WriteCounts:
        counts = WriteCounts()
        s, loans = self.stage, Loan.__table__
        if self.postgres:
            self.conn.exec_driver_sql(f"ANALYZE {s.name}")
        else:
            self.conn.exec_driver_sql(
                f"CREATE INDEX {s.name}_key ON {s.name} (loan_id, as_of, {ROW})"
            )
        mine = [loans.c.id == s.c.loan_id]
        if self.bank_id is not None:
            mine.append(loans.c.bank_id == self.bank_id)
        column = self.headers.get("loan_id", "loan_id")
        self._reject_staged(~exists().where(*mine), NOT_FOUND, column, _texts(NOT_FOUND_TEXT))

        taken, current, closed = self._judge(counts, self.conn.execute(self._staged_with_loans()))
        self._write_reports(taken)
        self._write_current(current)
        self.stage.drop(self.conn)
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Loan):
                db.session.expire(obj)
        self._release_settled(closed)
        return counts

    def _staged_with_loans(self):
        """Each staged row with its loan's terms and current status, and the latest report
        already kept for its loan and day (None when there is none), in application order."""
        s, loans, reports = self.stage, Loan.__table__, LoanReport.__table__
        latest = (
            select(reports.c.loan_id, reports.c.as_of, func.max(reports.c.id).label("id"))
            .where(exists().where(s.c.loan_id == reports.c.loan_id, s.c.as_of == reports.c.as_of))
            .group_by(reports.c.loan_id, reports.c.as_of)
            .subquery()
        )
        last = reports.alias("last")
        return (
            select(
                s.c[ROW],
                s.c.loan_id,
                s.c.as_of,
                s.c.status,
                func.coalesce(s.c.days_past_due, 0),
                s.c.outstanding,
                loans.c.principal,
                loans.c.disbursed_on,
                loans.c.status,
                loans.c.as_of,
                last.c.status,
                last.c.days_past_due,
                last.c.outstanding,
            )
            .select_from(
                s.join(loans, loans.c.id == s.c.loan_id)
                .outerjoin(
                    latest, and_(latest.c.loan_id == s.c.loan_id, latest.c.as_of == s.c.as_of)
                )
                .outerjoin(last, last.c.id == latest.c.id)
            )
            .order_by(s.c.loan_id, s.c.as_of, s.c[ROW])
            .execution_options(stream_results=True, yield_per=20_000)
        )

    def _judge(self, counts: WriteCounts, rows: Iterable[Sequence]):
        """Apply each loan's rows in `as_of` order to its facts, as `report_status` would one
        by one. Returns the reports taken, the loans' new current status (those changed)
        and the loans a row settled."""
        today = local_today()
        taken: list[tuple] = []  # (loan_id, as_of, status, dpd, outstanding)
        current: list[tuple] = []  # (loan_id, status, dpd, outstanding, as_of)
        closed: list[int] = []
        problems: list[tuple[int, str, str, object]] = []  # (row, field, code, value)
        for loan_id, loan_rows in groupby(rows, key=itemgetter(1)):
            facts: LoanFacts | None = None
            was = ""  # the loan's status before this file
            state: tuple | None = None
            for day, same_day in groupby(loan_rows, key=itemgetter(2)):
                group = list(same_day)
                first = group[0]
                if facts is None:
                    facts = LoanFacts(first[6], first[7], first[8], first[9])
                    was = first[8]
                values = first[3:6]
                if any(tuple(r[3:6]) != tuple(values) for r in group[1:]):
                    problems += [(r[0], "loan_id", CONFLICT, loan_id) for r in group]
                    continue
                counts.unchanged += len(group) - 1
                status, dpd, outstanding = values
                if first[10] is not None and (first[10], first[11], first[12]) == (
                    status, dpd, outstanding,
                ):  # fmt: skip
                    counts.unchanged += 1
                    continue
                found = report_problems(facts, today, day, status, dpd, outstanding)
                if found:
                    shown = {"as_of": day, "days_past_due": dpd, "outstanding": outstanding}
                    problems += [(first[0], f, c, shown[f]) for f, c in found.items()]
                    continue
                taken.append((loan_id, day, status, dpd, outstanding))
                if first[10] is None:
                    counts.inserted += 1
                else:
                    counts.updated += 1
                if becomes_current(facts.as_of, day):
                    facts = LoanFacts(facts.principal, facts.disbursed_on, status, day)
                    state = (loan_id, status, dpd, outstanding, day)
            if state is not None:
                current.append(state)
                if state[1] == LoanStatus.SETTLED and was != LoanStatus.SETTLED:
                    closed.append(loan_id)
        self._add_rule_rejections(problems)
        return taken, current, closed

    def _add_rule_rejections(self, problems: list[tuple[int, str, str, object]]) -> None:
        if not problems:
            return
        payload = []
        for row, name, code, value in problems:
            if code not in self.rule_texts:
                message = CONFLICT_TEXT if code == CONFLICT else REPORT_RULES[code]
                self.rule_texts[code] = _texts(message)
            zh, en = self.rule_texts[code]
            payload.append(
                {
                    "batch_id": self.batch_id, "row": row,
                    "column": self.headers.get(name, name), "code": code,
                    "value": None if value is None else str(value)[:200],
                    "reason_zh": zh, "reason_en": en,
                }
            )  # fmt: skip
        self.conn.execute(insert(ImportRejection.__table__), payload)

    def _write_reports(self, taken: list[tuple]) -> None:
        if not taken:
            return
        origin, user = ReportOrigin.FILE.value, self.user_id
        if not self.postgres:
            self.conn.execute(
                insert(LoanReport.__table__),
                [
                    {"loan_id": t[0], "as_of": t[1], "status": t[2], "days_past_due": t[3],
                     "outstanding": t[4], "origin": origin, "user_id": user, "at": self.now}
                    for t in taken
                ],
            )  # fmt: skip
            return
        null = "\\N"  # COPY text format's NULL
        tail = f"\t{origin}\t{null if user is None else user}\t{self.now.isoformat()}\n"
        columns = "loan_id, as_of, status, days_past_due, outstanding, origin, user_id, at"
        self._copy_lines(
            f"loan_reports ({columns})",
            (f"{t[0]}\t{t[1].isoformat()}\t{t[2]}\t{t[3]}\t{t[4]}{tail}" for t in taken),
        )

    def _write_current(self, current: list[tuple]) -> None:
        """The loans whose status a taken report became: one UPDATE … FROM a staged list."""
        if not current:
            return
        changes = Table(
            "loan_status_current", MetaData(),
            Column("id", Integer), Column("status", String(16)),
            Column("days_past_due", Integer), Column("outstanding", Money()),
            Column("as_of", Date), prefixes=["TEMPORARY"],
        )  # fmt: skip
        changes.drop(self.conn, checkfirst=True)
        changes.create(self.conn)
        if self.postgres:
            self._copy_lines(
                "loan_status_current (id, status, days_past_due, outstanding, as_of)",
                (f"{c[0]}\t{c[1]}\t{c[2]}\t{c[3]}\t{c[4].isoformat()}\n" for c in current),
            )
        else:
            self.conn.execute(
                insert(changes),
                [dict(zip(("id", "status", "days_past_due", "outstanding", "as_of"), c,
                          strict=True)) for c in current],
            )  # fmt: skip
        loans = Loan.__table__
        self.conn.execute(
            update(loans)
            .where(loans.c.id == changes.c.id)
            .values(
                status=changes.c.status, days_past_due=changes.c.days_past_due,
                outstanding=changes.c.outstanding, as_of=changes.c.as_of,
                updated_at=literal(self.now, UTCDateTime()),
            )
        )  # fmt: skip
        changes.drop(self.conn)

    def _copy_lines(self, target: str, lines: Iterable[str], block: int = 50_000) -> None:
        """COPY text-format lines into `target` (a table and its columns)."""
        raw = self.conn.connection.driver_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {target} FROM STDIN") as copy,
        ):
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= block:
                    copy.write("".join(chunk))
                    chunk.clear()
            if chunk:
                copy.write("".join(chunk))

    def _release_settled(self, closed: list[int]) -> None:
        """What a fund reserved for a loan the file settled is released, as on the web
        (`funds.loan_closed`); only registered loans are loaded."""
        for start in range(0, len(closed), CLOSING):
            part = closed[start : start + CLOSING]
            registered = db.session.scalars(
                select(Loan)
                .join(Registration, Registration.loan_id == Loan.id)
                .where(Loan.id.in_(part), Registration.released_on.is_(None))
            )
            for loan in registered:
                funds.loan_closed(loan)


WRITERS[Source.LOAN_STATUS.value] = LoanStatusWriter


# --- what the bank's pages read ---------------------------------------------------------


def _of_bank(bank_id: int | None):
    return (
        select(ImportBatch)
        .join(User, User.id == ImportBatch.user_id)
        .where(ImportBatch.source == Source.LOAN_STATUS.value, User.bank_id == bank_id)
    )


def bank_batches(bank_id: int | None, limit: int = 50) -> list[ImportBatch]:
    """The bank's loan-status imports (by any of its users), newest first."""
    return list(db.session.scalars(_of_bank(bank_id).order_by(ImportBatch.id.desc()).limit(limit)))


def bank_batch(batch_id: int, bank_id: int | None) -> ImportBatch:
    """One of the bank's loan-status imports; another's (or none) is NotFound."""
    batch = db.session.scalar(_of_bank(bank_id).where(ImportBatch.id == batch_id))
    if batch is None:
        raise NotFound(_("导入批次不存在"))
    return batch
