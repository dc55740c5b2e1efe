"""What a challenge asks, matched against the catalogue: the only caller of bridge.discovery.

Pure. The challenge's own words go to the engine as `text`; a population it names ("18,000
inhabitants", "18.000 habitants", "18 000 habitantes") goes as `like={"population": N}` so that
councils of that size rank higher. A council it names ("som l'Ajuntament d'Olot", "the City of
Girona") is resolved by the caller's `resolve` (the gazetteer, bridge.places) and goes as `like`:
councils of its size, then nearer ones, rank higher; a population the text names wins over the
place's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridge import discovery
from bridge.discovery.reasons import Reason, ReasonKind

if TYPE_CHECKING:
    from bridge.discovery.text import TextIndex

# A challenge longer than any post Discourse keeps (32,000 characters) is cut before matching.
MAX_TEXT = 32_000

_SEPARATOR = r"[.,\u00a0\u202f\u2009 ]"
_POPULATION = re.compile(
    rf"(?<![\d.,])(\d{{1,3}}(?:{_SEPARATOR}\d{{3}})+|\d{{1,7}})\s*"
    r"(?:inhabitants|habitants|habitantes|hab\.|residents|residentes|veïns|vecinos|people|persones|personas)",
    re.IGNORECASE,
)
# "Ajuntament d'Olot", "Ayuntamiento de Lleida", "City of Girona", "Municipality of Vic": a
# council's phrase and the capitalised words of its town's name (with their particles).
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’·-]*"
_COUNCIL = re.compile(
    r"\b(?:Ajuntament|Ayuntamiento|Concello|Udala|City|Municipality|Town|Comune|Ville|Mairie)"
    r"\s+(?:de\s+les\s+|de\s+la\s+|de\s+l['’]|del\s+|de\s+|d['’]|of\s+(?:the\s+)?|di\s+)"
    rf"({_NAME_WORD}(?:\s+(?:(?:de|del|d['’]|la|les|el|i|de la)\s*)?{_NAME_WORD}){{0,3}})"
)
# Markup that carries no meaning for matching: URLs, mentions, HTML tags, code fences, BBCode.
_NOISE = re.compile(
    r"https?://\S+|<[^>]{0,200}>|@[\w.-]+|```|\[/?[a-z]+[^\]]{0,80}\]", re.IGNORECASE
)


@dataclass(frozen=True)
class Suggestion:
    """One project the reply lists, with what the renderer shows of it."""

    ref: str
    title: str
    topic_url: str | None
    council: str
    population_band: str | None
    phase: str
    reasons: tuple[Reason, ...]  # worded in the forum's language by the renderer
    forum_users: tuple[tuple[str, str], ...]  # (shown name, forum username) of public contacts


def population_in(text: str) -> int | None:
    """The first population a text names, e.g. 18000 for "18.000 habitants"; None when none."""
    found = _POPULATION.search(text)
    if not found:
        return None
    return int(re.sub(_SEPARATOR, "", found.group(1)))


def councils_in(text: str) -> list[str]:
    """The councils a text names, as council names the gazetteer resolves ("Ajuntament d'Olot"),
    in order of appearance."""
    return [f"Ajuntament de {m.group(1)}" for m in _COUNCIL.finditer(text)]


def clean_text(title: str, body: str) -> str:
    return _NOISE.sub(" ", f"{title}\n{body}"[:MAX_TEXT])


def suggest(
    records: Sequence[dict[str, Any]],
    title: str,
    body: str,
    *,
    limit: int,
    resolve: Callable[[str], dict[str, Any] | None] | None = None,
    index: TextIndex | None = None,
) -> tuple[Suggestion, ...]:
    """The projects that answer a challenge, best first (at most `limit`): only those relevant
    to it (bridge.discovery.relevance), never padded. `resolve` turns a council's name into its
    place (None when unknown or ambiguous); `index`: the catalogue's text index when the caller
    has it."""
    text = clean_text(title, body)
    like: dict[str, Any] | None = None
    if resolve is not None:
        for council in councils_in(text):
            like = resolve(council)
            if like is not None:
                break
    population = population_in(text)
    if population is not None:
        like = (like or {}) | {"population": population}
    live = [r for r in records if not r.get("archived")]
    by_ref = {r["ref"]: r for r in live}
    matches = discovery.find(live, text=text, like=like, limit=limit, index=index)
    return tuple(_suggestion(m, by_ref[m.ref]) for m in matches if m.ref in by_ref)


def _suggestion(match: Any, record: dict[str, Any]) -> Suggestion:
    body = record.get("local_body") or {}
    population = (match.place or record.get("place") or {}).get(
        "population", body.get("population")
    )
    users = tuple(
        (str(c.get("name") or c["forum_username"]), str(c["forum_username"]))
        for c in record.get("contacts") or []
        if c.get("public") and c.get("forum_username")
    )
    return Suggestion(
        ref=match.ref,
        title=match.title,
        topic_url=match.topic_url,
        council=str(body.get("name") or ""),
        population_band=discovery.population_band(population),
        phase=str(record.get("phase") or ""),
        # The saving first: never cut from the reply (which shows the first reasons only).
        reasons=(
            *(r for r in match.why if r.kind is ReasonKind.SAVED_PER_INHABITANT),
            *(r for r in match.why if r.kind is not ReasonKind.SAVED_PER_INHABITANT),
        ),
        forum_users=users,
    )
