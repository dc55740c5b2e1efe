"""Request counters, so tests can assert how many requests a client made and of what kind."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: Counter[str] = Counter()
        self._status: Counter[str] = Counter()
        self._total = 0

    def record(self, route: str, status: int | None) -> None:
        with self._lock:
            self._total += 1
            self._routes[route] += 1
            self._status["dropped" if status is None else str(status)] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self._total,
                "by_route": dict(self._routes),
                "status": dict(self._status),
            }

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._status.clear()
            self._total = 0
