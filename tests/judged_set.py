"""The relevance-judged challenges (tests/data/judged_challenges.yaml) and their measures: what
scripts/bench_discovery.py prints and tests/test_discovery_relevance.py holds the product to."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

JUDGED = Path(__file__).parent / "data" / "judged_challenges.yaml"
K = 5
# The language each inventory writes its records in (SOURCES.md files 9-11 as the tests' builder
# renders them): the JRC's cases in English, Decidim's in Catalan, CONSUL's in Spanish.
_RECORD_LANGUAGE = {"jrc": "en", "decidim": "ca", "consul": "es"}


def record_language(ref: str) -> str:
    return _RECORD_LANGUAGE.get(ref.split("-", 1)[0], "?")


@dataclass(frozen=True)
class Judged:
    id: str
    language: str
    kind: str
    title: str
    body: str
    relevant: frozenset[str]
    prefixes: tuple[str, ...]

    def is_relevant(self, ref: str) -> bool:
        return (
            ref in self.relevant or ref.startswith(self.prefixes)
            if self.prefixes
            else (ref in self.relevant)
        )

    def relevant_in(self, refs: Sequence[str]) -> set[str]:
        return {r for r in refs if self.is_relevant(r)}

    @property
    def covered(self) -> bool:
        return bool(self.relevant or self.prefixes)


def judged_set() -> list[Judged]:
    data = yaml.safe_load(JUDGED.read_text(encoding="utf-8"))
    return [
        Judged(
            id=c["id"],
            language=c["language"],
            kind=c["kind"],
            title=c["title"],
            body=c["body"],
            relevant=frozenset(c.get("relevant") or ()),
            prefixes=tuple(c.get("relevant_prefixes") or ()),
        )
        for c in data["challenges"]
    ]


@dataclass(frozen=True)
class Measures:
    precision: float  # of listed items, relevant (mean over answers listing any)
    recall: float  # relevant found in the top K / min(K, relevant), mean over covered needs
    any_irrelevant: float  # share of answers listing at least one irrelevant item
    no_filler: float  # share of uncovered needs answered with nothing
    same_language_recall: float
    cross_language_recall: float
    uncovered_answers: dict[str, list[str]]  # what the needs the catalogue lacks were given
    answers: dict[str, list[str]]


def measure(
    challenges: Sequence[Judged],
    answer: Callable[[Judged], list[str]],
    records: Sequence[dict[str, Any]],
) -> Measures:
    refs = [r["ref"] for r in records]
    precisions, recalls, irrelevant = [], [], []
    same, cross = [], []
    uncovered: dict[str, list[str]] = {}
    answers: dict[str, list[str]] = {}
    for c in challenges:
        got = answer(c)[:K]
        answers[c.id] = got
        if not c.covered:
            uncovered[c.id] = got
            continue
        hits = c.relevant_in(got)
        if got:
            precisions.append(len(hits) / len(got))
            irrelevant.append(len(hits) < len(got))
        else:
            irrelevant.append(False)
        relevant = c.relevant_in(refs)
        recall = len(hits) / min(K, len(relevant)) if relevant else 0.0
        recalls.append(recall)
        # Cross-language: every relevant record is written in another language than the question.
        if all(record_language(r) != c.language for r in relevant):
            cross.append(recall)
        else:
            same.append(recall)
    return Measures(
        precision=statistics.mean(precisions) if precisions else 0.0,
        recall=statistics.mean(recalls) if recalls else 0.0,
        any_irrelevant=statistics.mean(irrelevant) if irrelevant else 0.0,
        no_filler=(
            sum(not got for got in uncovered.values()) / len(uncovered) if uncovered else 1.0
        ),
        same_language_recall=statistics.mean(same) if same else 0.0,
        cross_language_recall=statistics.mean(cross) if cross else 0.0,
        uncovered_answers=uncovered,
        answers=answers,
    )
