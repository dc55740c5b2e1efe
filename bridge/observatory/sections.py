"""The "similar projects" section that ends each record's first post (issue 11, contract §5).

Pure. The choice is `similar_all`'s (so the forum shows what `digicanvis similar REF` shows);
this module turns it into entries (title, council, population, link) and Markdown (through the
renderer). An entry whose project has no topic yet is shown without a link and marks the record
as *waiting*: the sync writes it once that topic exists (see bridge.observatory.step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bridge.discovery.places import place_of
from bridge.discovery.reasons import Reason, evidence_reasons, inspiration_reasons
from bridge.settings import Settings
from bridge.sync.render import render_similar_entry, render_similar_section

SIMILAR_LIMIT = 5  # contract §5: at most 5


@dataclass(frozen=True)
class SimilarEntry:
    ref: str
    title: str
    council: str
    population: int | None
    url: str | None  # the topic's path (/t/slug/id), None while it has no topic
    # Issue 25: what the project saved per inhabitant a year, when known. Said of a project
    # already chosen (it never decides the list); the line, hence the topic, changes only when
    # the figure does.
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Sections:
    text: Mapping[str, str]  # ref → the rendered section ("" when nothing is similar)
    waiting: frozenset[str]  # refs whose section lists a project that has no topic yet


def keep_order(
    fresh: Mapping[str, Sequence[str]], previous: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """`fresh` (the choice `similar_all` makes now, best first), each list kept in its
    `previous` order when it names the same projects. The set is always `similar`'s; only a new
    ranking *within* an unchanged set is not shown, so a change elsewhere in the catalogue that
    merely reorders a list (term weights move when any text changes) rewrites no topic. A list
    whose set changed takes the new order, best first."""
    kept: dict[str, list[str]] = {}
    for ref, refs in fresh.items():
        before = previous.get(ref)
        same = before is not None and len(before) == len(refs) and set(before) == set(refs)
        kept[ref] = list(before) if same and before is not None else list(refs)
    return kept


def entry(
    record: Mapping[str, Any], url: str | None, official: Mapping[str, Any] | None = None
) -> SimilarEntry:
    """`official`: the record's place from the gazetteer (the population its evidence is
    over, as in its own topic's Evidence block), None when unresolved."""
    place = place_of(record) or {}
    evidence = {**record, "place": dict(official)} if official else record
    return SimilarEntry(
        ref=record["ref"],
        title=record.get("title", ""),
        council=(record.get("local_body") or {}).get("name", ""),
        population=place.get("population"),
        url=url,
        reasons=evidence_reasons(evidence),
    )


def build_sections(
    choice: Mapping[str, Sequence[str]],
    records: Mapping[str, Mapping[str, Any]],
    links: Mapping[str, str],
    settings: Settings,
    only: Iterable[str] | None = None,
    places: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> Sections:
    """Sections for every ref of `choice` (or those in `only`). `records` by ref, `links` the
    topic paths of records that have a topic, `places` the gazetteer's place of each record
    that has one (for the per-inhabitant figures)."""
    wanted = set(choice) if only is None else set(only) & set(choice)
    text: dict[str, str] = {}
    waiting: set[str] = set()
    lines: dict[str, str] = {}  # a project's line is the same in every list that names it
    for ref in wanted:
        targets = [r for r in choice[ref] if r in records]
        for r in targets:
            if r not in lines:
                official = (places or {}).get(r)
                lines[r] = render_similar_entry(entry(records[r], links.get(r), official), settings)
        text[ref] = render_similar_section(
            [_line(ref, r, records, links, places, settings) or lines[r] for r in targets],
            settings,
        )
        if any(r not in links for r in targets):
            waiting.add(ref)
    return Sections(text=text, waiting=frozenset(waiting))


def _line(
    ref: str,
    r: str,
    records: Mapping[str, Mapping[str, Any]],
    links: Mapping[str, str],
    places: Mapping[str, Mapping[str, Any] | None] | None,
    settings: Settings,
) -> str | None:
    """Project r's line in ref's list when one of them built on the other (issue 22 point 5:
    the line then says so, so it is ref's own); None for the line every list shares."""
    related = inspiration_reasons(records[ref], records[r])
    if not related:
        return None
    shared = entry(records[r], links.get(r), (places or {}).get(r))
    return render_similar_entry(replace(shared, reasons=shared.reasons + related), settings)
