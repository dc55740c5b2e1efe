"""The admin API key limiter (notes §9): one sliding window of 60 s shared by every request
authenticated with an admin/all-users Api-Key, whatever the key or user (core
lib/auth/default_current_user_provider.rb `admin_api_key_limiter`, key "admin_api_min" without
user or key id). Only requests whose key was accepted count; a refused request is not recorded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

ERROR_CODE = "admin_api_key_rate_limit"  # notes §9


class SlidingWindowLimiter:
    """core lib/rate_limiter.rb: keep the last `max` timestamps; a new request is allowed when
    fewer than `max` fall inside the window, otherwise wait = window − age of the oldest."""

    def __init__(
        self,
        max_requests: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_requests = max_requests
        self.window = window_seconds
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_requests > 0

    def try_acquire(self) -> int | None:
        """Record a request and return None, or return the whole seconds to wait (≥1)."""
        if not self.enabled:
            return None
        with self._lock:
            now = self._clock()
            while self._stamps and now - self._stamps[0] >= self.window:
                self._stamps.popleft()
            if len(self._stamps) < self.max_requests:
                self._stamps.append(now)
                return None
            wait = self.window - (now - self._stamps[0])
            return max(1, math.ceil(wait))

    def reset(self) -> None:
        with self._lock:
            self._stamps.clear()
