"""Who took up whose project (issue 22 point 5): the relation between records, pure.

A record names the projects it built on (`inspired_by`, stored in `project_inspiration` by
`catalogue.store`). Its topic says what it built on ("Built on: Chatbot (Sant Just Desvern)"),
and the topic of a project that others built on says where it was taken up ("Replicated in:
Vic, Olot"). A *council* is its place when the gazetteer placed it, otherwise its body's name
as written (`local_body.name_key`); its name is the place's name, or the body's. Archived
records are out of the observatory: they appear on neither side. `spread` (how many councils
took a project up) is the number of councils in "Replicated in", the one count that
`projects list --sort spread` orders by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class End:
    """One record at an end of a link, as the relation shows it."""

    ref: str
    title: str
    council_key: str  # `<country>:place:<code>`, or `<country>:name:<name_key>` when unplaced
    council: str  # the place's name, or the body's
    archived: bool


@dataclass(frozen=True)
class Built:
    """A project a record built on: its title and council (and ref, for links and reasons)."""

    ref: str
    title: str
    council: str


@dataclass(frozen=True)
class Relations:
    built_on: tuple[Built, ...] = ()  # by ref
    replicated_in: tuple[str, ...] = ()  # the names of the councils that took it up, sorted
    spread: int = 0  # how many councils took it up (by council, not by name)

    def __bool__(self) -> bool:
        return bool(self.built_on or self.replicated_in)


def self_link(ref: str) -> str:
    """Why a record cannot name itself: said by validation (`inspired_by`) and by
    `projects link` alike."""
    return f"a record cannot build on itself ({ref!r})"


def council_key(country: str, place_code: str | None, name_key: str) -> str:
    return f"{country}:place:{place_code}" if place_code else f"{country}:name:{name_key}"


def relations(links: Iterable[tuple[End, End]]) -> dict[str, Relations]:
    """Each record's relations from the links (record, the one it built on); records with none
    are absent."""
    built_on: dict[str, dict[str, Built]] = {}
    taken_up: dict[str, dict[str, str]] = {}  # ref → council key → council name
    for record, origin in links:
        if record.archived or origin.archived:
            continue
        built_on.setdefault(record.ref, {})[origin.ref] = Built(
            origin.ref, origin.title, origin.council
        )
        taken_up.setdefault(origin.ref, {}).setdefault(record.council_key, record.council)
    return {
        ref: Relations(
            tuple(built_on.get(ref, {})[r] for r in sorted(built_on.get(ref, {}))),
            tuple(sorted(set(taken_up.get(ref, {}).values()), key=str.casefold)),
            len(taken_up.get(ref, {})),
        )
        for ref in set(built_on) | set(taken_up)
    }


def spread_of(found: Mapping[str, Relations], ref: str) -> int:
    """How many councils took `ref`'s project up (0 when none did)."""
    relation = found.get(ref)
    return relation.spread if relation is not None else 0
