"""The `loan_status` source: a bank's monthly file of its loans' status, through the ordinary
import path (`app.ingest`: readers, field spec, rejections, batch history).

The rows are staged like any source's; what differs is the write. Each row is judged by the
rules a report on the web or through the API is judged by (`services.report_problems`, over
plain values read in bulk), in `as_of` order per loan, so that a row after a row settling
the loan finds it closed; the reports taken are then written with one `INSERT … SELECT` from
the stage, and the loans' current status with one `UPDATE … FROM`.

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
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    delete,
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
from app.types import UTCDateTime

NOT_FOUND = "loan_not_found"
# The same words whether the loan is another bank's or does not exist: nothing is revealed.
NOT_FOUND_TEXT = _l("贷款不存在或不是本行发放的")
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
        """Whole-batch SQL around one Python pass over the rows left to judge: reject the
        rows of loans not the importer's; resolve repeats (as for every source); drop the
        rows the day's latest report already says (`unchanged`); judge the rest by the
        rules, row by row; unstage the rows that broke one; write the rest as reports with
        one INSERT … SELECT and the loans' current status with one UPDATE … FROM."""
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
        counts.unchanged += self._resolve_duplicates()
        counts.unchanged += self._drop_known()

        rejected, current, closed = self._judge(counts, self.conn.execute(self._to_judge()))
        if rejected:
            marks = self._row_list("loan_status_rejected", rejected)
            self.conn.execute(delete(s).where(s.c[ROW].in_(select(marks.c[ROW]))))
            marks.drop(self.conn)
        if counts.inserted or counts.updated:
            self._write_reports()
        if current:
            self._write_current(current)
        self.stage.drop(self.conn)
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Loan):
                db.session.expire(obj)
        self._release_settled(closed)
        return counts

    def _drop_known(self) -> int:
        """Unstage the rows that the latest report of their loan and day already says (a
        re-import); returns how many."""
        s, r = self.stage, LoanReport.__table__
        later = r.alias("later")
        known = exists().where(
            r.c.loan_id == s.c.loan_id,
            r.c.as_of == s.c.as_of,
            r.c.status == s.c.status,
            r.c.days_past_due == func.coalesce(s.c.days_past_due, 0),
            r.c.outstanding == s.c.outstanding,
            ~exists().where(
                later.c.loan_id == r.c.loan_id, later.c.as_of == r.c.as_of, later.c.id > r.c.id
            ),
        )
        return self.conn.execute(delete(s).where(known)).rowcount

    def _to_judge(self):
        """Each staged row with its loan's terms and current status, and whether a report of
        its loan and day is kept already, in application order (loan, day, row)."""
        s, loans, reports = self.stage, Loan.__table__, LoanReport.__table__
        days = (
            select(reports.c.loan_id, reports.c.as_of)
            .where(exists().where(s.c.loan_id == reports.c.loan_id, s.c.as_of == reports.c.as_of))
            .distinct()
            .subquery()
        )
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
                days.c.loan_id.is_not(None),
            )
            .select_from(
                s.join(loans, loans.c.id == s.c.loan_id).outerjoin(
                    days, and_(days.c.loan_id == s.c.loan_id, days.c.as_of == s.c.as_of)
                )
            )
            .order_by(s.c.loan_id, s.c.as_of, s.c[ROW])
            .execution_options(stream_results=True, yield_per=20_000)
        )

    def _judge(self, counts: WriteCounts, rows: Iterable[Sequence]):
        """Apply each loan's rows in `as_of` order to its facts, as `report_status` would one
        by one (`report_problems`, `becomes_current`). Returns the rows rejected, the row
        that becomes each changed loan's status, and the loans a row settled."""
        today = local_today()
        rejected: list[int] = []
        current: list[int] = []
        closed: list[int] = []
        problems: list[tuple[int, str, str, object]] = []  # (row, field, code, value)
        settled = LoanStatus.SETTLED.value
        for loan_id, loan_rows in groupby(rows, key=itemgetter(1)):
            facts: LoanFacts | None = None
            last: int | None = None
            was = ""  # the loan's status before this file
            for row, _loan, day, status, dpd, outstanding, *loan, known_day in loan_rows:
                if facts is None:
                    facts = LoanFacts(*loan)
                    was = facts.status
                found = report_problems(facts, today, day, status, dpd, outstanding)
                if found:
                    shown = {"as_of": day, "days_past_due": dpd, "outstanding": outstanding}
                    problems += [(row, f, c, shown[f]) for f, c in found.items()]
                    rejected.append(row)
                    continue
                if known_day:
                    counts.updated += 1
                else:
                    counts.inserted += 1
                if becomes_current(facts.as_of, day):
                    facts = facts._replace(status=status, as_of=day)
                    last = row
            if last is not None:
                current.append(last)
                if facts is not None and facts.status == settled and was != settled:
                    closed.append(loan_id)
        self._add_rule_rejections(problems)
        return rejected, current, closed

    def _add_rule_rejections(self, problems: list[tuple[int, str, str, object]]) -> None:
        if not problems:
            return
        payload = []
        for row, name, code, value in problems:
            if code not in self.rule_texts:
                self.rule_texts[code] = _texts(REPORT_RULES[code])
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

    def _row_list(self, name: str, rows: list[int]) -> Table:
        """A temporary table of row numbers (COPY on PostgreSQL)."""
        table = Table(name, MetaData(), Column(ROW, Integer), prefixes=["TEMPORARY"])
        table.drop(self.conn, checkfirst=True)
        table.create(self.conn)
        if self.postgres:
            raw = self.conn.connection.driver_connection
            with (
                raw.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY {name} ({ROW}) FROM STDIN") as copy,
            ):
                copy.write("\n".join(map(str, rows)) + "\n")
            self.conn.exec_driver_sql(f"ANALYZE {name}")
        else:
            self.conn.execute(insert(table), [{ROW: r} for r in rows])
        return table

    def _write_reports(self) -> None:
        """Every row still staged is a report taken: one INSERT … SELECT."""
        s = self.stage
        now = literal(self.now, UTCDateTime())
        self.conn.execute(
            insert(LoanReport.__table__).from_select(
                ["loan_id", "as_of", "status", "days_past_due", "outstanding", "origin",
                 "user_id", "at"],
                select(
                    s.c.loan_id, s.c.as_of, s.c.status, func.coalesce(s.c.days_past_due, 0),
                    s.c.outstanding, literal(ReportOrigin.FILE.value),
                    literal(self.user_id, Integer), now,
                ),
            )
        )  # fmt: skip

    def _write_current(self, current: list[int]) -> None:
        """The loans whose status a taken row became: one UPDATE … FROM the staged rows."""
        s, loans = self.stage, Loan.__table__
        marks = self._row_list("loan_status_current", current)
        self.conn.execute(
            update(loans)
            .where(loans.c.id == s.c.loan_id, s.c[ROW] == marks.c[ROW])
            .values(
                status=s.c.status, days_past_due=func.coalesce(s.c.days_past_due, 0),
                outstanding=s.c.outstanding, as_of=s.c.as_of,
                updated_at=literal(self.now, UTCDateTime()),
            )
        )  # fmt: skip
        marks.drop(self.conn)

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


def bank_batches(bank_id: int | None) -> Select[tuple[ImportBatch]]:
    """The bank's loan-status imports (by any of its users), newest first."""
    return _of_bank(bank_id).order_by(ImportBatch.id.desc())


def bank_batch(batch_id: int, bank_id: int | None) -> ImportBatch:
    """One of the bank's loan-status imports; another's (or none) is NotFound."""
    batch = db.session.scalar(_of_bank(bank_id).where(ImportBatch.id == batch_id))
    if batch is None:
        raise NotFound(_("导入批次不存在"))
    return batch
