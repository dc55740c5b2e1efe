"""TEMPORARY stand-in for the discovery engine of issue 11 (built on another branch).

Only here so that the challenges of issue 12 can be built and tested before that branch merges:
the merger replaces this whole package with the real engine, which keeps this API:

    find(records, *, text=None, like=None, area=None, proximity=None, within_km=None, limit=10)
        -> list[Match]
    population_band(population) -> str | None

It is deliberately simple (shared words after folding case and accents, a few cross-language
equivalents, then councils of the asked size first) and nothing outside
`bridge.challenges.matching` may import it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Idescat's municipal population bands (issue 11).
_BANDS = (
    (500, "≤500"),
    (2_000, "501–2,000"),
    (5_000, "2,001–5,000"),
    (10_000, "5,001–10,000"),
    (50_000, "10,001–50,000"),
)
# A few words the catalogue writes in Catalan, Spanish or English: each maps to one key.
_SAME = {
    "xatbot": "chatbot",
    "chatbots": "chatbot",
    "xatbots": "chatbot",
    "assistent": "chatbot",
    "conversacional": "chatbot",
    "padro": "census",
    "padron": "census",
    "empadronament": "census",
    "empadronamiento": "census",
    "trucades": "calls",
    "llamadas": "calls",
    "telefon": "phone",
    "telefono": "phone",
}
_STOP = frozenset(
    [
        "about",
        "amb",
        "aquest",
        "aquesta",
        "como",
        "con",
        "del",
        "dels",
        "des",
        "els",
        "for",
        "from",
        "have",
        "into",
        "les",
        "los",
        "mes",
        "more",
        "per",
        "que",
        "son",
        "the",
        "their",
        "this",
        "una",
        "uns",
        "who",
        "with",
        "han",
        "hem",
        "tenim",
        "som",
        "estem",
        "sobre",
        "cada",
        "algu",
        "podem",
        "parlar",
        "dies",
        "vostre",
    ]
)


@dataclass(frozen=True)
class Match:
    ref: str
    title: str
    area: str
    score: float
    reasons: tuple[str, ...]
    topic_url: str | None
    place: dict | None


def population_band(population: int | None) -> str | None:
    if population is None:
        return None
    for ceiling, label in _BANDS:
        if population <= ceiling:
            return label
    return ">50,000"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> dict[str, str]:
    """Folded key → the word as written (first seen)."""
    found: dict[str, str] = {}
    for word in re.findall(r"[^\W\d_]{4,}", text):
        key = _fold(word)
        if key in _STOP:
            continue
        found.setdefault(_SAME.get(key, key), word.lower())
    return found


def _population(record: dict[str, Any]) -> int | None:
    place = record.get("place") or {}
    value = place.get("population") or (record.get("local_body") or {}).get("population")
    return int(value) if value is not None else None


def find(
    records: list[dict[str, Any]],
    *,
    text: str | None = None,
    like: dict[str, Any] | None = None,
    area: str | None = None,
    proximity: str | None = None,
    within_km: float | None = None,
    limit: int = 10,
) -> list[Match]:
    wanted = _words(text or "")
    band = population_band((like or {}).get("population"))
    scored: list[tuple[float, Match]] = []
    for record in records:
        if record.get("archived") or (area and record.get("area") != area):
            continue
        if proximity and record.get("proximity") != proximity:
            continue
        own = _words(
            " ".join(str(record.get(k) or "") for k in ("title", "description", "value", "savings"))
            + " "
            + str((record.get("analysis") or {}).get("technology") or "")
        )
        shared = [wanted[k] for k in wanted if k in own]
        if wanted and not shared:
            continue
        score = len(shared) / max(len(wanted), 1) if wanted else 0.0
        reasons = [f"shared words: {', '.join(shared[:5])}"] if shared else []
        if band and population_band(_population(record)) == band:
            score += 0.25
            reasons.append(f"population band {band}")
        if not reasons:
            continue
        scored.append(
            (
                min(score, 1.0),
                Match(
                    ref=record["ref"],
                    title=record["title"],
                    area=record["area"],
                    score=round(min(score, 1.0), 3),
                    reasons=tuple(reasons),
                    topic_url=record.get("topic_url"),
                    place=record.get("place"),
                ),
            )
        )
    scored.sort(key=lambda item: (-item[0], item[1].ref))
    return [match for _, match in scored[:limit]]


__all__ = ["Match", "find", "population_band"]
