"""`digicanvis emulator`: serves over TCP, prints its URL (never the key or secret), stops cleanly
on SIGTERM and Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests
from typer.testing import CliRunner

from bridge.cli import app


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not found:
        proc.kill()
        pytest.fail(f"no URL printed: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, found.group(0)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    proc, url = _start(
        "--api-key", "cli-secret-key", "--webhook-secret", "hook-secret", "--rate-limit", "0"
    )
    try:
        ok = requests.get(
            url + "/latest.json",
            headers={"Api-Key": "cli-secret-key", "Api-Username": "system"},
            timeout=10,
        )
        assert ok.status_code == 200
        refused = requests.get(
            url + "/latest.json", headers={"Api-Key": "other", "Api-Username": "system"}, timeout=10
        )
        assert refused.status_code == 403
        # the control API is off unless --test-control
        assert requests.post(url + "/_emulator/stats", json={}, timeout=10).status_code == 404
    finally:
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "cli-secret-key" not in out + err and "hook-secret" not in out + err


def test_api_key_from_environment_and_test_control() -> None:
    proc, url = _start("--test-control", "--rate-limit", "5", env={"EMULATOR_API_KEY": "env-key"})
    try:
        headers = {"Api-Key": "env-key", "Api-Username": "system"}
        assert requests.get(url + "/latest.json", headers=headers, timeout=10).status_code == 200
        assert requests.post(url + "/_emulator/stats", json={}, timeout=10).json()["total"] == 1
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_bad_options_exit_2() -> None:
    result = CliRunner().invoke(app, ["emulator", "--rate-limit", "-1"])
    assert result.exit_code == 2
    assert "rate-limit" in result.output
