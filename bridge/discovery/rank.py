"""`similar` and `find`: which projects to show a council, best first, each with its reasons.

Pure: records in (dicts as `projects list --json` prints them, optionally with `place`),
`Match`es out. Archived records are never results; a record is never its own match.

similar(REF) scores every other record in [0, 1] as a weighted sum of:
- text   0.65  TF-IDF cosine of what the projects do (bridge.discovery.text)
- area   0.20  same area
- kind   0.08  same kind of change
- phase  0.02  same phase
- mature 0.03  the other project's maturity (implemented 1, pilot ½, prototype 0): a council
               looking for experience learns most from what was carried through
- size   0.02  the two councils are in the same population band
(weights chosen on the JRC inventory's labels, see scripts/bench_discovery.py: text and area
carry the meaning; phase, maturity and size only order near ties.)
Candidates that share neither a word nor the area are left out. Ties go to the smaller ref, so
the choice is deterministic: the forum's "similar projects" sections (bridge.discovery.sections)
use `similar_all`, which runs this very scoring for every record.

find(...) filters (area, proximity, distance) then ranks by how like the asked place a
council is (its population band first, then nearness) and, with --text, by the text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.discovery.bands import BAND_COUNT, band_index, population_band
from bridge.discovery.places import distances_km, place_of, position, same_place
from bridge.discovery.text import TextIndex, document

W_TEXT, W_AREA, W_KIND, W_PHASE, W_MATURE, W_SIZE = 0.65, 0.20, 0.08, 0.02, 0.03, 0.02
MATURITY = {"implemented": 1.0, "pilot": 0.5, "prototype": 0.0}
# find: how a council is like the asked place. Size leads: one band apart (0.2 × F_SIZE = 0.14)
# outweighs the whole of nearness (F_NEAR), so nearness orders councils within a band.
F_SIZE, F_NEAR, F_TEXT = 0.7, 0.13, 0.4
NEAR_SCALE_KM = 100.0  # nearness exp(-d/100): 38 km → 0.68, 100 km → 0.37
_CHUNK = 512  # rows scored at once by similar_all (512 × 10,000 floats ≈ 40 MB)


@dataclass(frozen=True)
class Match:
    ref: str
    title: str
    area: str
    score: float  # 0..1
    reasons: tuple[str, ...]
    topic_url: str | None
    place: dict[str, Any] | None


def match_json(match: Match) -> dict[str, Any]:
    """Contract §3's shape for `similar --json` and `find --json`."""
    return {
        "ref": match.ref,
        "title": match.title,
        "area": match.area,
        "score": match.score,
        "reasons": list(match.reasons),
        "topic_url": match.topic_url,
        "place": match.place,
    }


class UnknownRef(LookupError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"unknown ref: {ref}")
        self.ref = ref


def _band(place: Mapping[str, Any] | None) -> int | None:
    return band_index(place.get("population")) if place else None


