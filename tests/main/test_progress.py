"""Long commands show a progress bar on a terminal (a real pseudo-terminal here), and nothing
extra off a terminal or with --json; the services report their totals and steps."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from app.progress import Progress, wanted
from tests.factories import Factories
from tests.ingest.conftest import csv_text

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


class Recorder(Progress):
    """A Progress that remembers what a service told it."""

    def __init__(self) -> None:
        super().__init__()
        self.totals: list[int | None] = []
        self.steps: list[int] = []

    def total(self, n: int | None) -> None:
        self.totals.append(n)

    def advance(self, n: int = 1) -> None:
        self.steps.append(n)


def _run(args: list[str], env: dict, *, terminal: bool) -> tuple[int, str, str]:
    """Run a flask command with standard error on a pseudo-terminal (or a pipe)."""
    if not terminal:
        done = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, timeout=120)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*FLASK, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=follower
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _w, _x = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(leader, 4096)
        except OSError:  # the command closed the terminal
            break
        if not data:
            break
        seen += data
    os.close(leader)
    out, _err = process.communicate(timeout=60)
    return process.returncode, out.decode(), seen.decode(errors="replace")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder / 'cli.sqlite'}", COLUMNS="100")
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    env["XYD_FOLDER"] = str(folder)
    return env


def test_demo_generate_draws_a_bar_on_a_terminal_only(env):
    out = Path(env["XYD_FOLDER"]) / "demo"
    args = ["demo", "generate", "--enterprises", "40", "--months", "3", "--out", str(out)]
    code, stdout, terminal = _run(args, env, terminal=True)
    assert code == 0 and "rows in" in stdout
    assert "demo: 100%" in terminal and "40/40" in terminal and "enterprises/s" in terminal
    code, stdout, stderr = _run(args, env, terminal=False)
    assert code == 0 and "rows in" in stdout and stderr == ""


def test_ingest_file_bar_and_none_with_json(env):
    path = Path(env["XYD_FOLDER"]) / "firms.csv"
    header = ["统一社会信用代码", "企业名称", "成立日期", "行政区划代码", "行业代码"]
    row = [Factories().uscc(), "一号公司", "2020-01-01", "610113", "C"]
    path.write_text(csv_text(header, [row]), encoding="utf-8")
    code, stdout, terminal = _run(["ingest", "file", "enterprises", str(path)], env, terminal=True)
    assert code == 0 and "batch" in stdout
    assert "enterprises: 100%" in terminal and "1/1" in terminal
    args = ["ingest", "file", "enterprises", str(path), "--json"]
    code, stdout, terminal = _run(args, env, terminal=True)
    assert code == 0 and json.loads(stdout)["rows"] == 1
    assert "%" not in terminal  # a terminal, but the output is for a program


def test_profiles_rebuild_and_stats_rollup_on_a_terminal(env):
    code, _out, terminal = _run(["profiles", "rebuild"], env, terminal=True)
    assert code == 0 and "profiles: 100%" in terminal
    code, _out, terminal = _run(["profiles", "rebuild", "--json"], env, terminal=True)
    assert code == 0 and "%" not in terminal
    code, _out, terminal = _run(["stats", "rollup", "--all"], env, terminal=True)
    assert code == 0 and "rollup:" in terminal


def test_a_bar_needs_a_terminal_and_no_json(tmp_path):
    class Terminal:
        def isatty(self) -> bool:
            return True

    with open(tmp_path / "log.txt", "w") as log:
        assert not wanted(stream=log)
    assert wanted(stream=Terminal())  # type: ignore[arg-type]
    assert not wanted(as_json=True, stream=Terminal())  # type: ignore[arg-type]
