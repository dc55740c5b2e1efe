"""`similar` and `find`: which projects to show a council, best first, each with its reasons.

Pure: records in (dicts as `projects list --json` prints them, optionally with `place`),
`Match`es out. Archived records are never results; a record is never its own match.

similar(REF) scores every other record in [0, 1] as a weighted sum (divided by the weights' sum) of:
- text   0.65  TF-IDF cosine of what the projects do (bridge.discovery.text)
- area   0.20  same area
- tech   0.10  same technology (the record's analysis.technology, case and accents folded): AI
               and blockchain projects serve different uses
- kind   0.08  same kind of change
- phase  0.02  same phase
- mature 0.03  the other project's maturity (implemented 1, pilot ½, prototype 0): a council
               looking for experience learns most from what was carried through
- size   0.02  the two councils are in the same population band
(the technology's weight was chosen on half of the JRC inventory's cases and checked on the other
half, see scripts/bench_discovery.py: text and area carry the meaning; technology separates
uses; phase, maturity and size only order near ties.)
Candidates that share neither a word nor the area are left out. Ties go to the smaller ref, so
the choice is deterministic: the forum's "similar projects" sections (bridge.observatory.sections)
use `similar_all`, which runs this very scoring for every record.

The text index (bridge.discovery.text.TextIndex) is built with scikit-learn; the CLI and the sync
read it back from the database (bridge.discovery.index) when the catalogue did not change, and
pass it in: then nothing here imports scikit-learn or scipy (`similar_all` uses scipy).

find(...) filters (area, proximity, distance) then ranks by how like the asked place a
council is (its population band first, then nearness) and, with --text, by the text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bridge.discovery.bands import BAND_COUNT, band_index, population_band
from bridge.discovery.places import distances_km, fold, place_of, position, same_place
from bridge.discovery.reasons import (
    Reason,
    ReasonKind,
    evidence_reasons,
    inspiration_reasons,
    reason_text,
)
from bridge.discovery.relevance import (
    coverage,
    judged,
    may_be_relevant,
    relevant,
    shared_concepts,
    weights,
)
from bridge.discovery.text import DECIMALS, TextIndex, build_index, document
from bridge.models.enums import Phase

W_TEXT, W_AREA, W_TECH, W_KIND, W_PHASE, W_MATURE, W_SIZE = 0.65, 0.20, 0.10, 0.08, 0.02, 0.03, 0.02
W_SUM = W_TEXT + W_AREA + W_TECH + W_KIND + W_PHASE + W_MATURE + W_SIZE
MATURITY = {Phase.implemented: 1.0, Phase.pilot: 0.5, Phase.prototype: 0.0}
# find: how a council is like the asked place. Size leads: one band apart (0.2 × F_SIZE = 0.14)
# outweighs the whole of nearness (F_NEAR), so nearness orders councils within a band.
F_SIZE, F_NEAR, F_TEXT = 0.7, 0.13, 0.4
NEAR_SCALE_KM = 100.0  # nearness exp(-d/100): 38 km → 0.68, 100 km → 0.37
_CHUNK = 512  # candidates scored at once by similar_refresh (512 × 10,000 floats ≈ 40 MB)
# Scores held at once by EveryList (askers × every record): 160,000 floats (1.25 MB, 16 askers at
# 10,000 records) stay in a core's cache through the passes a block takes. Measured over 10,000
# records: 16 askers at once 2.0 s, 32 2.2-2.5 s, 64 4.6-5.4 s.
_BLOCK_FLOATS = 160_000
_GROUP = 64  # records whose maximum bounds a row's best from below (EveryList.best)
# How far EveryList's spread scores may be from the exact ones and still find every candidate:
# they differ by a few units in the last place (1e-16); a score is at most 1.
_MARGIN = 1e-9


@dataclass(frozen=True)
class Match:
    ref: str
    title: str
    area: str
    score: float  # 0..1
    why: tuple[Reason, ...]
    topic_url: str | None
    place: dict[str, Any] | None

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in English, as the CLI, `--json` and the challenge replies show them."""
        return tuple(reason_text(r) for r in self.why)


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