class Corpus:
    """The records that can be shown (not archived), indexed once for many questions."""

    def __init__(self, records: Sequence[Mapping[str, Any]], keep: str | None = None) -> None:
        self.records = [r for r in records if not r.get("archived") or r["ref"] == keep]
        self.at = {r["ref"]: i for i, r in enumerate(self.records)}
        self._text: TextIndex | None = None
        self.places = [place_of(r) for r in self.records]
        order = sorted(range(len(self.records)), key=lambda i: self.records[i]["ref"])
        self.ref_rank = np.empty(len(self.records), dtype=np.int64)
        self.ref_rank[order] = np.arange(len(self.records))

        def codes(key: str) -> np.ndarray:
            values = [r.get(key) for r in self.records]
            seen: dict[Any, int] = {}
            return np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)

        self.area = codes("area")
        self.kind = codes("kind")
        self.phase = codes("phase")
        self.maturity = np.array([MATURITY.get(r.get("phase", ""), 0.0) for r in self.records])
        self.bands = np.array(
            [-1 if (b := _band(p)) is None else b for p in self.places], dtype=np.int64
        )
        self.archived = np.array([bool(r.get("archived")) for r in self.records])

    def distances_from(self, origin: tuple[float, float]) -> np.ndarray:
        """Kilometres from `origin` to every record's place (NaN where it has no position)."""
        where = np.array([position(p) or (np.nan, np.nan) for p in self.places], dtype=float)
        where = where.reshape(-1, 2)
        return distances_km(origin, where[:, 0], where[:, 1])

    @property
    def text(self) -> TextIndex:
        """Built on first use: `find` without --text never needs it."""
        if self._text is None:
            self._text = TextIndex([document(r) for r in self.records])
        return self._text

    # ------------------------------------------------------------------ similar

    def similar_scores(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, text cosine) of records `rows` against every record; -inf where excluded."""
        text = self.text.cosine_rows(self.text.matrix[rows])
        same_area = self.area[rows, None] == self.area[None, :]
        scores = (
            W_TEXT * text
            + W_AREA * same_area
            + W_KIND * (self.kind[rows, None] == self.kind[None, :])
            + W_PHASE * (self.phase[rows, None] == self.phase[None, :])
            + W_MATURE * self.maturity[None, :]
            + W_SIZE
            * ((self.bands[rows, None] == self.bands[None, :]) & (self.bands[None, :] >= 0))
        )
        scores[(text <= 0) & ~same_area] = -np.inf
        scores[:, self.archived] = -np.inf
        scores[np.arange(len(rows)), rows] = -np.inf
        return scores, text

    def best(self, scores: np.ndarray, limit: int) -> list[int]:
        """Indices of the `limit` best scores, ties to the smaller ref; -inf never."""
        finite = np.isfinite(scores)
        if limit <= 0 or not finite.any():
            return []
        count = min(limit, int(finite.sum()))
        kth = np.partition(np.where(finite, scores, -np.inf), -count)[-count]
        candidates = np.nonzero(finite & (scores >= kth))[0]
        order = np.lexsort((self.ref_rank[candidates], -scores[candidates]))
        return [int(i) for i in candidates[order][:count]]

    def similar_matches(
        self, i: int, scores: np.ndarray, text: np.ndarray, limit: int, *, reasons: bool = True
    ) -> list[Match]:
        row = self.text.matrix[i]  # one sparse row, reused for every match's shared words
        me = self.records[i]
        matches = []
        for j in self.best(scores, limit):
            if not reasons:  # the choice alone (the forum's sections): the same best, no words
                matches.append(self.match(j, float(scores[j]), []))
                continue
            other = self.records[j]
            why: list[str] = []
            if other.get("area") == me.get("area"):
                why.append("same area")
            if other.get("kind") == me.get("kind"):
                why.append("same kind of change")
            if text[j] > 0:
                words = self.text.shared_words(row, j)
                if words:
                    why.append("shared words: " + ", ".join(words))
            if other.get("phase") == "implemented":
                why.append("implemented")
            elif other.get("phase") == me.get("phase"):
                why.append(f"same phase ({other.get('phase')})")
            band = population_band((self.places[j] or {}).get("population"))
            if band and self.bands[i] == self.bands[j]:
                why.append(f"same population band {band}")
            matches.append(self.match(j, float(scores[j]), why))
        return matches

    def match(self, j: int, score: float, reasons: list[str]) -> Match:
        record = self.records[j]
        return Match(
            ref=record["ref"],
            title=record.get("title", ""),
            area=record.get("area", ""),
            score=round(min(1.0, max(0.0, score)), 4),
            reasons=tuple(reasons),
            topic_url=record.get("topic_url"),
            place=self.places[j],
        )


def similar(records: Sequence[Mapping[str, Any]], ref: str, *, limit: int = 5) -> list[Match]:
    """The projects most like `ref`, best first (at most `limit`). Raises UnknownRef."""
    if not any(r["ref"] == ref for r in records):
        raise UnknownRef(ref)
    corpus = Corpus(records, keep=ref)
    i = corpus.at[ref]
    scores, text = corpus.similar_scores(np.array([i]))
    return corpus.similar_matches(i, scores[0], text[0], limit)


def similar_all(
    records: Sequence[Mapping[str, Any]], *, limit: int = 5, reasons: bool = True
) -> dict[str, list[Match]]:
    """`similar(records, ref, limit=limit)` for every record that is not archived, computed
    together (one index, rows scored in chunks). `reasons=False` skips the reasons (the
    choice and scores are the same), which the forum's sections do not show."""
    corpus = Corpus(records)
    result: dict[str, list[Match]] = {}
    for start in range(0, len(corpus.records), _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, len(corpus.records)))
        scores, text = corpus.similar_scores(rows)
        for k, i in enumerate(rows.tolist()):
            result[corpus.records[i]["ref"]] = corpus.similar_matches(
                i, scores[k], text[k], limit, reasons=reasons
            )
    return result


