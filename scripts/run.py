"""`make run`: the web server and the scheduler side by side, so that reminders, expiries,
pulls and rollups happen while one tries the platform.

    .venv/bin/python scripts/run.py [--port 5000]

Ctrl-C (SIGINT to the terminal's process group) or SIGTERM stops both: each is told to stop
(the scheduler then finishes its running job and releases its lease), and whichever ends
first takes the other with it. Exit status: the web server's.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
GRACE_SECONDS = 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5000")
    args = parser.parse_args(argv)

    scheduler = subprocess.Popen([*FLASK, "scheduler", "run"], cwd=ROOT)
    web = subprocess.Popen([*FLASK, "run", "--host", args.host, "--port", args.port], cwd=ROOT)
    both = (web, scheduler)
    stopping = False

    def stop(_signum: int | None = None, _frame: object = None) -> None:
        nonlocal stopping
        stopping = True
        for process in both:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in both):
        time.sleep(0.2)
    stop()
    for process in both:
        try:
            process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print("web server and scheduler stopped", flush=True)
    return 0 if web.returncode in (0, -signal.SIGTERM, -signal.SIGINT) else web.returncode


if __name__ == "__main__":
    sys.exit(main())
