"""Topic titles: valid as Discourse stores them and distinct from every other record's.

Pure. Discourse prettifies a title before validating and storing it (API-NOTES §8) and refuses a
title already used by another topic, compared case-insensitively (§8). So every comparison here
is on `title_key` = prettify_title(nfc(t)).casefold(): two records whose titles only differ in
case, repeated "!", trailing periods or Unicode form (NFC "ò" against NFD "o" + U+0300, equal on
screen) would still collide in the forum.

Rules, applied to the whole catalogue at once so the result does not depend on the order in
which records were created:
1. a title that Discourse would find too short or unclear is completed with its local body
   ("Wifi" → "Wifi — Ajuntament de Vic"); if still not enough, with its ref as well;
2. titles that collide are completed with their local body (ninety-nine councils may all run
   "A participation platform"); titles still colliding (same body) with their ref, which is
   unique;
3. a title too long for Discourse (255) is cut at a word, keeping the suffix, with "…".

A title is never used to find a topic (the external id is): it is only what we write.
`fallback` is the title used when the forum refuses the primary one because a topic we do not
own already has it ("Title has already been used"); it is deterministic, so the planner can
recognise it as "what we meant to write" on the next run instead of fighting over it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.rules.discourse import (
    MAX_TITLE_LENGTH,
    MIN_TITLE_LENGTH,
    prettify_title,
    title_problems,
)

_SPACES = re.compile(r"\s+")
SEPARATOR = " — "
ELLIPSIS = "…"


@dataclass(frozen=True)
class TitleInput:
    ref: str
    title: str
    local_body: str


@dataclass(frozen=True)
class TitleChoice:
    primary: str  # what we send; Discourse stores prettify_title(primary)
    fallback: str  # what we send when a topic we do not own already has the primary title


def title_key(title: str) -> str:
    """How Discourse compares titles for uniqueness: after prettifying, case-insensitively; and
    in NFC, so that titles a person cannot tell apart are the same title (issue 28)."""
    return prettify_title(unicodedata.normalize("NFC", title)).casefold()


def clean(text: str) -> str:
    """One line, single spaces, NFC: a title never carries newlines or runs of spaces, and is
    written in one Unicode form whatever form its file used."""
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text or "").strip())


def fit(core: str, suffix: str = "", limit: int = MAX_TITLE_LENGTH) -> str:
    """`core + suffix` within `limit` characters, cutting the core at a word (never the suffix)."""
    if len(core) + len(suffix) <= limit:
        return core + suffix
    room = limit - len(suffix) - len(ELLIPSIS)
    cut = core[:room]
    if " " in cut and not core[room : room + 1].isspace():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-—.") + ELLIPSIS + suffix


def _good_enough(title: str) -> bool:
    return not title_problems(title)


def _candidates(item: TitleInput) -> list[str]:
    """From plain to most specific; every later candidate contains the record's ref."""
    core, body = clean(item.title), clean(item.local_body)
    # Discourse drops trailing periods (§8) only at the very end: cut them before a suffix too,
    # or "A platform. — Vic" would read oddly.
    bare = core.rstrip(" .") or core
    return [
        fit(core),
        fit(bare, f"{SEPARATOR}{body}"),
        fit(bare, f"{SEPARATOR}{body} ({item.ref})"),
    ]


def build_titles(items: Iterable[TitleInput]) -> dict[str, TitleChoice]:
    """The title of every record, keyed by ref. Deterministic for a given set of records."""
    items = list(items)
    options = {item.ref: _candidates(item) for item in items}
    level: dict[str, int] = {}
    for item in items:
        # Rule 1: complete a title Discourse would refuse as too short or unclear.
        lvl = 0
        while lvl < 2 and (
            len(prettify_title(options[item.ref][lvl])) < MIN_TITLE_LENGTH
            or not _good_enough(options[item.ref][lvl])
        ):
            lvl += 1
        level[item.ref] = lvl
    # Rule 2: raise colliding titles one level at a time until every key is unique. The last
    # level holds the ref, so at most a few rounds are needed; the bound only guards the loop.
    for _ in range(6):
        groups: dict[str, list[str]] = defaultdict(list)
        for ref, lvl in level.items():
            groups[title_key(options[ref][lvl])].append(ref)
        colliding = [refs for refs in groups.values() if len(refs) > 1]
        if not colliding:
            break
        moved = False
        for refs in colliding:
            for ref in refs:
                if level[ref] < 2:
                    level[ref] += 1
                    moved = True
        if not moved:
            break  # identical at the last level: only possible with identical refs
    result = {}
    for item in items:
        primary = options[item.ref][level[item.ref]]
        fallback = options[item.ref][2]
        if title_key(fallback) == title_key(primary):
            core = clean(item.title).rstrip(" .") or clean(item.title)
            fallback = fit(core, f"{SEPARATOR}{clean(item.local_body)} ({item.ref}, DigiCanvis)")
        result[item.ref] = TitleChoice(primary=primary, fallback=fallback)
    return result
