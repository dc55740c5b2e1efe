"""`digicanvis pull`, `schedule` and `webhook` through the CLI: output, exit codes, refusals."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
import requests
from plugins.forum import PairedCatalogue
from sqlmodel import Session
from tests_support import terminate, wait_for
from typer.testing import CliRunner

from bridge.cli import app
from bridge.loop.signature import sign
from bridge.models import Activity
from bridge.settings import Settings

runner = CliRunner()


def test_pull_json_summary_and_activity_in_projects_show(paired_catalogue: PairedCatalogue) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("girona-dades-obertes")
    emu.control(
        "reply",
        topic_id=topic,
        raw="Molt útil per als nostres estudis de mobilitat.",
        username="marta",
    )
    result = runner.invoke(app, ["pull", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # Three area lists, the overview topic (issue 11: its category is not an area), then the
    # challenges category's list (issue 12: empty, nothing else), then the connections
    # category's list (issue 22: empty, nothing else).
    assert (
        document["paired"] == 3
        and document["updated"] == 3
        and document["requests"] == 3 + 1 + 1 + 1
        and document["drift"] == []
    )
    assert document["page_reads"] == 1 and document["page_drift"] == []
    assert document["challenges"]["listed"] == 0 and document["challenges"]["pages"] == 1
    shown = json.loads(
        runner.invoke(app, ["projects", "show", "girona-dades-obertes", "--json"]).stdout
    )
    assert shown["activity"]["replies"] == 1 and shown["activity"]["participants"] == 2
    assert shown["topic_url"].endswith(f"/{topic}")


def test_pull_reports_drift_for_people(paired_catalogue: PairedCatalogue) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    emu.control("close", topic_id=cat.topic_id("sant-cugat-xatbot"))
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 0
    assert "drift  sant-cugat-xatbot: closed" in result.stdout
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert {"ref": "sant-cugat-xatbot", "what": ["closed"]} in status["drift"]
    # The pull is a run of its own in `status`, beside the syncs.
    assert [run["kind"] for run in status["last_pulls"]] == ["pull"]
    assert (
        status["last_pulls"][0]["counts"]["updated"] == 3
        and status["last_runs"][0]["kind"] == "sync"
    )
    assert "last pulls" in runner.invoke(app, ["status"]).stdout


def test_unreachable_forum_keeps_the_last_activity(
    paired_catalogue: PairedCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    emu.control("view", topic_id=cat.topic_id("sant-cugat-xatbot"), count=5)
    assert runner.invoke(app, ["pull"]).exit_code == 0
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("DISCOURSE_URL", dead)
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 2
    assert "last pulled activity is kept" in result.stderr
    with Session(cat.engine) as session:
        assert session.get(Activity, cat.state("sant-cugat-xatbot").project_id).views == 5


def test_forum_commands_refuse_without_a_forum(bridge_env: Settings) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for command in (["pull"], ["schedule", "--every", "1s"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, command
        assert "DISCOURSE_URL" in result.stderr


@pytest.mark.parametrize("every", ["soon", "0s", "15"])
def test_schedule_refuses_a_bad_interval(bridge_env: Settings, every: str) -> None:
    result = runner.invoke(app, ["schedule", "--every", every])
    assert result.exit_code == 2
    assert "--every" in result.stderr


def test_webhook_refuses_without_a_secret(bridge_env: Settings) -> None:
    result = runner.invoke(app, ["webhook"])
    assert result.exit_code == 2
    assert "BRIDGE_WEBHOOK_SECRET" in result.stderr


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_webhook_command_serves_and_stops_on_sigterm(bridge_env: Settings) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, BRIDGE_WEBHOOK_SECRET="cli-secret")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "webhook", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/webhooks/discourse"
        wait_for(lambda: _listening(port), timeout=20)
        body = b'{"ping": "OK"}'
        headers = {
            "X-Discourse-Event": "ping",
            "X-Discourse-Event-Type": "ping",
            "X-Discourse-Event-Id": "p1",
        }
        assert requests.post(
            url,
            data=body,
            headers=headers | {"X-Discourse-Event-Signature": sign(body, "cli-secret")},
            timeout=5,
        ).json() == {"status": "ignored"}
        assert (
            requests.post(
                url,
                data=body,
                headers=headers | {"X-Discourse-Event-Signature": sign(body, "wrong")},
                timeout=5,
            ).status_code
            == 403
        )
        assert (
            requests.post(
                url,
                data=b"{oops",
                headers=headers | {"X-Discourse-Event-Signature": sign(b"{oops", "cli-secret")},
                timeout=5,
            ).status_code
            == 400
        )
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    assert "cli-secret" not in stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_webhook_names_the_configured_port_when_it_cannot_listen(
    bridge_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """Issue 8 item 8: without --port the message said `host:None`; it names the port used."""
    from pathlib import Path

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = tmp_path / "bridge.toml"
        original = Path(os.environ["BRIDGE_CONFIG"]).read_text(encoding="utf-8")
        # The repository's file with its [webhook] port set to the busy one.
        config.write_text(re.sub(r"(?m)^port = \d+$", f"port = {port}", original), encoding="utf-8")
        monkeypatch.setenv("BRIDGE_CONFIG", str(config))
        monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", "s3cret-for-the-test")
        result = runner.invoke(app, ["webhook"])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "None" not in result.stderr
