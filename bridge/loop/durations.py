"""Durations as administrators write them: `30s`, `15m`, `1h`, `1h30m`, `2d`."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The longest duration accepted: a year. Beyond it no schedule makes sense, and the scheduler's
# date arithmetic overflows (datetime.max is year 9999: `99999999d` raised OverflowError).
MAX_SECONDS = 365 * 86400


def parse_duration(text: str) -> int:
    """Seconds in `text`. Raises ValueError with the accepted forms when it is not a duration."""
    cleaned = text.strip().lower()
    if not cleaned or _PART.sub("", cleaned).strip():
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit, e.g. 30s, 15m, 1h or 1h30m"
        )
    parts = _PART.findall(cleaned)
    if any(len(n) > 12 for n, _ in parts):  # int() of thousands of digits is slow, then refused
        raise ValueError(f"{text[:40]!r} is longer than a year (365d), the longest accepted")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than a year (365d), the longest accepted")
    return seconds


def spoken(seconds: float) -> str:
    """`seconds` in the same units, largest first: 918 → "15m18s", 42.4 → "42s" (an estimate
    or an ETA, never finer than a second)."""
    left = max(round(seconds), 0)
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, left = divmod(left, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
