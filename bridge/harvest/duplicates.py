"""The same project published by two observatories: same council (the same place in the
gazetteer, or the same body name in the same country) and a near-identical title or the same
document URL. Pure; titles are compared with rapidfuzz (token order and case ignored)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from bridge.catalogue.store import name_key

_NUMBERS = re.compile(r"\d+")
TITLE_SIMILARITY = 92.0  # token-sort ratio, 0-100: a retyped or re-cased title, not a sibling


@dataclass(frozen=True)
class Candidate:
    ref: str
    title: str
    body_name: str
    country: str
    place_code: str | None
    urls: tuple[str, ...]


def _same_council(a: Candidate, b: Candidate) -> bool:
    if a.country != b.country:
        return False
    if a.place_code and b.place_code:
        return a.place_code == b.place_code
    return name_key(a.body_name) == name_key(b.body_name)


def _url_key(url: str) -> str:
    return (
        url.strip()
        .lower()
        .removesuffix("/")
        .replace("://www.", "://")
        .replace("http://", "https://")
    )


def same_project(a: Candidate, b: Candidate) -> bool:
    if not _same_council(a, b):
        return False
    if {_url_key(u) for u in a.urls} & {_url_key(u) for u in b.urls}:
        return True
    # "Pressupostos participatius 2021" and "… 2022" are two editions, not one project retyped:
    # the numbers in the titles must agree before the words are compared.
    if _NUMBERS.findall(a.title) != _NUMBERS.findall(b.title):
        return False
    score = fuzz.token_sort_ratio(a.title, b.title, processor=utils.default_process)
    return score >= TITLE_SIMILARITY


def find(new: Candidate, others: Iterable[Candidate]) -> str | None:
    """The ref of the first other record that is the same project, if any."""
    return next((other.ref for other in others if same_project(new, other)), None)


class Index:
    """Records by council, so each new record is compared with its council's records only."""

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self._by: dict[tuple[str, str], list[Candidate]] = {}
        for c in candidates:
            self.add(c)

    @staticmethod
    def _keys(c: Candidate) -> list[tuple[str, str]]:
        keys = [(c.country, "name:" + name_key(c.body_name))]
        if c.place_code:
            keys.append((c.country, "place:" + c.place_code))
        return keys

    def add(self, c: Candidate) -> None:
        for key in self._keys(c):
            self._by.setdefault(key, []).append(c)

    def match(self, new: Candidate) -> str | None:
        seen: dict[str, Candidate] = {}
        for key in self._keys(new):
            for c in self._by.get(key, ()):
                seen.setdefault(c.ref, c)
        return find(new, seen.values())
