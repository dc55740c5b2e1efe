"""Fault injection for tests (issue 3, "For tests, not for production").

Settings are changed through the control API; counters (storm_429, drop_before,
drop_after_create) are consumed one request at a time.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from typing import Any

_FIELDS = (
    "error_rate",
    "error_status",
    "storm_429",
    "latency_ms",
    "drop_before",
    "drop_after_create",
)


@dataclass(frozen=True)
class FaultSettings:
    error_rate: float = 0.0  # share of API requests answered with error_status
    error_status: int = 500
    storm_429: int = 0  # the next N API requests are answered 429
    latency_ms: int = 0  # added before handling each API request
    drop_before: int = 0  # the next N API requests: connection closed before handling
    drop_after_create: int = 0  # the next N POST /posts: committed, then connection closed


@dataclass(frozen=True)
class Decision:
    latency_ms: int
    drop_before: bool
    storm_429: bool
    error_status: int | None


class Faults:
    def __init__(self, seed: int | None = None):
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._random = random.Random(seed)

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, reset: bool = False, **changes: Any) -> FaultSettings:
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        with self._lock:
            base = FaultSettings() if reset else self._settings
            typed: dict[str, Any] = {
                k: (float(v) if k == "error_rate" else int(v)) for k, v in changes.items()
            }
            if not 0.0 <= typed.get("error_rate", base.error_rate) <= 1.0:
                raise ValueError("error_rate must be between 0 and 1")
            self._settings = replace(base, **typed)
            return self._settings

    def decide(self) -> Decision:
        """What happens to the next API request (consumes one unit of any counter that fires)."""
        with self._lock:
            s = self._settings
            if s.drop_before > 0:
                self._settings = replace(s, drop_before=s.drop_before - 1)
                return Decision(s.latency_ms, True, False, None)
            if s.storm_429 > 0:
                self._settings = replace(s, storm_429=s.storm_429 - 1)
                return Decision(s.latency_ms, False, True, None)
            error = (
                s.error_status
                if s.error_rate > 0 and self._random.random() < s.error_rate
                else None
            )
            return Decision(s.latency_ms, False, False, error)

    def take_drop_after_create(self) -> bool:
        with self._lock:
            s = self._settings
            if s.drop_after_create > 0:
                self._settings = replace(s, drop_after_create=s.drop_after_create - 1)
                return True
            return False
