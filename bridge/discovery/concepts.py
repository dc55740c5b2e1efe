"""The field's multilingual vocabulary: equivalent terms of the catalogue's languages mapped to
one concept ("xatbot", "chatbot", "asistente virtual", "virtual assistant" → virtual-assistant),
so that a Catalan challenge finds an English record about the same thing.

The vocabulary is data shipped in the package (concepts.json), built by
scripts/build_concepts.py from a local copy of EuroVoc (en/fr labels) and hand-curated terms
(scripts/data/concepts_curated.yaml; each concept says which). Nothing is downloaded.

Each concept has a kind, which says how much it tells about a project's need: what a project
builds (a solution, e.g. a virtual assistant) weighs most, the service or problem it addresses
(a need, e.g. the population register) less, a broad setting (context, e.g. artificial
intelligence or citizen service) least: sharing only a context never makes two projects the
same need (bridge.discovery.relevance).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class ConceptKind(StrEnum):
    solution = "solution"
    need = "need"
    context = "context"


# How much of a need each kind carries (bridge.discovery.relevance divides the shared weight by
# the asker's). A context alone stays under the relevance floor next to any solution or need.
KIND_WEIGHT = {ConceptKind.solution: 1.0, ConceptKind.need: 0.6, ConceptKind.context: 0.2}
# The prefix of a concept's token in the text index (bridge.discovery.text): no word has it.
TOKEN_PREFIX = "§"


@dataclass(frozen=True)
class Concept:
    id: str
    kind: ConceptKind
    labels: tuple[tuple[str, str], ...]  # (language, label)

    @property
    def weight(self) -> float:
        return KIND_WEIGHT[self.kind]

    @property
    def token(self) -> str:
        return TOKEN_PREFIX + self.id

    def label(self, language: str) -> str:
        """The concept's name in `language`, English where it has none."""
        named = dict(self.labels)
        return named.get(language) or named.get("en") or self.id


_SPLIT = re.compile(r"[^a-z0-9]+")


def words_of(text: str) -> list[str]:
    """A text's words as the vocabulary compares them: lower case, accents and the Catalan
    middle dot folded away ("intel·ligència" → "intelligencia"), split at anything else."""
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch)
    )
    return [w for w in _SPLIT.split(folded.replace("·", "")) if w]


@dataclass(frozen=True)
class Vocabulary:
    concepts: dict[str, Concept]
    # First word of a term → (the term's words, concept id), longest terms first.
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    # Every form a term's word is matched in (itself, +s, +es) → the word.
    forms: dict[str, str]

    def find(self, text: str) -> Iterator[str]:
        """The concept id of every term occurrence in `text`, in order (a concept may repeat)."""
        words = [self.forms.get(w, w) for w in words_of(text)]
        i, n = 0, len(words)
        while i < n:
            step = 1
            for phrase, concept in self.phrases.get(words[i], ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    yield concept
                    step = len(phrase)
                    break
            i += step

    def concepts_in(self, text: str) -> tuple[str, ...]:
        """The distinct concepts a text names, in order of first mention."""
        return tuple(dict.fromkeys(self.find(text)))


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary (read once)."""
    data = json.loads(
        resources.files("bridge.discovery").joinpath("concepts.json").read_text("utf-8")
    )
    concepts: dict[str, Concept] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    base_words: set[str] = set()
    for concept_id, spec in data["concepts"].items():
        concepts[concept_id] = Concept(
            id=concept_id,
            kind=ConceptKind(spec["kind"]),
            labels=tuple(sorted(spec["label"].items())),
        )
        for terms in spec["terms"].values():
            for term in terms:
                words = tuple(words_of(term))
                if words:
                    phrases.setdefault(words[0], []).append((words, concept_id))
                    base_words.update(words)
    forms: dict[str, str] = {}
    for word in sorted(base_words):
        for form in (word + "es", word + "s"):
            if form not in base_words:  # a word that is a term itself stays itself
                forms.setdefault(form, word)
    ordered = {
        first: tuple(sorted(set(found), key=lambda item: (-len(item[0]), item)))
        for first, found in phrases.items()
    }
    return Vocabulary(concepts=concepts, phrases=ordered, forms=forms)
