"""Prints what the contract run sent (requests, statuses by class, failures)."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter):
    module = sys.modules.get("tests.fuzz.test_contract")
    if module is None or not module.TALLY.operations:
        return
    tally = module.TALLY
    classes = ", ".join(f"{k}xx: {v}" for k, v in sorted(tally.statuses.items()))
    terminalreporter.write_line(
        f"fuzz: {tally.requests} requests over {tally.operations} (operation, mode) runs "
        f"({classes}); {len(tally.failures)} distinct failures"
    )
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(tally.codes.items()))
    terminalreporter.write_line(f"fuzz: by status {codes}")
