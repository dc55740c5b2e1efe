"""GET /healthz and GET /metrics (issue 26) over HTTP: beside the webhook receiver and from
`schedule --metrics-port`; JSON logs (`--log-format json`), secrets scrubbed."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from plugins.sync import SyncHarness, add_project, add_projects
from prometheus_client.parser import text_string_to_metric_families
from tests_support import terminate, wait_for

from bridge import redact
from bridge.db import make_engine, session_scope
from bridge.logs import JsonFormatter, LogFormat, configure
from bridge.loop.events import make_processor
from bridge.loop.health import HealthApp, with_health
from bridge.loop.signature import sign
from bridge.loop.webhook import PATH, make_app, make_server
from bridge.settings import Settings

SECRET = "health-webhook-s3cret"


def serve(app: Any) -> tuple[str, Any]:
    server = make_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


@pytest.fixture
def receiver(harness: SyncHarness) -> Iterator[str]:
    engine = harness.engine
    application = with_health(
        make_app(SECRET, make_processor(lambda: session_scope(engine))), HealthApp(engine)
    )
    url, server = serve(application)
    yield url
    server.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_and_metrics_beside_the_receiver(harness: SyncHarness, receiver: str) -> None:
    health = requests.get(f"{receiver}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "reachable", "last_run": None}

    refs = add_projects(harness.engine, 3)
    assert harness.sync().created == 3
    last = requests.get(f"{receiver}/healthz", timeout=10).json()["last_run"]
    assert (last["kind"], last["status"]) == ("sync", "ok")
    assert 0 <= last["age_seconds"] < 60

    body = json.dumps({"ping": "OK"}).encode()
    headers = {"X-Discourse-Event": "ping", "X-Discourse-Event-Id": "7"}
    signed = dict(headers, **{"X-Discourse-Event-Signature": sign(body, SECRET)})
    assert requests.post(f"{receiver}{PATH}", data=body, headers=signed, timeout=10).ok
    assert requests.post(f"{receiver}{PATH}", data=body, headers=headers, timeout=10).status_code
    wrong = dict(headers, **{"X-Discourse-Event-Signature": sign(body, "not-the-secret")})
    assert requests.post(f"{receiver}{PATH}", data=body, headers=wrong, timeout=10).status_code

    response = requests.get(f"{receiver}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert found[("digicanvis_database_up", ())] == 1
    assert found[("digicanvis_records", (("status", "synced"),))] == 3
    assert found[("digicanvis_records", (("status", "failed"),))] == 0
    assert found[("digicanvis_runs", (("kind", "sync"), ("status", "ok")))] == 1
    assert found[("digicanvis_last_success_timestamp_seconds", (("kind", "sync"),))] > 0
    assert found[("digicanvis_challenges_open", ())] == 0
    assert found[("digicanvis_webhook_deliveries_total", (("result", "processed"),))] == 1
    assert found[("digicanvis_webhook_deliveries_total", (("result", "unsigned"),))] == 1
    assert found[("digicanvis_webhook_deliveries_total", (("result", "bad_signature"),))] == 1
    # The forum client's counters (this process's): the sync's requests were counted.
    assert found[("digicanvis_forum_requests_total", (("outcome", "ok"),))] >= 3
    assert ("digicanvis_forum_rate_limited_total", ()) in found
    assert ("digicanvis_forum_retries_total", ()) in found
    # Nothing secret or personal: no key, secret, ref, URL of the forum.
    for private in (SECRET, harness.emulator.api_key, harness.emulator.url, *refs):
        assert private not in response.text


def test_a_verified_delivery_is_logged_with_its_topic_id(
    harness: SyncHarness, receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    from bridge.emulator import serializers

    add_projects(harness.engine, 1)
    harness.sync()
    (topic,) = harness.live_topics()
    with harness.emulator.state.lock:
        payload = {"topic": serializers.webhook_topic(harness.emulator.state, topic)}
    body = json.dumps(payload).encode()
    headers = {
        "X-Discourse-Event": "topic_edited",
        "X-Discourse-Event-Type": "topic",
        "X-Discourse-Event-Id": "41",
        "X-Discourse-Event-Signature": sign(body, SECRET),
    }
    with caplog.at_level(logging.INFO, logger="bridge.loop.health"):
        response = requests.post(f"{receiver}{PATH}", data=body, headers=headers, timeout=10)
        assert response.status_code == 200
        unsigned = {k: v for k, v in headers.items() if "Signature" not in k}
        requests.post(f"{receiver}{PATH}", data=body, headers=unsigned, timeout=10)
    lines = [r for r in caplog.records if getattr(r, "event", None) == "webhook.delivery"]
    assert [(r.outcome, r.topic_id) for r in lines] == [  # type: ignore[attr-defined]
        ("processed", topic.id),
        ("unsigned", None),  # an unverified body names no topic
    ]
    assert all(r.delivery == "41" and r.duration_ms >= 0 for r in lines)  # type: ignore[attr-defined]


def test_a_forum_429_and_a_retry_are_counted(harness: SyncHarness, receiver: str) -> None:
    before = samples(requests.get(f"{receiver}/metrics", timeout=10).text)
    harness.emulator.faults(storm_429=1)
    add_projects(harness.engine, 1)
    assert harness.sync().created == 1
    after = samples(requests.get(f"{receiver}/metrics", timeout=10).text)
    key = ("digicanvis_forum_rate_limited_total", ())
    assert after[key] == before[key] + 1
    limited = ("digicanvis_forum_requests_total", (("outcome", "rate_limited"),))
    assert after[limited] == before[limited] + 1


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'catalogue.db'}")
    url, server = serve(HealthApp(engine))
    try:
        response = requests.get(f"{url}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unreachable"}
        metrics = samples(requests.get(f"{url}/metrics", timeout=10).text)
        assert metrics[("digicanvis_database_up", ())] == 0
        assert requests.post(f"{url}/healthz", timeout=10).status_code == 405
        assert requests.get(f"{url}/other", timeout=10).status_code == 404
    finally:
        server.close()
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_schedule_serves_health_and_logs_json(
    bridge_env: Settings, engine: sa.Engine, harness: SyncHarness
) -> None:
    add_projects(engine, 2)
    add_project(engine, "too-long", 9, description="Massa llarg. " * 3000)
    port = _free_port()
    env = dict(
        os.environ,
        DISCOURSE_URL=harness.emulator.url,
        DISCOURSE_API_KEY=harness.emulator.api_key,
        BRIDGE_RATE_LIMIT_PER_MINUTE="0",
        BRIDGE_LOG_FORMAT="json",
        BRIDGE_DATABASE_URL=bridge_env.database_url,
        BRIDGE_CONFIG=str(bridge_env.config_path),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "schedule", "--every", "1h", "--metrics-port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def pulled() -> bool:
        assert proc.poll() is None, "the scheduler exited"
        try:
            last = requests.get(f"{base}/healthz", timeout=2).json()["last_run"]
        except requests.RequestException:
            return False
        return bool(last) and last["kind"] == "pull" and last["end"] is not None

    try:
        wait_for(pulled, timeout=60)
        found = samples(requests.get(f"{base}/metrics", timeout=10).text)
        assert found[("digicanvis_records", (("status", "synced"),))] == 2
        assert found[("digicanvis_forum_requests_total", (("outcome", "ok"),))] > 0
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "event", "message"} <= set(doc) for doc in lines)
    finished = next(doc for doc in lines if doc["event"] == "sync.finished")
    assert finished["outcome"] == "partial" and isinstance(finished["run_id"], int)
    assert finished["duration_ms"] >= 0 and "2 created" in finished["message"]
    failed = next(doc for doc in lines if doc["event"] == "sync.record_failed")
    assert (failed["ref"], failed["outcome"], failed["level"]) == ("too-long", "failed", "warning")
    assert failed["run_id"] == finished["run_id"]
    assert lines[-1]["event"] == "schedule.stopped"
    assert harness.emulator.api_key not in stderr


# ---------------------------------------------------------------------------- log format


def _record(message: str, **extra: Any) -> logging.LogRecord:
    record = logging.getLogger("bridge.test").makeRecord(
        "bridge.test", logging.INFO, __file__, 1, message, (), None, extra=extra
    )
    return record


def test_json_lines_carry_the_fields_and_no_secret() -> None:
    redact.register("super-secret-key-123")
    try:
        record = _record(
            "sync done with super-secret-key-123",
            event="sync.finished",
            run_id=4,
            ref="dc-1",
            topic_id=99,
            outcome="ok",
            duration_ms=12.5,
        )
        doc = json.loads(JsonFormatter().format(record))
    finally:
        redact.forget_all()
    assert doc["event"] == "sync.finished" and doc["level"] == "info"
    assert (doc["run_id"], doc["ref"], doc["topic_id"], doc["outcome"]) == (4, "dc-1", 99, "ok")
    assert doc["duration_ms"] == 12.5 and doc["time"].endswith("+00:00")
    assert "super-secret-key-123" not in json.dumps(doc) and "***" in doc["message"]


def test_configure_human_by_default_and_one_line_per_delivery() -> None:
    stream = io.StringIO()
    configure(LogFormat.human, stream=stream)
    try:
        logging.getLogger("bridge.loop").info("sync: 1 created", extra={"event": "sync.finished"})
        logging.getLogger("bridge.loop.webhook").info("webhook 1 ping: ignored in 1 ms")
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "digicanvis"]:
            root.removeHandler(handler)
    assert stream.getvalue() == "sync: 1 created\n"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_webhook_command_serves_health_and_logs_json(bridge_env: Settings) -> None:
    port = _free_port()
    env = dict(
        os.environ, BRIDGE_WEBHOOK_SECRET=SECRET, BRIDGE_DATABASE_URL=bridge_env.database_url
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "webhook", "--port", str(port), "--log-format", "json"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "the receiver exited"
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=30)
        assert requests.get(f"{base}/healthz", timeout=5).json()["database"] == "reachable"
        body = b'{"ping": "OK"}'
        headers = {"X-Discourse-Event": "ping", "X-Discourse-Event-Id": "p9"}
        signed = headers | {"X-Discourse-Event-Signature": sign(body, SECRET)}
        assert requests.post(f"{base}{PATH}", data=body, headers=signed, timeout=5).ok
        metrics = samples(requests.get(f"{base}/metrics", timeout=5).text)
        assert metrics[("digicanvis_webhook_deliveries_total", (("result", "processed"),))] == 1
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    delivery = next(doc for doc in lines if doc["event"] == "webhook.delivery")
    assert (delivery["delivery"], delivery["outcome"]) == ("p9", "processed")
    assert SECRET not in stderr
