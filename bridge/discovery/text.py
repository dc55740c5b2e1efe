"""What a project does, as text: TF-IDF (scikit-learn) over its title, description, value,
benefits and technology, so that two records are close when they share the rarer words.

The catalogue mixes Catalan, Spanish and English. Words are folded (case and accents) and cut to
their first 7 letters, so "participació", "participación" and "participation" meet as
"partici", as do "digital" and "digitalització" (a final Spanish "-on" loses its "n" first, so
"padrón" meets "padró"); function words and words of one or two letters are left out.
Nothing is downloaded: the vocabulary is the catalogue's own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

import numpy as np

from bridge.discovery.concepts import TOKEN_PREFIX, vocabulary

STRONG_PREFIX = TOKEN_PREFIX * 2

_WORD = re.compile(r"[^\W\d_]{3,}")
STEM_LETTERS = 7


# Function words of the catalogue's languages (the `stop-words` package's lists): "per", "les",
# "amb" say nothing about what a project does, however rare a small catalogue makes them.
STOP_LANGUAGES = (
    "catalan",
    "spanish",
    "english",
    "french",
    "italian",
    "portuguese",
    "german",
    "dutch",
)


def _fold(word: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from stop_words import get_stop_words

    return frozenset(_fold(w.lower()) for lang in STOP_LANGUAGES for w in get_stop_words(lang))


@cache  # a catalogue has tens of thousands of words at most
def stem(word: str) -> str | None:
    """A lower-case word folded (no accents) and cut to its first STEM_LETTERS letters; None
    for a function word."""
    folded = _fold(word)
    if folded in _stop_words():
        return None
    if len(folded) > 4 and folded.endswith("on"):
        # Spanish -ón/-ión is Catalan -ó/-ió: "padrón" meets "padró", "gestión" "gestió".
        folded = folded[:-1]
    return folded[:STEM_LETTERS]


def document(record: Mapping[str, Any]) -> str:
    """The text a record is compared by. Title and technology count twice: they name the thing."""
    analysis = record.get("analysis") or {}
    parts = [
        record.get("title") or "",
        record.get("title") or "",
        record.get("description") or "",
        record.get("value") or "",
        analysis.get("benefits") or "",
        analysis.get("technology") or "",
        analysis.get("technology") or "",
    ]
    return "\n".join(parts)


def analyze(text: str) -> list[str]:
    """The stems of a text, function words left out, then a token for each mention of a concept
    of the field's vocabulary (bridge.discovery.concepts): "xatbot" and "virtual assistant"
    meet as "§virtual-assistant" whatever their stems (the analyzer given to scikit-learn)."""
    stems = [s for s in map(stem, _WORD.findall(text.lower())) if s]
    mentions = Counter(vocabulary().find(text))
    # A concept named twice (in a record: once in its title or technology, which `document`
    # repeats) is what the text is about: its "§§" token says so (TextIndex.concept_presence).
    strong = [STRONG_PREFIX + c for c, n in mentions.items() if n >= 2]
    return stems + [TOKEN_PREFIX + c for c in mentions.elements()] + strong


# Cosines are rounded: the forum's sections (all rows at once, scipy) and `similar` (one row,
# numpy) sum in different orders, and a last-bit difference must not reorder ties.
DECIMALS = 9


@dataclass(frozen=True)
class TextIndex:
    """What the records' texts are compared by, in numpy arrays only (stored as they are in the
    database, bridge.discovery.index): TF-IDF rows (CSR: `data`, `indices`, `indptr`;
    L2-normalised, so a row product is the cosine), the vocabulary `terms` and its `idf` (a
    query is weighed as the records were, without scikit-learn). Rows follow `refs` (sorted: the
    index does not depend on the order records come in). Built by `build_index` (scikit-learn).

    No latent space (LSA): measured, it raised precision on the JRC labels (0.279 → 0.293 for
    the type of use) but every rebuild rotates its basis, so adding 10 records to 400 rewrote
    21.5 other topics' similar sections per new record (target ≤ 8; without it, 4.1)."""

    refs: tuple[str, ...]
    terms: tuple[str, ...]
    idf: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    # Which full build the vocabulary and idf come from (`update_index` keeps it): lists scored
    # on one build can be refreshed on an update of it (bridge.discovery.rank.similar_refresh).
    build: str = ""

    @property
    def size(self) -> int:
        return len(self.refs)

    @cached_property
    def at(self) -> dict[str, int]:
        return {ref: i for i, ref in enumerate(self.refs)}

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        return {term: k for k, term in enumerate(self.terms)}

    @cached_property
    def concept_ids(self) -> tuple[str, ...]:
        """The vocabulary's concepts this index holds (its terms that are concept tokens)."""
        return tuple(
            t[len(TOKEN_PREFIX) :]
            for t in self.terms
            if t.startswith(TOKEN_PREFIX) and not t.startswith(STRONG_PREFIX)
        )

    def _concept_of_column(self, prefix: str) -> np.ndarray:
        """Each term column's concept number (in `concept_ids`) for tokens of `prefix` (§:
        named, §§: named twice), -1 for any other term."""
        at = {c: k for k, c in enumerate(self.concept_ids)}
        of = np.full(len(self.terms), -1, dtype=np.int64)
        for col, term in enumerate(self.terms):
            if term.startswith(prefix) and (prefix == STRONG_PREFIX or term[1] != TOKEN_PREFIX):
                of[col] = at.get(term[len(prefix) :], -1)
        return of

    @cached_property
    def _named(self) -> np.ndarray:
        return self._concept_of_column(TOKEN_PREFIX)

    @cached_property
    def _about(self) -> np.ndarray:
        return self._concept_of_column(STRONG_PREFIX)

    @cached_property
    def concept_presence(self) -> np.ndarray:
        """records × concepts: True where a record is about the concept (names it twice, or
        once in its title or technology; a passing mention is not what it is about)."""
        present = np.zeros((self.size, len(self.concept_ids)), dtype=bool)
        concept = self._about[self.indices]
        named = concept >= 0
        present[self._row_of_entry[named], concept[named]] = True
        return present

    def concepts_of(self, row: tuple[np.ndarray, np.ndarray], *, about: bool = False) -> np.ndarray:
        """A TF-IDF row's concepts as a presence vector over `concept_ids`: every concept it
        names (a question), or only those it is about (`about`: a record)."""
        present = np.zeros(len(self.concept_ids), dtype=bool)
        concept = (self._about if about else self._named)[row[0]]
        present[concept[concept >= 0]] = True
        return present

    @cached_property
    def _row_of_entry(self) -> np.ndarray:
        return np.repeat(np.arange(self.size), np.diff(self.indptr))

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Record i's TF-IDF row: (term columns, weights)."""
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.data[start:end]

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A text's TF-IDF row in this index, weighed exactly as scikit-learn weighed the records
        (sublinear tf × smoothed idf, L2-normalised; words the index never saw are ignored)."""
        counts = Counter(k for k in map(self.vocabulary.get, analyze(text)) if k is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.array(sorted(counts), dtype=np.int64)
        tf = np.array([counts[int(k)] for k in columns], dtype=float)
        weights = (1.0 + np.log(tf)) * self.idf[columns]
        return columns, weights / np.sqrt((weights * weights).sum())

    def cosine(self, row: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The cosine of a TF-IDF row (a query's, or a record's: `row(i)`) with every record,
        numpy only: through the records' entries, an inverted index in effect."""
        columns, weights = row
        dense = np.zeros(len(self.terms))
        dense[columns] = weights
        found = np.bincount(
            self._row_of_entry, weights=self.data * dense[self.indices], minlength=self.size
        )
        return np.round(found, DECIMALS)

    def cosine_rows(self, rows: np.ndarray) -> np.ndarray:
        """`cosine` of records `rows` with every record, all at once (scipy: the forum's
        sections); the same figures as `cosine(row(i))` row by row."""
        from scipy.sparse import csr_matrix

        matrix = csr_matrix(
            (self.data, self.indices, self.indptr), shape=(self.size, len(self.terms))
        )
        return np.round((matrix[rows] @ matrix.T).toarray(), DECIMALS)

    def shared_words(self, row: tuple[np.ndarray, np.ndarray], j: int, document: str) -> list[str]:
        """The (at most 3) words that weigh most in both `row` and record j, as record j's
        `document` writes them."""
        mine = dict(zip(row[0].tolist(), row[1].tolist(), strict=True))
        columns, weights = self.row(j)
        scored = sorted(
            (-(mine[col] * value), col)
            for col, value in zip(columns.tolist(), weights.tolist(), strict=True)
            if col in mine
        )
        words = [self.terms[col] for _, col in scored]
        wanted = [w for w in words if not w.startswith(TOKEN_PREFIX)][:3]
        written: dict[str, str] = {}
        for word in _WORD.findall(document.lower()):
            written.setdefault(stem(word) or "", word)
        return [written.get(w, w) for w in wanted]


