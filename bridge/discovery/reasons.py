"""Why a project is shown (`similar`, `find`): reasons as typed data, rendered in one place.

Ranking (bridge.discovery.rank) says *what* made a result: a `Reason` of a `ReasonKind` with the
facts it names (the shared words, the band, the kilometres…). `reason_text` is the one rendering
of those facts, used by the CLI, `--json` (contract §3 shows them as strings) and the forum's
challenge replies. It is English only for now; its `language` parameter is the seam for Catalan
and Spanish renderings (the challenge replies are written in the configured language).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonKind(StrEnum):
    SAME_AREA = "same_area"
    SAME_KIND = "same_kind"
    SAME_TECHNOLOGY = "same_technology"
    SHARED_WORDS = "shared_words"
    IMPLEMENTED = "implemented"
    SAME_PHASE = "same_phase"
    SAME_BAND = "same_band"  # similar: both councils in one population band
    BAND = "band"  # find: the result's band, `same` when it is the asked council's
    DISTANCE = "distance"
    SAME_COMARCA = "same_comarca"
    SAME_NUTS3 = "same_nuts3"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    words: tuple[str, ...] = ()  # SHARED_WORDS: as the result writes them
    value: str | None = None  # the phase, band, comarca, NUTS 3 code or technology named
    km: float | None = None  # DISTANCE
    same: bool = False  # BAND: the asked council's own band


LANGUAGES = ("en",)


def reason_text(reason: Reason, language: str = "en") -> str:
    """A reason as a person reads it. English only: other languages get English until their
    wording is written (see the module's docstring)."""
    kind = reason.kind
    if kind is ReasonKind.SAME_AREA:
        return "same area"
    if kind is ReasonKind.SAME_KIND:
        return "same kind of change"
    if kind is ReasonKind.SAME_TECHNOLOGY:
        return f"same technology ({reason.value})"
    if kind is ReasonKind.SHARED_WORDS:
        return "shared words: " + ", ".join(reason.words)
    if kind is ReasonKind.IMPLEMENTED:
        return "implemented"
    if kind is ReasonKind.SAME_PHASE:
        return f"same phase ({reason.value})"
    if kind is ReasonKind.SAME_BAND:
        return f"same population band {reason.value}"
    if kind is ReasonKind.BAND:
        return f"{'same ' if reason.same else ''}population band {reason.value}"
    if kind is ReasonKind.DISTANCE:
        km = reason.km or 0.0
        return f"{km:,.0f} km away" if km >= 1 else "less than 1 km away"
    if kind is ReasonKind.SAME_COMARCA:
        return f"same comarca ({reason.value})"
    if kind is ReasonKind.SAME_NUTS3:
        return f"same NUTS 3 region ({reason.value})"
    raise ValueError(f"no wording for {kind!r}")
