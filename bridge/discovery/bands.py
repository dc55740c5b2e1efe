"""Population bands of municipalities, as Idescat publishes its municipal statistics
(≤500, 501–2,000, 2,001–5,000, 5,001–10,000, 10,001–50,000, >50,000 inhabitants).

A council compares itself with councils of its own size: the band is the unit of "like us".
"""

from __future__ import annotations

from bisect import bisect_left

# Upper bounds of each band but the last (inclusive), in inhabitants.
_UPPER = (500, 2_000, 5_000, 10_000, 50_000)
BAND_LABELS = (
    "≤500",
    "501–2,000",
    "2,001–5,000",
    "5,001–10,000",
    "10,001–50,000",
    ">50,000",
)
BAND_COUNT = len(BAND_LABELS)


def band_index(population: int | None) -> int | None:
    """0 for the smallest band … 5 for the largest; None without a population."""
    if population is None or population < 0:
        return None
    return bisect_left(_UPPER, population)


def population_band(population: int | None) -> str | None:
    """The printable band of a population ("10,001–50,000"), None without one."""
    index = band_index(population)
    return None if index is None else BAND_LABELS[index]


def parse_range(text: str) -> tuple[int | None, int | None]:
    """`MIN-MAX`, `MIN-` or `-MAX` (inhabitants; `_` and `,` allowed as thousands separators)
    → (min, max). Raises ValueError with a message a person can act on."""
    cleaned = text.replace("_", "").replace(",", "").replace(" ", "")
    low, sep, high = cleaned.partition("-")
    if not sep or not (low or high):
        raise ValueError(f"{text!r} is not MIN-MAX (e.g. 5000-20000, 5000- or -2000)")
    try:
        bounds = (int(low) if low else None, int(high) if high else None)
    except ValueError:
        raise ValueError(f"{text!r}: MIN and MAX must be whole numbers of inhabitants") from None
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise ValueError(f"{text!r}: MIN is greater than MAX")
    if any(b is not None and b < 0 for b in bounds):
        raise ValueError(f"{text!r}: populations are not negative")
    return bounds


def band_bounds(index: int) -> tuple[int | None, int | None]:
    """(lowest, highest) inhabitants of band `index`; None where the band is open."""
    low = None if index == 0 else _UPPER[index - 1] + 1
    high = _UPPER[index] if index < len(_UPPER) else None
    return low, high