def _build_id(terms: tuple[str, ...], idf: np.ndarray) -> str:
    digest = hashlib.sha256("\n".join(terms).encode("utf-8"))
    digest.update(np.ascontiguousarray(idf, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


def update_index(index: TextIndex, changed: Mapping[str, str | None]) -> TextIndex:
    """The index with the rows of `changed` replaced (ref → its new document) or removed (ref →
    None), every other row as it was: the new rows are weighed with the index's vocabulary and
    idf, as a query is (scikit-learn's TfidfVectorizer cannot learn incrementally; words no
    record had at the last build are unknown until the next one, bridge.discovery.index)."""
    rows: dict[str, tuple[np.ndarray, np.ndarray]] = {
        ref: index.row(i) for i, ref in enumerate(index.refs) if ref not in changed
    }
    for ref, text in changed.items():
        if text is not None:
            columns, weights = index.transform(text)
            # Held as build_index holds them: float32 weights, as stored.
            rows[ref] = (columns, weights.astype(np.float32).astype(np.float64))
    refs = tuple(sorted(rows))
    lengths = np.array([len(rows[r][0]) for r in refs], dtype=np.int64)
    indptr = np.zeros(len(refs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    return TextIndex(
        refs=refs,
        terms=index.terms,
        idf=index.idf,
        data=np.concatenate([rows[r][1] for r in refs] or [empty[1]]).astype(np.float64),
        indices=np.concatenate([rows[r][0] for r in refs] or [empty[0]]).astype(np.int64),
        indptr=indptr,
        build=index.build,
    )


def build_index(documents: Mapping[str, str]) -> TextIndex:
    """The index of these documents (ref → text), with scikit-learn's TfidfVectorizer (the
    product's own `analyze`, sublinear tf). Weights are kept as float32, as stored (held as
    float64 for the arithmetic), so an index built here and one read back score alike."""
    refs = tuple(sorted(documents))
    texts = [documents[r] for r in refs]
    if not any(analyze(t) for t in texts):
        # Nothing to learn words from (e.g. one record with a number as its text).
        return TextIndex(
            refs=refs,
            terms=(),
            idf=np.zeros(0),
            data=np.zeros(0),
            indices=np.zeros(0, dtype=np.int64),
            indptr=np.zeros(len(refs) + 1, dtype=np.int64),
        )
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts).tocsr().astype(np.float32)
    matrix.sort_indices()
    terms = tuple(str(t) for t in vectorizer.get_feature_names_out())
    idf = vectorizer.idf_.astype(np.float64)
    return TextIndex(
        refs=refs,
        terms=terms,
        idf=idf,
        data=matrix.data.astype(np.float64),
        indices=matrix.indices.astype(np.int64),
        indptr=matrix.indptr.astype(np.int64),
        build=_build_id(terms, idf),
    )
