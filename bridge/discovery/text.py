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
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
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


class TextIndex:
    """TF-IDF rows of a list of documents (L2-normalised: a row product is the cosine)."""

    def __init__(self, documents: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.documents = documents
        self.vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
        if any(_WORD.search(d) for d in documents):
            self.matrix = self.vectorizer.fit_transform(documents).tocsr()
            self.terms = self.vectorizer.get_feature_names_out()
        else:  # nothing to learn words from (e.g. one record with a number as its text)
            from scipy.sparse import csr_matrix

            self.matrix = csr_matrix((len(documents), 0))
            self.terms = np.array([], dtype=object)

    def transform(self, text: str) -> Any:
        """A query's row in this index (words the index never saw are ignored)."""
        if not self.terms.size:
            from scipy.sparse import csr_matrix

            return csr_matrix((1, 0))
        return self.vectorizer.transform([text]).tocsr()

    def cosine_rows(self, rows: Any) -> np.ndarray:
        """Cosine of each given row (sparse, n_rows × terms) with every document: dense array."""
        if not self.terms.size:
            return np.zeros((rows.shape[0], self.matrix.shape[0]))
        return np.asarray((rows @ self.matrix.T).todense())

    def shared_words(self, a: Any, b_index: int, limit: int = 3) -> list[str]:
        """The words that weigh most in both a row `a` and document `b_index`, as document
        `b_index` writes them."""
        if not self.terms.size:
            return []
        m = self.matrix
        start, end = m.indptr[b_index], m.indptr[b_index + 1]
        weights_a = dict(zip(a.indices.tolist(), a.data.tolist(), strict=True))
        scored = [
            (weights_a[col] * value, col)
            for col, value in zip(
                m.indices[start:end].tolist(), m.data[start:end].tolist(), strict=True
            )
            if col in weights_a
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        wanted = [str(self.terms[col]) for _, col in scored[:limit]]
        written: dict[str, str] = {}
        for word in _WORD.findall(self.documents[b_index].lower()):
            written.setdefault(stem(word) or "", word)
        return [written.get(w, w) for w in wanted]
