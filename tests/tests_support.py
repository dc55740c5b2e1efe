"""Small helpers shared by test modules (not fixtures)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


def repo_config_with(old: str, new: str) -> str:
    """The repository's TOML file with one setting changed (the old text must be present)."""
    text = REPO_CONFIG.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in config/bridge.toml"
    return text.replace(old, new)


def wait_for(check: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> None:
    """Poll `check` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not reached within {timeout} s")


def terminate(proc: subprocess.Popen, timeout: float = 30.0) -> tuple[str, str]:
    """SIGTERM a child process and collect its output (killing it if it does not stop)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


class FakeTime:
    """A clock that only moves when someone sleeps (or the test advances `now`)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


_RUN_AND_LIST = """
import json, sys
from bridge.cli import app
try:
    app(sys.argv[2:], prog_name="digicanvis")
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def modules_loaded(tmp_path: Path, *args: str, timeout: float = 180) -> tuple[set[str], str]:
    """`digicanvis ARGS` in a fresh interpreter that succeeds (exit 0): the modules it loaded
    and its stderr (the start-up tests of issues 11 and 15)."""
    report = tmp_path / "modules.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, str(report), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=tmp_path,
        timeout=timeout,
    )
    assert report.exists(), proc.stderr
    result = json.loads(report.read_text())
    assert result["code"] in (0, None), (args, proc.stderr)
    return set(result["modules"]), proc.stderr
