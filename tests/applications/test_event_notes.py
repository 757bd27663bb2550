"""The platform's notes on a timeline (approved terms, disbursement, expiry) are stored as a
sentence to be said later (`app.i18n.Later`: msgid and arguments) and read in the reader's
language; the notes written as sentences before migration 0046 are read back into ids, and
those ids into sentences by 0052."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta

from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app import create_app
from app.applications import queries, services
from app.applications.models import ApplicationEvent
from app.auth.models import Role
from app.clock import local_today, utcnow
from app.extensions import db
from config import TestConfig
from tests.products.helpers import make_product

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def _notes(app, application, viewer, locale):
    with app.test_request_context(), force_locale(locale):
        return [e["note"] for e in queries.events_shown(application, viewer)]


def test_notes_are_worded_in_the_readers_language(app, factories):
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    owner = factories.user(Role.ENTERPRISE)
    product = make_product(bank)
    made = services.create_application(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="流动资金", user_id=owner.id,
    )  # fmt: skip
    services.accept(made.id, officer)
    services.approve(made.id, officer, amount="150000", rate="4.35", term_months=12)
    services.disburse(made.id, officer, amount="150000", disbursed_on=local_today())
    day = local_today().isoformat()
    assert _notes(app, made, owner, "zh")[-2:] == [
        "批准金额 ¥150,000.00，年利率 4.35%，期限 12 个月",
        f"放款 ¥150,000.00，放款日 {day}，首贷",
    ]
    assert _notes(app, made, officer, "en")[-2:] == [
        "Approved ¥150,000.00 at 4.35% a year for 12 months",
        f"Disbursed ¥150,000.00 on {day}, a first loan",
    ]
    stored = db.session.scalars(
        select(ApplicationEvent).where(ApplicationEvent.application_id == made.id)
    ).all()
    assert [e.note for e in stored] == [""] * len(stored)  # no sentence kept in any language
    assert (stored[-1].message, stored[-1].args) == (
        "放款 %(amount)s，放款日 %(day)s，首贷",
        {"amount": "¥150,000.00", "day": day},
    )

    late = services.create_application(
        owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
        purpose="流动资金", user_id=owner.id,
    )  # fmt: skip
    assert services.expire_overdue(now=utcnow() + timedelta(days=60)) == 1
    assert _notes(app, late, owner, "en")[-1] == "Past the acceptance deadline"
    assert _notes(app, late, owner, "zh")[-1] == "超过受理时限"


def test_the_migration_reads_the_old_sentences_back_into_ids(tmp_path):
    path = tmp_path / "old.sqlite"

    class Old(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    old = create_app(Old)
    with old.app_context():
        upgrade(directory=MIGRATIONS, revision="0045_identity")
        db.engine.dispose()
    written = [
        ("approve", "150000.00 / 4.35% / 12"),
        ("disburse", "150000.00 2026-11-02 首贷"),
        ("disburse", "90000.00 2026-11-03"),
        ("expire", "超过受理时限"),
        ("expire", "Past the acceptance deadline"),
        ("reject", "流水不足"),  # typed by an officer: kept as typed
        ("approve", "批准了"),  # not the platform's form: kept as written
    ]
    with sqlite3.connect(path) as raw:  # the events and their application row only
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute(
            "INSERT INTO applications (id, enterprise_id, state, amount, term_months, purpose, "
            "version, created_at, updated_at) VALUES (1, 1, 'disbursed', 150000, 12, 'x', 1, "
            "'2026-11-01 00:00:00', '2026-11-02 00:00:00')"
        )
        raw.executemany(
            "INSERT INTO application_events (application_id, action, to_state, note, at) "
            "VALUES (1, ?, 'x', ?, '2026-11-02 00:00:00')",
            written,
        )
    raw.close()
    with old.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        events = session.scalars(select(ApplicationEvent).order_by(ApplicationEvent.id)).all()
        assert [(e.message, e.args, e.note) for e in events] == [
            (
                "批准金额 %(amount)s，年利率 %(rate)s%%，期限 %(term)s 个月",
                {"amount": "¥150,000.00", "rate": "4.35", "term": 12},
                "",
            ),
            (
                "放款 %(amount)s，放款日 %(day)s，首贷",
                {"amount": "¥150,000.00", "day": "2026-11-02"},
                "",
            ),
            ("放款 %(amount)s，放款日 %(day)s", {"amount": "¥90,000.00", "day": "2026-11-03"}, ""),
            ("超过受理时限", None, ""),
            ("超过受理时限", None, ""),
            (None, None, "流水不足"),
            (None, None, "批准了"),
        ]
        with old.test_request_context(), force_locale("en"):
            assert events[0].note_shown == "Approved ¥150,000.00 at 4.35% a year for 12 months"
            assert events[1].note_shown == "Disbursed ¥150,000.00 on 2026-11-02, a first loan"
    engine.dispose()
