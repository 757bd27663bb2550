"""Seeds the `serving` benchmark: `python -m bench.serving_seed '{"enterprises": N}'`.

Migrates, loads N demo enterprises with 24 months of records through the import path, then
creates a bank officer with an API token and a query authorization from every enterprise to
that bank. Prints one JSON line: the token and the enterprises' USCCs.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.auth import services as auth_services
    from app.auth.models import Role
    from app.banks.services import create_bank
    from app.consent import services as consent
    from app.demo.services import load_demo_data
    from app.enterprises.models import Enterprise
    from app.extensions import db

    opts = json.loads(argv[1])
    app = create_app("development")
    with app.app_context():
        upgrade(directory="migrations")
        load_demo_data(enterprises=opts["enterprises"], months=24)
        db.session.commit()
        bank = create_bank("SERVEBENCH", "压测银行")
        officer, _ = auth_services.create_user(
            role=Role.BANK_OFFICER, email="officer@serving.bench", password="Serving-2026-bench",
            bank_code=bank.code,
        )  # fmt: skip
        _, token = auth_services.issue_token(officer, "bench")
        text = consent.current_text("query")
        enterprises = list(db.session.execute(select(Enterprise.id, Enterprise.uscc)))
        for enterprise_id, _uscc in enterprises:
            grant = consent.grant_query(
                enterprise_id, bank.id, list(consent.ALL_CATEGORIES), purpose="pre_loan",
                user_id=None, ip=None, text_id=text.id, days=90,
            )  # fmt: skip
            # Every request must be allowed, yet the guard still counts the day's reads
            # against a cap (its real cost): one no run reaches.
            grant.reads_per_day = 10**9
        db.session.commit()
    print(json.dumps({"token": token, "usccs": [uscc for _, uscc in enterprises]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