# --------------------------------------------------------------------------- find


class FindError(ValueError):
    """A question `find` cannot answer as asked (e.g. --within without a place to measure from)."""


def _km(d: float) -> str:
    return f"{d:,.0f} km away" if d >= 1 else "less than 1 km away"


def find(
    records: Sequence[Mapping[str, Any]],
    *,
    text: str | None = None,
    like: Mapping[str, Any] | None = None,
    area: str | None = None,
    proximity: str | None = None,
    within_km: float | None = None,
    limit: int = 10,
) -> list[Match]:
    """Projects for a council looking for experience, best first (at most `limit`).

    `like` is a place dict (population, latitude/longitude, comarca, nuts3, code): councils of
    the same population band first, then nearer ones (same comarca, same NUTS 3, kilometres);
    the asked council's own projects are left out (it knows them). `text` ranks by what the
    projects do and leaves out those sharing no word with it. Raises FindError."""
    if within_km is not None and within_km < 0:
        raise FindError("--within must be a distance in km, not negative")
    origin = position(like)
    if within_km is not None and origin is None:
        raise FindError("--within needs --like PLACE with a known position to measure from")
    corpus = Corpus(records)
    n = len(corpus.records)
    keep = np.ones(n, dtype=bool)
    for j, record in enumerate(corpus.records):
        if (
            (area and record.get("area") != area)
            or (proximity and record.get("proximity") != proximity)
            or (like and same_place(like, corpus.places[j]))
        ):
            keep[j] = False
    distances = corpus.distances_from(origin) if origin is not None else np.full(n, np.nan)
    if within_km is not None:
        keep &= ~np.isnan(distances) & (np.nan_to_num(distances, nan=np.inf) <= within_km)

    parts: list[tuple[float, np.ndarray]] = []
    query = None
    text_scores = np.zeros(n)
    if text and text.strip():
        query = corpus.text.transform(text)
        text_scores = corpus.text.cosine_rows(query)[0]
        keep &= text_scores > 0
        parts.append((F_TEXT, text_scores))
    like_band = band_index(like.get("population")) if like else None
    if like_band is not None:
        size = np.where(
            corpus.bands >= 0, 1.0 - np.abs(corpus.bands - like_band) / (BAND_COUNT - 1), 0.0
        )
        parts.append((F_SIZE, size))
    if like:
        near = np.where(np.isnan(distances), 0.0, np.exp(-np.nan_to_num(distances) / NEAR_SCALE_KM))
        for j, place in enumerate(corpus.places):
            if _shared(like, place, "nuts3"):
                near[j] = max(near[j], 0.7)
            if _shared(like, place, "comarca"):
                near[j] = 1.0
        parts.append((F_NEAR, near))
    if not parts:
        parts.append((1.0, corpus.maturity))  # nothing asked but filters: the most mature first
    weight = sum(w for w, _ in parts)
    scores = sum(w * v for w, v in parts) / weight
    scores = np.where(keep, scores, -np.inf)

    matches = []
    for j in corpus.best(scores, limit):
        place = corpus.places[j]
        reasons = []
        band = population_band((place or {}).get("population"))
        if like and band:
            same = like_band is not None and corpus.bands[j] == like_band
            reasons.append(f"{'same ' if same else ''}population band {band}")
        if not math.isnan(distances[j]):
            reasons.append(_km(float(distances[j])))
        if like and _shared(like, place, "comarca"):
            reasons.append(f"same comarca ({place['comarca']})")  # type: ignore[index]
        elif like and _shared(like, place, "nuts3"):
            reasons.append(f"same NUTS 3 region ({place['nuts3']})")  # type: ignore[index]
        if query is not None:
            words = corpus.text.shared_words(query, j)
            if words:
                reasons.append("shared words: " + ", ".join(words))
        if area:
            reasons.append("same area")
        if corpus.records[j].get("phase") == "implemented":
            reasons.append("implemented")
        matches.append(corpus.match(j, float(scores[j]), reasons))
    return matches


def _shared(like: Mapping[str, Any], place: Mapping[str, Any] | None, key: str) -> bool:
    return bool(place and like.get(key) and place.get(key) and like[key] == place[key])