def technology(record: Mapping[str, Any]) -> str:
    """A record's technology as compared: folded (case, accents, spaces); "" when none."""
    return _folded(str((record.get("analysis") or {}).get("technology") or ""))


@lru_cache(maxsize=4096)  # a catalogue names few technologies, many times each
def _folded(text: str) -> str:
    return fold(text)


def index_documents(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """ref → the text of every record that can be shown (not archived): what the index holds."""
    return {r["ref"]: document(r) for r in records if not r.get("archived")}


class UnknownRef(LookupError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"unknown ref: {ref}")
        self.ref = ref


def _band(place: Mapping[str, Any] | None) -> int | None:
    return band_index(place.get("population")) if place else None


def codes_of(values: Sequence[Any]) -> np.ndarray:
    """Each value as a small integer, equal values alike (vectorised comparisons)."""
    seen: dict[Any, int] = {}
    return np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


class Corpus:
    """The records that can be shown (not archived), indexed once for many questions."""

    def __init__(
        self,
        records: Sequence[Mapping[str, Any]],
        keep: str | None = None,
        index: TextIndex | None = None,
    ) -> None:
        self.records = [r for r in records if not r.get("archived") or r["ref"] == keep]
        self.at = {r["ref"]: i for i, r in enumerate(self.records)}
        self._text = index
        self._rows: np.ndarray | None = None
        self._rows_of: TextIndex | None = None
        if index is not None and set(index.refs) != {
            r["ref"] for r in self.records if not r.get("archived")
        }:
            self._text = None  # not this catalogue's index: built anew below, when needed
        self.places = [place_of(r) for r in self.records]
        order = sorted(range(len(self.records)), key=lambda i: self.records[i]["ref"])
        self.ref_rank = np.empty(len(self.records), dtype=np.int64)
        self.ref_rank[order] = np.arange(len(self.records))

        def codes(key: str) -> np.ndarray:
            return codes_of([r.get(key) for r in self.records])

        self.area = codes("area")
        self.kind = codes("kind")
        self.phase = codes("phase")
        self.maturity = np.array([MATURITY.get(r.get("phase", ""), 0.0) for r in self.records])
        self.bands = np.array(
            [-1 if (b := _band(p)) is None else b for p in self.places], dtype=np.int64
        )
        self.archived = np.array([bool(r.get("archived")) for r in self.records])
        techs = [technology(r) for r in self.records]
        self.tech = np.where([bool(t) for t in techs], codes_of(techs), -1)
        # As an asker's: none named (-1) is -2, which no record's code equals, so two records
        # naming no technology (or placed in no band) are not "the same".
        self.tech_asked = np.where(self.tech >= 0, self.tech, -2)
        self.bands_asked = np.where(self.bands >= 0, self.bands, -2)

    def distances_from(self, origin: tuple[float, float]) -> np.ndarray:
        """Kilometres from `origin` to every record's place (NaN where it has no position)."""
        where = np.array([position(p) or (np.nan, np.nan) for p in self.places], dtype=float)
        where = where.reshape(-1, 2)
        return distances_km(origin, where[:, 0], where[:, 1])

    @property
    def text(self) -> TextIndex:
        """Given, or built on first use (scikit-learn): `find` without --text never needs it."""
        if self._text is None:
            self._text = build_index(index_documents(self.records))
        return self._text

    @property
    def index_rows(self) -> np.ndarray:
        """Each record's row in the text index (-1: an archived record asked about)."""
        if self._rows is None or self._rows_of is not self._text:
            at = self.text.at
            self._rows = np.array([at.get(r["ref"], -1) for r in self.records], dtype=np.int64)
            self._rows_of = self._text
        return self._rows

    def _in_corpus(self, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Columns of the index's order (… × index size) in the corpus's order; 0 where absent."""
        if values.shape[-1] == len(rows) and np.array_equal(rows, np.arange(len(rows))):
            return values  # records listed by ref, none archived: the index's own order
        return np.where(rows >= 0, values[..., np.maximum(rows, 0)], 0.0)

    def text_of(self, i: int) -> np.ndarray:
        """The text cosine of record i with every record, numpy only."""
        rows = self.index_rows
        if rows[i] >= 0:
            found = self.text.cosine(self.text.row(int(rows[i])))
        else:  # an archived record asked about: compared as a query would be
            found = self.text.cosine(self.text.transform(document(self.records[i])))
        return self._in_corpus(found, rows)

    def text_rows(self, rows: np.ndarray) -> np.ndarray:
        """`text_of` for many records at once (all in the index: `similar_all`)."""
        where = self.index_rows
        return self._in_corpus(self.text.cosine_rows(where[rows]), where)

    def text_row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Record i's TF-IDF row (the shared words' side)."""
        at = self.text.at.get(self.records[i]["ref"])
        if at is None:
            return self.text.transform(document(self.records[i]))
        return self.text.row(at)

    @property
    def concept_weights(self) -> np.ndarray:
        return weights(self.text.concept_ids)

    @property
    def presence(self) -> np.ndarray:
        """records × concepts (the index's `concept_ids`), in the corpus's order."""
        rows = self.index_rows
        found = self.text.concept_presence
        if found.shape[0] == len(rows) and np.array_equal(rows, np.arange(len(rows))):
            return found
        present = found[np.maximum(rows, 0)] & (rows >= 0)[:, None]
        for i in np.nonzero(rows < 0)[0].tolist():  # an archived record asked about
            present[i] = self.text.concepts_of(self.text_row(i), about=True)
        return present

    def concepts(self, present: np.ndarray) -> list[str]:
        ids = self.text.concept_ids
        return [ids[k] for k in np.nonzero(present)[0].tolist()]

    def need_reason(self, asker: np.ndarray, j: int, presence: np.ndarray) -> Reason | None:
        """What of the asker's need record j names: the first reason a listing gives."""
        ids = self.text.concept_ids
        order = sorted(np.nonzero(asker)[0].tolist(), key=lambda k: ids[k])
        shared = shared_concepts([ids[k] for k in order], self.concepts(presence[j]))
        return Reason(ReasonKind.SAME_NEED, words=shared) if shared else None

    # ------------------------------------------------------------------ similar

    def weighed(
        self, text: np.ndarray, rows: np.ndarray | slice, cols: np.ndarray | slice
    ) -> np.ndarray:
        """The scores of askers `rows` against candidates `cols` from their text cosines `text`,
        before relevance: the one arithmetic every path runs, element by element in the same
        order (a float sum's last bit depends on it, and ties are broken by ref). `rows` and
        `cols` index the records and broadcast to `text`'s shape: rows[:, None] and cols[None, :]
        for a matrix, two equal vectors for pairs."""
        # In place, through one temporary: each float temporary costs as much as the arithmetic.
        # A weight is added where the two are alike and +0.0 elsewhere, which leaves a score
        # (never -0.0) exactly as it was; a branch-free add is faster than a masked one.
        scores = text * W_TEXT
        scores += W_MATURE * self.maturity[cols]
        alike = np.empty(scores.shape)
        for mine, theirs, weight in (
            (self.area, self.area, W_AREA),
            (self.kind, self.kind, W_KIND),
            (self.phase, self.phase, W_PHASE),
            (self.tech_asked, self.tech, W_TECH),
            (self.bands_asked, self.bands, W_SIZE),
        ):
            np.multiply(mine[rows] == theirs[cols], weight, out=alike)
            scores += alike
        scores /= W_SUM
        return scores

    def similar_scores(self, rows: np.ndarray, text: np.ndarray) -> np.ndarray:
        """Scores of records `rows` against every record, from their text cosine (rows ×
        records); -inf where excluded."""
        scores = self.weighed(text, rows[:, None], slice(None))
        # Relevance decides (bridge.discovery.relevance), the score only ranks.
        presence = self.presence
        scores[~relevant(presence[rows], presence, self.concept_weights, text)] = -np.inf
        scores[:, self.archived] = -np.inf
        scores[np.arange(len(rows)), rows] = -np.inf
        return scores

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

    def scores_against(self, cols: np.ndarray) -> np.ndarray:
        """Every record's score for records `cols` as candidates (records × cols): what
        `similar_scores` gives in those columns, element by element the same arithmetic, with
        relevance judged by `may_be_relevant` (a superset by a rounding's width)."""
        text = self.text_rows(cols).T  # the cosine is symmetric
        scores = self.weighed(text, np.arange(len(self.records))[:, None], cols[None, :])
        presence = self.presence
        scores[~may_be_relevant(presence, presence[cols], self.concept_weights, text)] = -np.inf
        scores[:, self.archived[cols]] = -np.inf
        scores[self.archived, :] = -np.inf  # an archived record has no list
        scores[cols, np.arange(len(cols))] = -np.inf
        return scores

    def similar_matches(
        self, i: int, chosen: Sequence[tuple[int, float, float]], *, reasons: bool = True
    ) -> list[Match]:
        """Record i's matches from its chosen records, best first: (index, score, text cosine)."""
        me = self.records[i]
        row = self.text_row(i) if reasons else None  # reused for every match's shared words
        presence = self.presence if reasons else None
        matches = []
        for j, score, cosine in chosen:
            if row is None:  # the choice alone (the forum's sections): the same best, no words
                matches.append(self.match(j, score, []))
                continue
            other = self.records[j]
            why: list[Reason] = []
            assert presence is not None
            need = self.need_reason(presence[i], j, presence)
            if need is not None:
                why.append(need)
            if other.get("area") == me.get("area"):
                why.append(Reason(ReasonKind.SAME_AREA))
            if other.get("kind") == me.get("kind"):
                why.append(Reason(ReasonKind.SAME_KIND))
            if self.tech[i] >= 0 and self.tech[i] == self.tech[j]:
                tech = str((other.get("analysis") or {}).get("technology") or "").strip()
                why.append(Reason(ReasonKind.SAME_TECHNOLOGY, value=" ".join(tech.split())))
            if cosine > 0:
                shared = self.shared_words(row, j)
                if shared:
                    why.append(Reason(ReasonKind.SHARED_WORDS, words=tuple(shared)))
            if other.get("phase") == Phase.implemented:
                why.append(Reason(ReasonKind.IMPLEMENTED))
            elif other.get("phase") == me.get("phase"):
                why.append(Reason(ReasonKind.SAME_PHASE, value=str(other.get("phase"))))
            band = population_band((self.places[j] or {}).get("population"))
            if band and self.bands[i] == self.bands[j]:
                why.append(Reason(ReasonKind.SAME_BAND, value=band))
            why.extend(evidence_reasons(other))  # said of a chosen result, never a cause of it
            why.extend(inspiration_reasons(me, other))  # likewise (issue 22 point 5)
            matches.append(self.match(j, score, why))
        return matches

    def shared_words(self, row: tuple[np.ndarray, np.ndarray], j: int) -> list[str]:
        at = self.text.at.get(self.records[j]["ref"])
        return [] if at is None else self.text.shared_words(row, at, document(self.records[j]))

    def match(self, j: int, score: float, reasons: list[Reason]) -> Match:
        record = self.records[j]
        return Match(
            ref=record["ref"],
            title=record.get("title", ""),
            area=record.get("area", ""),
            score=round(min(1.0, max(0.0, score)), 4),
            why=tuple(reasons),
            topic_url=record.get("topic_url"),
            place=self.places[j],
        )


class EveryList:
    """Many records' similar lists at once (the forum's sections: every record), each as
    `similar` chooses it, in blocks of askers × every record (`_BLOCK_FLOATS`), numpy and scipy over
    whole blocks (issue 21's relevance made the per-record loop of `similar_all` take 24-42 s
    over 10,000 records, docs/DESIGN.md).

    A block's text cosines come from one sparse product, each entry summed in the order
    `TextIndex.cosine_rows` sums it. Everything else a score depends on (area, kind, phase,
    technology, band, maturity, concept set) takes few distinct values: records alike in all of
    them form a class, and relevance and the weighed attributes are computed once per asker and
    class, then spread to the records. That spread score is `Corpus.weighed`'s up to the order of
    its additions (a few units in the last place), which is enough to find each row's
    candidates (those within `_MARGIN` of its limit-th best); the candidates alone are then
    scored exactly as `similar` scores them, and ordered as `Corpus.best` orders them. Same
    lists, same scores (tests/test_discovery_lists.py); memory is a block's (a few MB)."""

    def __init__(self, corpus: Corpus) -> None:
        from scipy.sparse import csr_matrix

        self.corpus = corpus
        text = corpus.text
        # The index's rows in the corpus's order (an archived record, not in the index: an empty
        # row, a cosine of 0, as `Corpus.text_rows` gives it), so no n-wide column is permuted.
        indptr = np.append(text.indptr, text.indptr[-1])
        index = csr_matrix(
            (text.data, text.indices, indptr), shape=(text.size + 1, len(text.terms))
        )
        rows = corpus.index_rows
        self.matrix = index[np.where(rows >= 0, rows, text.size)]
        self.transposed = self.matrix.T.tocsr()
        self.presence = corpus.presence
        self.weights = corpus.concept_weights
        sets, set_of = np.unique(self.presence, axis=0, return_inverse=True)
        alike = np.stack(
            [
                corpus.area,
                corpus.kind,
                corpus.phase,
                corpus.tech,
                corpus.bands,
                set_of.reshape(-1),
                corpus.archived,
            ],
            axis=1,
        )
        _, self.example, self.class_of = np.unique(
            alike, axis=0, return_index=True, return_inverse=True
        )
        self.class_of = self.class_of.reshape(-1)
        self.sets_of_classes = sets[set_of.reshape(-1)[self.example]]
        self.archived_classes = corpus.archived[self.example]
        self.groups = np.arange(0, len(corpus.records), _GROUP)

    def near_scores(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Askers `rows`' scores against every record, within a few units in the last place of
        `Corpus.weighed`'s (-inf where not listed), and their text cosines."""
        text = (self.matrix[rows] @ self.transposed).toarray()
        np.round(text, DECIMALS, out=text)
        asker = self.presence[rows]
        # Per asker and class: the attributes weighed (a text cosine of 0), relevance.
        per_class = self.corpus.weighed(
            np.zeros((len(rows), len(self.example))), rows[:, None], self.example[None, :]
        )
        by_concepts, by_text = judged(asker, self.sets_of_classes, self.weights)
        per_class[~(by_concepts | by_text[:, None])] = -np.inf
        per_class[:, self.archived_classes] = -np.inf
        scores = text * (W_TEXT / W_SUM)
        scores += np.take(per_class, self.class_of, axis=1)
        if by_text.any():  # askers naming no concept: their text decides (the same rule)
            named = np.nonzero(by_text)[0]
            keep = relevant(asker[named], self.presence, self.weights, text[named])
            scores[named] = np.where(keep, scores[named], -np.inf)
        scores[np.arange(len(rows)), rows] = -np.inf
        return scores, text

    def best(
        self, rows: Iterable[int], limit: int
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """For each of records `rows`: (i, its `limit` best records, their scores, their text
        cosines), best first, ties to the smaller ref: `Corpus.best` of `similar_scores`."""
        rows = np.fromiter(rows, dtype=np.int64)
        size = max(1, _BLOCK_FLOATS // max(1, len(self.corpus.records)))
        for start in range(0, len(rows), size):
            block = rows[start : start + size]
            if limit <= 0 or not len(self.corpus.records):
                for i in block.tolist():
                    yield i, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
                continue
            near, text = self.near_scores(block)
            # A floor under each row's limit-th best: the limit-th best of the maxima of `_GROUP`
            # records at a time (limit distinct records reach it); fewer groups or fewer finite
            # maxima than the limit: every finite score.
            floor = np.full(len(block), np.finfo(float).min)
            if len(self.groups) >= limit:
                maxima = np.maximum.reduceat(near, self.groups, axis=1)
                kth = np.partition(maxima, len(self.groups) - limit, axis=1)[:, -limit]
                floor = np.maximum(kth, floor) - _MARGIN
            r, c = np.nonzero(near >= floor[:, None])
            # The candidates scored exactly as `similar` scores them, then ordered as it does.
            value = self.corpus.weighed(text[r, c], block[r], c)
            order = np.lexsort((self.corpus.ref_rank[c], -value, r))
            r, c, value = r[order], c[order], value[order]
            first = np.searchsorted(r, np.arange(len(block)))
            ends = np.minimum(np.append(first[1:], len(r)), first + limit)
            for k, i in enumerate(block.tolist()):
                cols = c[first[k] : ends[k]]
                yield i, cols, value[first[k] : ends[k]], text[k, cols]


def similar(
    records: Sequence[Mapping[str, Any]],
    ref: str,
    *,
    limit: int = 5,
    index: TextIndex | None = None,
) -> list[Match]:
    """The projects most like `ref`, best first (at most `limit`). `index`: the catalogue's
    text index when the caller has it (bridge.discovery.index), else it is built here.
    Raises UnknownRef."""
    if not any(r["ref"] == ref for r in records):
        raise UnknownRef(ref)
    corpus = Corpus(records, keep=ref, index=index)
    i = corpus.at[ref]
    text = corpus.text_of(i)
    scores = corpus.similar_scores(np.array([i]), text[None, :])[0]
    chosen = [(j, float(scores[j]), float(text[j])) for j in corpus.best(scores, limit)]
    return corpus.similar_matches(i, chosen)


def similar_all(
    records: Sequence[Mapping[str, Any]],
    *,
    limit: int = 5,
    reasons: bool = True,
    index: TextIndex | None = None,
) -> dict[str, list[Match]]:
    """`similar(records, ref, limit=limit)` for every record that is not archived, computed
    together (one index, blocks of rows: `EveryList`). `reasons=False` skips the reasons (the
    choice and scores are the same), which the forum's sections do not show."""
    corpus = Corpus(records, index=index)
    return {
        corpus.records[i]["ref"]: corpus.similar_matches(
            i,
            list(zip(chosen.tolist(), scores.tolist(), text.tolist(), strict=True)),
            reasons=reasons,
        )
        for i, chosen, scores, text in EveryList(corpus).best(range(len(corpus.records)), limit)
    }


# A list as the incremental discovery keeps it: the refs `similar` chooses, best first, and the
# score of the last of them when the list is full (None when it is shorter than the limit: then
# any relevant newcomer enters it).
Scored = tuple[list[str], float | None]


def _scored(corpus: Corpus, rows: Sequence[int], limit: int) -> dict[str, Scored]:
    """Each of records `rows`' similar list with its last score: the same choice as
    `similar_all` (each row is scored alone, whatever else is in its chunk)."""
    result: dict[str, Scored] = {}
    for i, chosen, scores, _ in EveryList(corpus).best(rows, limit):
        last = float(scores[-1]) if len(chosen) == limit else None
        result[corpus.records[i]["ref"]] = ([corpus.records[j]["ref"] for j in chosen], last)
    return result


def similar_scored(
    records: Sequence[Mapping[str, Any]], *, limit: int = 5, index: TextIndex | None = None
) -> dict[str, Scored]:
    """`similar_all`'s choice (refs only) for every record that is not archived, with each
    list's last score: what `similar_refresh` starts from."""
    corpus = Corpus(records, index=index)
    return _scored(corpus, list(range(len(corpus.records))), limit)


def similar_refresh(
    records: Sequence[Mapping[str, Any]],
    previous: Mapping[str, Scored],
    changed: set[str],
    *,
    limit: int = 5,
    index: TextIndex | None = None,
) -> tuple[dict[str, Scored], int]:
    """`similar_scored` after the records `changed` changed (added, edited, archived, removed),
    recomputing only the lists that can change: the changed records' own, those that named a
    changed record, and those a changed record now enters (it is relevant to them and scores at
    least their last). Every other list's choice depends on nothing that changed (a score is a
    pair's, the relevance floor of a record is its own), so the result is `similar_scored`'s,
    given the same index. Returns it and how many lists were recomputed."""
    corpus = Corpus(records, index=index)
    live = {r["ref"] for r in corpus.records}
    redo = {ref for ref in live if ref in changed or ref not in previous}
    redo |= {
        ref for ref, (refs, _) in previous.items() if ref in live and changed.intersection(refs)
    }
    cols = np.array(sorted(corpus.at[c] for c in changed if c in corpus.at), dtype=np.int64)
    if len(cols):
        last = np.array(
            [
                -np.inf if (kept := previous.get(r["ref"])) is None or kept[1] is None else kept[1]
                for r in corpus.records
            ]
        )
        margin = 10.0**-DECIMALS
        for start in range(0, len(cols), _CHUNK):
            scores = corpus.scores_against(cols[start : start + _CHUNK])
            entering = (np.isfinite(scores) & (scores >= last[:, None] - margin)).any(axis=1)
            redo |= {corpus.records[i]["ref"] for i in np.nonzero(entering)[0].tolist()}
    result = {ref: (list(previous[ref][0]), previous[ref][1]) for ref in live - redo}
    result.update(_scored(corpus, sorted(corpus.at[r] for r in redo), limit))
    return result, len(redo)


# --------------------------------------------------------------------------- find


class FindError(ValueError):
    """A question `find` cannot answer as asked (e.g. --within without a place to measure from)."""


def find(
    records: Sequence[Mapping[str, Any]],
    *,
    index: TextIndex | None = None,
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
    corpus = Corpus(records, index=index)
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
    asked = presence = None
    if text and text.strip():
        query = corpus.text.transform(text)
        text_scores = corpus._in_corpus(corpus.text.cosine(query), corpus.index_rows)
        # Relevance decides (bridge.discovery.relevance); how much of the need a project
        # addresses and how alike the texts are rank the relevant ones.
        asked, presence = corpus.text.concepts_of(query), corpus.presence
        keep &= relevant(asked, presence, corpus.concept_weights, text_scores)
        share = coverage(asked, presence, corpus.concept_weights)
        parts.append((F_TEXT, (share + text_scores) / 2))
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
        why: list[Reason] = []
        if asked is not None and presence is not None:
            need = corpus.need_reason(asked, j, presence)
            if need is not None:
                why.append(need)
        band = population_band((place or {}).get("population"))
        if like and band:
            same = like_band is not None and corpus.bands[j] == like_band
            why.append(Reason(ReasonKind.BAND, value=band, same=bool(same)))
        if not math.isnan(distances[j]):
            why.append(Reason(ReasonKind.DISTANCE, km=float(distances[j])))
        if like and place and _shared(like, place, "comarca"):
            why.append(Reason(ReasonKind.SAME_COMARCA, value=str(place["comarca"])))
        elif like and place and _shared(like, place, "nuts3"):
            why.append(Reason(ReasonKind.SAME_NUTS3, value=str(place["nuts3"])))
        if query is not None:
            shared = corpus.shared_words(query, j)
            if shared:
                why.append(Reason(ReasonKind.SHARED_WORDS, words=tuple(shared)))
        if area:
            why.append(Reason(ReasonKind.SAME_AREA))
        if corpus.records[j].get("phase") == Phase.implemented:
            why.append(Reason(ReasonKind.IMPLEMENTED))
        why.extend(evidence_reasons(corpus.records[j]))  # said of a chosen result only
        matches.append(corpus.match(j, float(scores[j]), why))
    return matches


def _shared(like: Mapping[str, Any], place: Mapping[str, Any] | None, key: str) -> bool:
    return bool(place and like.get(key) and place.get(key) and like[key] == place[key])
