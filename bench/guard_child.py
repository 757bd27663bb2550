"""Child process of the `guard` benchmark: `python -m bench.guard_child '<json>'`.

Sets up one authorized bank officer and enterprises with 36 months of tax, utility and
social-insurance records each (plus some thousands of earlier access-log rows), then times,
in alternation, (a) the bank-facing profile read through the guard — decision, access-log
row (advisory lock, chain hash) and its commit — and (b) the same section reads with the
guard bypassed. Then the same two reads under `clients` concurrent clients (threads, each
with its own session and connection), each client reading its own enterprise, so that what
the guard serializes (the log's chain) shows as lost throughput and a longer tail.
Prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date


def _setup(log_rows: int, enterprises: int) -> tuple:
    import random

    from app.audit import services as audit
    from app.auth import services as auth_services
    from app.auth.models import Role
    from app.banks.services import create_bank
    from app.enterprises.services import get_by_uscc
    from app.extensions import db

    rng = random.Random(5)
    bank = create_bank("BENCHBANK", "基准银行")
    officer, _ = auth_services.create_user(
        role=Role.BANK_OFFICER, email="officer@bench.test", password="Bench-2026-pass",
        bank_code=bank.code,
    )  # fmt: skip
    usccs = _enterprises(rng, bank, enterprises)
    first = get_by_uscc(usccs[0])
    for _ in range(log_rows):  # an access log that is not empty
        audit.append(user_id=officer.id, bank_id=bank.id, enterprise_id=first.id,
                     endpoint="/setup", channel="api", outcome="allowed")  # fmt: skip
    db.session.commit()
    return officer, usccs


def _enterprises(rng, bank, count: int) -> list[str]:
    """`count` enterprises with 36 months of records each, all authorizing the bank, loaded
    as one import batch per source; their codes."""
    from app.consent import services as consent
    from app.demo.uscc import make_uscc
    from app.enterprises.models import Enterprise
    from app.extensions import db
    from app.ingest.services import ingest_records

    usccs = [make_uscc("610113", rng, kind="91") for _ in range(count)]
    firms = [
        Enterprise(uscc=uscc, name=f"基准测试{i:02d}有限公司", region_code="610113",
                   industry_code="C", scale="small", established_on=date(2015, 1, 1),
                   verified=True)
        for i, uscc in enumerate(usccs)
    ]  # fmt: skip
    db.session.add_all(firms)
    db.session.flush()
    consent.record_paper(usccs, categories=list(consent.NON_PUBLIC_CATEGORIES), evidence_ref="B")
    db.session.commit()
    periods = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    ingest_records("tax_payments", (
        {"uscc": uscc, "period": p, "tax_type": t, "amount": "1234.56",
         "due_on": f"{p}-15", "paid_on": f"{p}-10"}
        for uscc in usccs for p in periods for t in ("增值税", "个人所得税")
    ), origin="push")  # fmt: skip
    ingest_records("utility_bills", (
        {"uscc": uscc, "period": p, "utility": u, "amount_due": "500", "amount_paid": "500",
         "due_on": f"{p}-20", "paid_on": f"{p}-18"}
        for uscc in usccs for p in periods for u in ("water", "electricity")
    ), origin="push")  # fmt: skip
    ingest_records("social_insurance", (
        {"uscc": uscc, "period": p, "headcount": 20, "amount_due": "9000", "amount_paid": "9000",
         "paid_on": f"{p}-25"}
        for uscc in usccs for p in periods
    ), origin="push")  # fmt: skip
    text = consent.current_text("query")
    for firm in firms:
        grant = consent.grant_query(
            firm.id, bank.id, list(consent.ALL_CATEGORIES), purpose="pre_loan", user_id=None,
            ip=None, text_id=text.id, days=90,
        )  # fmt: skip
        # Every read of the run must be allowed, yet the guard must still count the day's
        # reads against a cap (its real cost): a cap no run reaches, beyond what a grant may
        # ask.
        grant.reads_per_day = 10**9
    db.session.commit()
    return usccs


def _summary(values: list[float], seconds: float | None = None) -> dict:
    values = sorted(values)
    result = {
        "median_ms": round(statistics.median(values), 3),
        "p95_ms": round(values[max(int(len(values) * 0.95) - 1, 0)], 3),
        "p99_ms": round(values[max(int(len(values) * 0.99) - 1, 0)], 3),
        "n": len(values),
    }
    if seconds:
        result["per_second"] = round(len(values) / seconds, 1)
    return result


def _concurrent(app, fn, usccs: list[str], seconds: float, warmup: float) -> dict:
    """`len(usccs)` closed-loop clients, each reading its own enterprise for `seconds`
    after `warmup`; every client has its own application context (session, connection)."""
    import threading

    from app.extensions import db

    start = threading.Barrier(len(usccs) + 1)
    timings: list[list[float]] = [[] for _ in usccs]
    failures: list[str] = []
    window: dict[str, float] = {}

    def client(index: int) -> None:
        with app.app_context():
            start.wait()
            try:
                while time.perf_counter() < window["end"]:
                    db.session.expire_all()
                    began = time.perf_counter()
                    fn(usccs[index])
                    if began >= window["begin"]:
                        timings[index].append((time.perf_counter() - began) * 1000)
            except Exception as exc:  # noqa: BLE001 - reported, and the run is void
                failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(usccs))]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window.update(begin=now + warmup, end=now + warmup + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return _summary([t for per_client in timings for t in per_client], seconds)


def main(argv: list[str]) -> int:
    from app import create_app
    from app.auth.models import User
    from app.bankview import profile
    from app.consent.guard import ALL_CATEGORIES, AccessDecision
    from app.enterprises.services import get_by_uscc
    from app.extensions import db
    from config import CONFIGS

    opts = json.loads(argv[1])
    clients = opts.get("clients", 0)
    # One connection per client, none waiting for the pool.
    pool = {"pool_pre_ping": True, "pool_size": max(clients, 5) + 2, "max_overflow": 0}
    app = create_app(type("BenchConfig", (CONFIGS["development"],),
                          {"SQLALCHEMY_ENGINE_OPTIONS": pool}))  # fmt: skip
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory="migrations")
        officer, usccs = _setup(opts["log_rows"], max(clients, 1))
        officer_id = officer.id

        # Both paths load the user first, as every request does (Flask-Login), so that the
        # difference is the guard alone.
        def guarded(uscc: str) -> None:
            user = db.session.get(User, officer_id)
            profile.bank_profile(user, uscc, endpoint="/bench", channel="api", ip="127.0.0.1")

        everything = AccessDecision(True, frozenset(ALL_CATEGORIES))

        def bypassed(uscc: str) -> None:  # the same read and assembly, minus guard and log
            db.session.get(User, officer_id)
            profile.authorized_view(get_by_uscc(uscc), everything)
            db.session.commit()

        timings: dict[str, list[float]] = {"guarded": [], "bypassed": []}
        for i in range(opts["iterations"] + opts["warmup"]):
            for name, fn in (("guarded", guarded), ("bypassed", bypassed))[:: 1 if i % 2 else -1]:
                db.session.expire_all()
                started = time.perf_counter()
                fn(usccs[0])
                if i >= opts["warmup"]:
                    timings[name].append((time.perf_counter() - started) * 1000)
    result: dict = {name: _summary(values) for name, values in timings.items()}
    result["added_median_ms"] = round(
        result["guarded"]["median_ms"] - result["bypassed"]["median_ms"], 3
    )
    if clients:
        seconds, warmup = opts["seconds"], opts["concurrent_warmup"]
        together = {name: _concurrent(app, fn, usccs[:clients], seconds, warmup)
                    for name, fn in (("bypassed", bypassed), ("guarded", guarded))}  # fmt: skip
        together["ratio"] = round(
            together["guarded"]["per_second"] / together["bypassed"]["per_second"], 3
        )
        together["clients"] = clients
        result["concurrent"] = together
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
