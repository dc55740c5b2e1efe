"""Issue 14 items 1, 8 (a non-Latin-1 key) and 12: no secret reaches the screen, a log or the
database by any path; a key that cannot be a header value is refused with exit 2; an answer
that is not the forum's API is a configuration error (exit 2), not a failed record."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import responses
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from plugins.sync import add_projects
from typer.testing import CliRunner

from bridge import redact
from bridge.cli import app
from bridge.db import engine_for, make_engine
from bridge.emulator import RunningEmulator
from bridge.forum.client import ForumClient
from bridge.forum.errors import ForumMisconfigured
from bridge.settings import ConfigError, Settings, load_settings

PASSWORD = "pw-Zq81-hunter2"


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    # Each test must show that *it* registers what it scrubs, not ride on an earlier test.
    redact.forget_all()
    yield
    redact.forget_all()


@pytest.fixture
def catalogue(bridge_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    engine = make_engine(bridge_env.database_url)
    yield engine
    engine.dispose()
    engine_for(bridge_env.database_url).dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def everything_shown(*extra: str) -> str:
    """What a person or a script can see afterwards: status, every record, the run log."""
    shown = list(extra)
    for args in (("status", "--json"), ("projects", "list", "--json")):
        shown.append(run(*args)[1])
    for record in json.loads(run("projects", "list", "--json")[1]):
        shown.append(run("projects", "show", record["ref"], "--json")[1])
        shown.append(run("projects", "show", record["ref"])[1])
    return "\n".join(shown)


# --------------------------------------------------------------------------- the key's whitespace


def test_a_key_with_surrounding_whitespace_is_stripped_and_works(
    catalogue: sa.Engine, sync_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_projects(catalogue, 2)
    monkeypatch.setenv("DISCOURSE_URL", sync_emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", f"  {sync_emulator.api_key}\r\n")
    code, stdout, stderr = run("sync", "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["created"] == 2


@pytest.mark.parametrize(
    "bad_key",
    ["KEY-line\nbreak-SECRETPART", "KEY-with-\x1b-SECRETPART", "KEY-€uro-SECRETPART"],
    ids=["line-break", "control", "non-latin-1"],
)
def test_a_key_that_is_no_header_value_is_refused_without_showing_it(
    catalogue: sa.Engine,
    sync_emulator: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    bad_key: str,
) -> None:
    add_projects(catalogue, 1)
    monkeypatch.setenv("DISCOURSE_URL", sync_emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", bad_key)
    code, stdout, stderr = run("sync")
    assert code == 2
    assert "DISCOURSE_API_KEY" in stderr and "header" in stderr
    assert "SECRETPART" not in stdout + stderr
    monkeypatch.delenv("DISCOURSE_API_KEY")
    assert "SECRETPART" not in everything_shown()


def test_a_secret_of_only_whitespace_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", "   ")
    with pytest.raises(ConfigError, match=r"BRIDGE_WEBHOOK_SECRET.*only whitespace"):
        load_settings()
    monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", " \tsecret-value\n")
    assert load_settings().webhook_secret.get_secret_value() == "secret-value"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- echoing forums


class _EchoingProxy(BaseHTTPRequestHandler):
    """A proxy before the forum whose error page for new topics echoes the request headers (as
    some debugging proxies and misconfigured forums do); everything else goes to the forum."""

    upstream = ""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "POST" and self.path.startswith("/posts"):
            echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
            payload = json.dumps({"errors": [f"bad request, headers were {echoed}"]}).encode()
            self.send_response(422)
        else:
            answer = requests.request(
                self.command,
                self.upstream + self.path,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                data=body,
                allow_redirects=False,
                timeout=30,
            )
            payload = answer.content
            self.send_response(answer.status_code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echoing_proxy(sync_emulator: RunningEmulator) -> Iterator[str]:
    handler = type("Handler", (_EchoingProxy,), {"upstream": sync_emulator.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_forum_echoing_the_key_does_not_get_it_shown_or_stored(
    catalogue: sa.Engine,
    sync_emulator: RunningEmulator,
    echoing_proxy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_projects(catalogue, 2)
    monkeypatch.setenv("DISCOURSE_URL", echoing_proxy)
    monkeypatch.setenv("DISCOURSE_API_KEY", sync_emulator.api_key)
    code, stdout, stderr = run("sync", "--json")
    assert code == 1  # each create refused: failed records, listed
    summary = json.loads(stdout)
    assert summary["failed"] == 2
    assert all("Api-Username: system" in f["error"] for f in summary["failures"])  # echoed...
    assert all("Api-Key: ***" in f["error"] for f in summary["failures"])  # ...but not the key
    shown = everything_shown(stdout, stderr)
    assert "Api-Key: ***" in shown
    assert sync_emulator.api_key not in shown
    with catalogue.connect() as conn:
        stored = conn.execute(sa.text("SELECT last_error FROM sync_state")).scalars().all()
        runs = conn.execute(sa.text("SELECT message, failures FROM sync_run")).all()
    assert len(stored) == 2
    assert sync_emulator.api_key not in repr(stored) + repr(runs)


# --------------------------------------------------------------------------- URL credentials


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_password_in_discourse_url_is_never_shown_or_stored(
    catalogue: sa.Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    add_projects(catalogue, 1)
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DISCOURSE_URL", f"http://admin:{PASSWORD}@127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("DISCOURSE_API_KEY", "some-api-key-value")
    code, stdout, stderr = run("sync")
    assert code == 2
    assert "cannot connect" in stderr
    assert PASSWORD not in stdout + stderr
    assert PASSWORD not in caplog.text and "some-api-key-value" not in caplog.text
    with catalogue.connect() as conn:
        messages = conn.execute(sa.text("SELECT message FROM sync_run")).scalars().all()
    assert messages and all(PASSWORD not in (m or "") for m in messages)
    assert PASSWORD not in everything_shown()


def test_logging_is_scrubbed_whatever_the_handler(caplog: pytest.LogCaptureFixture) -> None:
    load_settings(discourse_url="https://forum.example.cat", discourse_api_key="k3y-0f-the-f0rum")
    caplog.set_level(logging.INFO)
    log = logging.getLogger("some.library")
    log.warning("sent header Api-Key=%s", "k3y-0f-the-f0rum")
    try:
        raise RuntimeError("Invalid header value ' k3y-0f-the-f0rum\\n'")
    except RuntimeError:
        log.exception("request failed")
    assert "k3y-0f-the-f0rum" not in caplog.text
    assert "Api-Key=***" in caplog.text


# --------------------------------------------------------------------------- item 12


class _Wrong(BaseHTTPRequestHandler):
    """Not the forum: `mode` is "html" (a web page for every path) or "redirect" (elsewhere)."""

    mode = "html"

    def do_GET(self) -> None:
        if self.mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "https://login.example.org/sso")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        page = b"<!doctype html><html><body>Welcome to our site</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_POST = do_PUT = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("mode", ["html", "redirect"])
def test_not_the_forum_is_a_configuration_error(
    catalogue: sa.Engine, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    add_projects(catalogue, 2)
    handler = type("Handler", (_Wrong,), {"mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("DISCOURSE_URL", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("DISCOURSE_API_KEY", "some-api-key-value")
        code, _, stderr = run("sync")
        assert code == 2, stderr
        assert "DISCOURSE_URL" in stderr
        status = json.loads(run("status", "--json")[1])
        assert status["failed"] == 0  # no record blamed for the configuration
    finally:
        server.shutdown()
        server.server_close()


def test_an_api_username_that_is_no_header_value_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "system\r\nX-Injected: 1")
    with pytest.raises(ConfigError, match=r"DISCOURSE_API_USERNAME.*header"):
        load_settings()


def test_the_webhook_command_refuses_a_blank_secret(tmp_path: Path) -> None:
    # A subprocess with a timeout: were the blank secret accepted, the receiver would serve on.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "DISCOURSE_"))}
    env |= {
        "BRIDGE_WEBHOOK_SECRET": "   ",
        "BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "BRIDGE_CONFIG": str(Path(__file__).resolve().parents[1] / "config" / "bridge.toml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "webhook", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "BRIDGE_WEBHOOK_SECRET" in done.stderr and "only whitespace" in done.stderr


@pytest.mark.parametrize(
    ("method", "status"), [("GET", 404), ("PUT", 404), ("PUT", 422), ("POST", 200)]
)
def test_an_html_page_is_never_read_as_a_forum_answer(method: str, status: int) -> None:
    """A 404 page of the wrong site must not read as "the topic was deleted" (which a sync would
    record as drift), nor a login page's 200 as an ambiguous create (a failed record)."""
    base = "https://forum.example.cat"
    with responses.RequestsMock() as mock, ForumClient(base, "k" * 64, sleep=lambda s: None) as c:
        path = {"GET": "/t/7.json", "PUT": "/t/-/7.json", "POST": "/posts.json"}[method]
        mock.add(method, base + path, body="<html>Not here</html>", status=status,
                 content_type="text/html; charset=utf-8")  # fmt: skip
        with pytest.raises(ForumMisconfigured, match="DISCOURSE_URL"):
            if method == "GET":
                c.get_topic(7)
            elif method == "PUT":
                c.update_topic(7, title="Un títol prou llarg")
            else:
                c._create_topic(
                    title="Un títol prou llarg", raw="r" * 30, category_id=1, tags=[],
                    external_id="dc-1",
                )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=6, max_size=40
    ),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    spelling=st.sampled_from(["plain", "repr", "json", "quoted", "padded"]),
)
def test_scrub_removes_a_registered_secret_however_it_is_spelt(
    secret: str, before: str, after: str, spelling: str
) -> None:
    redact.forget_all()
    redact.register(f" {secret}\n")  # registered as read, whitespace and all
    shown = {
        "plain": secret,
        "repr": repr(f" {secret}\n"),
        "json": json.dumps(secret),
        "quoted": quote(secret, safe=""),
        "padded": f" {secret}\n",
    }[spelling]
    assert secret not in redact.scrub(before + shown + after)
