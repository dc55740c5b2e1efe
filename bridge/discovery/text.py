"""What a project does, as text: TF-IDF (scikit-learn) over its title, description, value,
benefits and technology, so that two records are close when they share the rarer words.

The catalogue mixes Catalan, Spanish and English. Words are folded (case and accents) and cut to
their first 7 letters, so "participació", "participación" and "participation" meet as
"partici", as do "digital" and "digitalització" (a final Spanish "-on" loses its "n" first, so
"padrón" meets "padró"); function words and words of one or two letters are left out.
Nothing is downloaded: the vocabulary is the catalogue's own.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property, lru_cache
from typing import Any

import numpy as np

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
    """The stems of a text, function words left out (the analyzer given to scikit-learn)."""
    return [s for s in map(stem, _WORD.findall(text.lower())) if s]


# The latent space: LSA (TruncatedSVD of the TF-IDF rows) brings together projects that describe
# one use in different words ("chatbot", "assistent virtual", "asistente"); measured on the JRC
# inventory (scripts/bench_discovery.py), 50 dimensions mixed at 0.3 with the word cosine pay most.
LSA_DIMENSIONS = 50
LSA_SHARE = 0.3
# Cosines are rounded before they are weighed: the forum's sections (all rows at once) and
# `similar` (one row) sum in different orders, and a last-bit difference must not reorder ties.
DECIMALS = 9


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.sqrt((matrix * matrix).sum(axis=1, keepdims=True))
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


@dataclass(frozen=True)
class TextIndex:
    """What the records' texts are compared by, in numpy arrays only (stored as they are in the
    database, bridge.discovery.index): TF-IDF rows (CSR: `data`, `indices`, `indptr`; L2-normalised,
    so a row product is the cosine), the vocabulary `terms` and its `idf` (a query is weighed as
    the records were, without scikit-learn), and the LSA space: `components` (dimensions × terms)
    and each record's unit `embedding`. Rows follow `refs` (sorted: the index does not depend on
    the order records come in). Built by `build_index` (scikit-learn)."""

    refs: tuple[str, ...]
    terms: tuple[str, ...]
    idf: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    components: np.ndarray
    embedding: np.ndarray

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

    def _embed(self, row: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        columns, weights = row
        return _unit_rows((self.components[:, columns] @ weights)[None, :])[0]

    def cosine(self, row: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(text similarity, word cosine) of a query's TF-IDF row with every record, numpy
        only: the word cosine through the rows' entries (an inverted index in effect), mixed
        with the cosine in the LSA space. `find --text`."""
        return self._one(row, self._embed(row))

    def cosine_of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """`cosine` of record i with every record (`similar`)."""
        return self._one(self.row(i), self.embedding[i])

    def _one(self, row: tuple[np.ndarray, np.ndarray], unit: np.ndarray) -> tuple[Any, Any]:
        columns, weights = row
        dense = np.zeros(len(self.terms))
        dense[columns] = weights
        words = np.bincount(
            self._row_of_entry, weights=self.data * dense[self.indices], minlength=self.size
        )
        mixed, words = self._mix(words[None, :], (self.embedding @ unit)[None, :])
        return mixed[0], words[0]

    def cosine_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`cosine` of records `rows` (their own rows) with every record, all at once (scipy:
        the forum's sections); the same figures as `cosine` row by row."""
        from scipy.sparse import csr_matrix

        matrix = csr_matrix(
            (self.data, self.indices, self.indptr), shape=(self.size, len(self.terms))
        )
        words = (matrix[rows] @ matrix.T).toarray()
        latent = self.embedding[rows] @ self.embedding.T
        return self._mix(words, latent)

    @staticmethod
    def _mix(words: np.ndarray, latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        words = np.round(words, DECIMALS)
        latent *= LSA_SHARE  # in place: both are this call's own arrays
        latent += (1 - LSA_SHARE) * words
        return np.round(latent, DECIMALS, out=latent), words

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
        wanted = [self.terms[col] for _, col in scored[:3]]
        written: dict[str, str] = {}
        for word in _WORD.findall(document.lower()):
            written.setdefault(stem(word) or "", word)
        return [written.get(w, w) for w in wanted]


def build_index(documents: Mapping[str, str]) -> TextIndex:
    """The index of these documents (ref → text), with scikit-learn: TF-IDF (the product's own
    `analyze`, sublinear tf) and its LSA (TruncatedSVD). Arrays are kept in float32, as stored,
    (held as float64 for the arithmetic), so an index built here and one read back from the
    database score alike."""
    refs = tuple(sorted(documents))
    texts = [documents[r] for r in refs]
    if not any(_WORD.search(t) and analyze(t) for t in texts):
        # Nothing to learn words from (e.g. one record with a number as its text).
        return TextIndex(
            refs=refs,
            terms=(),
            idf=np.zeros(0),
            data=np.zeros(0),
            indices=np.zeros(0, dtype=np.int64),
            indptr=np.zeros(len(refs) + 1, dtype=np.int64),
            components=np.zeros((0, 0)),
            embedding=np.zeros((len(refs), 0)),
        )
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts).tocsr().astype(np.float32)
    matrix.sort_indices()
    terms = tuple(str(t) for t in vectorizer.get_feature_names_out())
    dimensions = min(LSA_DIMENSIONS, len(refs) - 1, len(terms) - 1)
    if dimensions >= 1:
        with warnings.catch_warnings():  # a tiny corpus: "explained variance" divides by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            svd = TruncatedSVD(dimensions, random_state=0).fit(matrix)
        components = svd.components_.astype(np.float32)
    else:  # one record or one word: no latent space, the word cosine alone
        components = np.zeros((0, len(terms)), dtype=np.float32)
    index = TextIndex(
        refs=refs,
        terms=terms,
        idf=vectorizer.idf_.astype(np.float64),
        data=matrix.data.astype(np.float64),
        indices=matrix.indices.astype(np.int64),
        indptr=matrix.indptr.astype(np.int64),
        components=components.astype(np.float64),
        embedding=np.zeros((len(refs), components.shape[0])),
    )
    embedding = np.array([index._embed(index.row(i)) for i in range(len(refs))])
    embedding = embedding.reshape(len(refs), components.shape[0]).astype(np.float32)
    return replace(index, embedding=embedding.astype(np.float64))
