"""Webhook emitter (notes §12): one background thread posts each event, in order, so emitting
never slows an API response.

Headers: X-Discourse-Instance, X-Discourse-Event-Id, X-Discourse-Event-Type, X-Discourse-Event,
X-Discourse-Event-Signature (sha256=<hex HMAC-SHA256 of the exact body> when a secret is set),
Content-Type application/json, User-Agent Discourse/<version>. Body {"<type>": {...}}.
No retries: retry_web_hook_events defaults to false (notes §12). Timeout 20 s (notes §12).
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import requests

from bridge.loop.signature import sign

log = logging.getLogger(__name__)

USER_AGENT = "Discourse/3.5.0"  # notes §12: User-Agent Discourse/<version>
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Delivery:
    event_id: int
    event: str
    event_type: str
    status: int | None  # None when the receiver could not be reached
    error: str | None


class WebhookEmitter:
    def __init__(self, url: str | None, secret: str | None, instance: str):
        self.url = url
        self._secret = secret
        self.instance = instance
        self._ids = itertools.count(1)
        self._queue: queue.Queue[tuple[int, str, str, bytes] | threading.Event | None] = (
            queue.Queue()
        )
        self._session = requests.Session()
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self._thread: threading.Thread | None = None
        if url:
            self._thread = threading.Thread(target=self._run, name="emulator-webhooks", daemon=True)
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def emit(self, event: str, event_type: str, payload: dict[str, Any]) -> None:
        """Queue `{"<event_type>": payload}` for delivery (no-op without a URL)."""
        if not self.url:
            return
        body = json.dumps({event_type: payload}, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
        self._queue.put((next(self._ids), event, event_type, body))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued event was attempted (for tests)."""
        if not self._thread:
            return True
        done = threading.Event()  # set by the worker when it reaches this marker
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        if self._thread:
            self._queue.put(None)
            self._thread.join(timeout=5)
        self._session.close()

    def _run(self) -> None:
        url = self.url
        assert url, "the delivery worker starts only with a URL"
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            event_id, event, event_type, body = item
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Discourse-Instance": self.instance,
                "X-Discourse-Event-Id": str(event_id),
                "X-Discourse-Event-Type": event_type,
                "X-Discourse-Event": event,
            }
            if self._secret:
                headers["X-Discourse-Event-Signature"] = sign(body, self._secret)
            try:
                response = self._session.post(
                    url, data=body, headers=headers, timeout=TIMEOUT_SECONDS
                )
                delivery = Delivery(event_id, event, event_type, response.status_code, None)
            except requests.RequestException as exc:
                delivery = Delivery(event_id, event, event_type, None, type(exc).__name__)
                log.warning("webhook %s %s not delivered: %s", event_id, event, type(exc).__name__)
            with self._lock:
                self.deliveries.append(delivery)
