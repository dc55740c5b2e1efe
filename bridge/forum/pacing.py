"""Client-side pacing that mirrors Discourse's own limiter, so the forum never has to say 429.

Discourse counts API requests with a sliding window holding the timestamps of the last `max`
requests; a new request is admitted when fewer than `max` are stored or when the oldest one is
older than the window, and the wait it reports is `window - age of the oldest`
(API-NOTES §9; core: lib/rate_limiter.rb `PERFORM_LUA`, `seconds_to_wait`).

Two details of core's limiter matter for a client that wants the whole budget and no 429:
- it stamps requests with WHOLE seconds (`Time.now.to_i`) and admits only when
  `now - oldest > secs` (strictly greater), so two requests must be 61 whole seconds apart to
  share a slot of a 60-second window: from real clocks, up to window + 1 s.
  [core: lib/rate_limiter.rb, PERFORM_LUA: `(now - tonumber(redis.call("LRANGE", key, -1, -1)[1])) >
  secs`]
- the server stamps a request when it handles it, which is after we send it. Stamping our slot
  when the response has ARRIVED (see `slot()`) is never earlier than the server's stamp, so the
  next request that reuses the slot is never early by the first request's latency.

`SlidingWindow` is pure (no clock, no sleep); `Pacer` adds the clock, the sleep and a lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WINDOW_SECONDS = 60.0
# Core stamps with whole seconds and admits on "older than", hence one extra second (see above).
DISCOURSE_GRANULARITY_SECONDS = 1.0


class SlidingWindow:
    """At most `limit` stamps in any `window` seconds (plus `margin`); `limit == 0` means no
    limit."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, margin: float = 0.0) -> None:
        if limit < 0:
            raise ValueError("limit must be 0 (no pacing) or a positive number of requests")
        if window <= 0 or margin < 0:
            raise ValueError("window must be positive and margin not negative")
        self.limit = limit
        self.window = window
        self.margin = margin
        self._stamps: deque[float] = deque(maxlen=limit or None)

    def delay(self, now: float) -> float:
        """Seconds to wait before one more request may start at `now` (0.0 when it may start
        now)."""
        if self.limit == 0 or len(self._stamps) < self.limit:
            return 0.0
        oldest = self._stamps[0]
        return max(0.0, oldest + self.window + self.margin - now)

    def record(self, stamp: float) -> None:
        """Count one request at `stamp` (the deque drops the oldest once `limit` are held)."""
        if self.limit:
            self._stamps.append(stamp)

    def restamp_newest(self, stamp: float) -> None:
        """Move the newest stamp later (to when its response arrived); never earlier."""
        if self.limit and self._stamps and stamp > self._stamps[-1]:
            self._stamps[-1] = stamp

    def __len__(self) -> int:
        return len(self._stamps)


class Pacer:
    """Blocks (through the injected `sleep`) until the window admits one more request."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_SECONDS,
        margin: float = DISCOURSE_GRANULARITY_SECONDS,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.window = SlidingWindow(limit, window, margin)
        self._clock = clock
        self._sleep = sleep
        # One request in flight at a time per pacer: the newest stamp is always the current one.
        self._lock = threading.RLock()
        self.waited = 0.0  # total seconds slept for pacing (benchmarks report it)

    @property
    def limit(self) -> int:
        return self.window.limit

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for room, count the request when it starts, restamp it when it ends."""
        with self._lock:
            while True:
                wait = self.window.delay(self._clock())
                if wait <= 0:
                    break
                self.waited += wait
                self._sleep(wait)
            self.window.record(self._clock())
            try:
                yield
            finally:
                self.window.restamp_newest(self._clock())
