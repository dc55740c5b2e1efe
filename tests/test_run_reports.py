"""Issue 28 points 9 and 11: what a run says. SIGTERM records and prints what was done; `sync`
prints a moderator's change it reverted; `--dry-run` prints the requests and their time at the
configured rate; tables are plain off a terminal; long syncs report N/M, the rate, the time
left and the pauses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from plugins.forum import PairedCatalogue
from typer.testing import CliRunner

from bridge.cli.app import app
from bridge.cli.sync import _Reporter
from bridge.emulator import RunningEmulator
from bridge.sync.plan import Plan
from tests.plugins.sync import add_projects, edit_project

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def test_sigterm_records_and_prints_what_the_sync_did(
    bridge_env: Any, engine: sa.Engine, database_url: str, sync_emulator: RunningEmulator
) -> None:
    add_projects(engine, 40)
    sync_emulator.control("faults", latency_ms=60)  # slow enough to stop it half-way
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "DISCOURSE_"))},
        "BRIDGE_DATABASE_URL": database_url,
        "BRIDGE_CONFIG": str(REPO / "config" / "bridge.toml"),
        "DISCOURSE_URL": sync_emulator.url,
        "DISCOURSE_API_KEY": sync_emulator.api_key,
        "BRIDGE_RATE_LIMIT_PER_MINUTE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    created = 0
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        created += line.rstrip().endswith(": created")
        if created == 5:
            break
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, "".join(seen) + stderr
    assert "interrupted: stopped on request" in stderr
    made = sum(line.rstrip().endswith(": created") for line in [*seen, *stderr.splitlines()])
    assert 5 <= made < 40
    assert f"created {made}," in stdout and "requests)" in stdout
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    last = status["last_runs"][0]
    assert last["status"] == "interrupted" and last["counts"]["created"] == made
    assert last["requests"] >= made
    assert "interrupted" in runner.invoke(app, ["status"]).stdout


def test_sync_prints_the_moderators_change_it_reverted(
    paired_catalogue: PairedCatalogue,
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    emu.control("close", topic_id=cat.topic_id("sant-cugat-xatbot"))
    assert runner.invoke(app, ["pull"]).exit_code == 0
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert (
        "reverted: sant-cugat-xatbot: the forum's change to closed was undone "
        "(drift policy catalogue-wins)"
    ) in result.stdout


def test_dry_run_prints_the_requests_and_their_time_at_the_configured_rate(
    paired_catalogue: PairedCatalogue, monkeypatch: Any
) -> None:
    cat = paired_catalogue
    for ref in ("sant-cugat-xatbot", "girona-dades-obertes"):
        edit_project(cat.engine, ref, description=f"Una descripció nova i més clara per a {ref}.")
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "60")
    result = runner.invoke(app, ["sync", "--dry-run", "--json"])
    document = json.loads(result.stdout)
    planned = document["requests_planned"]
    # Two bodies, and the index and overview topics that list them.
    assert planned >= 2 and document["seconds_at_rate"] == planned * 1.0
    human = runner.invoke(app, ["sync", "--dry-run"]).stdout
    assert f"about {planned} requests, about {planned}s at the configured 60 a minute" in human
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    done = json.loads(runner.invoke(app, ["sync", "--json"]).stdout)
    assert done["requests"] == planned  # the estimate is what the run sent


def test_the_demo_piped_prints_urls_whole() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    urls = [line for line in result.stdout.splitlines() if "/t/" in line]
    assert urls and all(len(line.strip()) > 1 for line in result.stdout.splitlines() if line)
    # One topic a line: ref, category, tags and the whole URL, separated by tabs.
    row = next(line for line in urls if line.startswith("bcn-decidim\t"))
    assert row.split("\t")[-1].startswith("http://127.0.0.1:") and row.count("\t") == 3


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_progress_lines_say_n_of_m_the_rate_the_time_left_and_pauses(
    capsys: Any,
) -> None:
    from bridge.sync.apply import Outcome
    from bridge.sync.plan import Result, Unchanged

    class Writes(Plan):
        @property
        def writes(self) -> tuple[Any, ...]:
            return tuple(range(100))  # type: ignore[arg-type]

    clock = _Clock()
    reporter = _Reporter(clock)
    reporter("plan", Writes(actions=(Unchanged("x", 1),)))
    for n in range(20):
        clock.now += 1.0
        reporter("done", Outcome(f"r{n}", "create", Result.created))
    reporter.waiting(61.0, "the rate limit")
    reporter.waiting(0.5, "the rate limit")  # short pauses are not worth a line
    lines = capsys.readouterr().err.splitlines()
    assert "sync: 10/100 written, 1.0 a second, about 1m30s left" in lines
    assert "sync: 20/100 written, 1.0 a second, about 1m20s left" in lines
    assert lines[-1] == "sync: waiting 1m1s for the rate limit (20/100 written)"
