"""Child process of the `guard` benchmark: `python -m bench.guard_child '<json>'`.

Sets up one authorized bank officer and an enterprise with 36 months of tax, utility and
social-insurance records (plus some thousands of earlier access-log rows), then times, in
alternation, (a) the bank-facing profile read through the guard — decision, access-log row
(advisory lock, chain hash) and its commit — and (b) the same section reads with the guard
bypassed. Prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date


def _setup(log_rows: int) -> tuple:
    import random

    from app.audit import services as audit
    from app.auth import services as auth_services
    from app.auth.models import Role
    from app.banks.services import create_bank
    from app.consent import services as consent
    from app.demo.uscc import make_uscc
    from app.enterprises.models import Enterprise
    from app.extensions import db
    from app.ingest.services import ingest_records

    rng = random.Random(5)
    bank = create_bank("BENCHBANK", "基准银行")
    officer, _ = auth_services.create_user(
        role=Role.BANK_OFFICER, email="officer@bench.test", password="Bench-2026-pass",
        bank_code=bank.code,
    )  # fmt: skip
    uscc = make_uscc("610113", rng, kind="91")
    enterprise = Enterprise(uscc=uscc, name="基准测试有限公司", region_code="610113",
                            industry_code="C", scale="small", established_on=date(2015, 1, 1),
                            verified=True)  # fmt: skip
    db.session.add(enterprise)
    db.session.flush()
    consent.record_paper([uscc], categories=list(consent.NON_PUBLIC_CATEGORIES), evidence_ref="B")
    db.session.commit()
    periods = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    ingest_records("tax_payments", (
        {"uscc": uscc, "period": p, "tax_type": t, "amount": "1234.56",
         "due_on": f"{p}-15", "paid_on": f"{p}-10"}
        for p in periods for t in ("增值税", "个人所得税")
    ), origin="push")  # fmt: skip
    ingest_records("utility_bills", (
        {"uscc": uscc, "period": p, "utility": u, "amount_due": "500", "amount_paid": "500",
         "due_on": f"{p}-20", "paid_on": f"{p}-18"}
        for p in periods for u in ("water", "electricity")
    ), origin="push")  # fmt: skip
    ingest_records("social_insurance", (
        {"uscc": uscc, "period": p, "headcount": 20, "amount_due": "9000", "amount_paid": "9000",
         "paid_on": f"{p}-25"}
        for p in periods
    ), origin="push")  # fmt: skip
    text = consent.current_text("query")
    grant = consent.grant_query(
        enterprise.id, bank.id, list(consent.ALL_CATEGORIES), purpose="pre_loan", user_id=None,
        ip=None, text_id=text.id, days=90,
    )  # fmt: skip
    # Every read of the run must be allowed, yet the guard must still count the day's reads
    # against a cap (its real cost): a cap no run reaches, beyond what a grant may ask.
    grant.reads_per_day = 10**9
    db.session.commit()
    for _ in range(log_rows):  # an access log that is not empty
        audit.append(user_id=officer.id, bank_id=bank.id, enterprise_id=enterprise.id,
                     endpoint="/setup", channel="api", outcome="allowed")  # fmt: skip
    db.session.commit()
    return officer, enterprise


def main(argv: list[str]) -> int:
    from app import create_app
    from app.auth.models import User
    from app.consent.guard import ALL_CATEGORIES, AccessDecision
    from app.enterprises import profile
    from app.enterprises.services import get_by_uscc
    from app.extensions import db

    opts = json.loads(argv[1])
    app = create_app("development")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory="migrations")
        officer, enterprise = _setup(opts["log_rows"])
        officer_id, uscc = officer.id, enterprise.uscc

        # Both paths load the user first, as every request does (Flask-Login), so that the
        # difference is the guard alone.
        def guarded():
            user = db.session.get(User, officer_id)
            profile.bank_profile(user, uscc, endpoint="/bench", channel="api", ip="127.0.0.1")

        everything = AccessDecision(True, frozenset(ALL_CATEGORIES))

        def bypassed():  # the same read and assembly, minus the guard and its log row
            db.session.get(User, officer_id)
            profile.authorized_view(get_by_uscc(uscc), everything)
            db.session.commit()

        timings: dict[str, list[float]] = {"guarded": [], "bypassed": []}
        for i in range(opts["iterations"] + opts["warmup"]):
            for name, fn in (("guarded", guarded), ("bypassed", bypassed))[:: 1 if i % 2 else -1]:
                db.session.expire_all()
                started = time.perf_counter()
                fn()
                if i >= opts["warmup"]:
                    timings[name].append((time.perf_counter() - started) * 1000)
    result = {}
    for name, values in timings.items():
        values.sort()
        result[name] = {
            "median_ms": round(statistics.median(values), 3),
            "p95_ms": round(values[int(len(values) * 0.95) - 1], 3),
            "n": len(values),
        }
    result["added_median_ms"] = round(
        result["guarded"]["median_ms"] - result["bypassed"]["median_ms"], 3
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
