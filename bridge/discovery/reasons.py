"""Why a project is shown (`similar`, `find`): reasons as typed data, rendered in one place.

Ranking (bridge.discovery.rank) says *what* made a result: a `Reason` of a `ReasonKind` with the
facts it names (the shared words, the band, the kilometres…). `reason_text` is the one rendering
of those facts: in English for the CLI and `--json` (contract §3 shows them as strings), and in
the forum's language for the challenge replies, from the wording the configuration gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReasonKind(StrEnum):
    SAME_NEED = "same_need"  # concepts of the field's vocabulary both name (always listed first)
    SAME_AREA = "same_area"
    SAME_KIND = "same_kind"
    SAME_TECHNOLOGY = "same_technology"
    SHARED_WORDS = "shared_words"
    IMPLEMENTED = "implemented"
    SAME_PHASE = "same_phase"
    SAME_BAND = "same_band"  # similar: both councils in one population band
    BAND = "band"  # find: the result's band, `same` when it is the asked council's
    DISTANCE = "distance"
    SAME_COMARCA = "same_comarca"
    SAME_NUTS3 = "same_nuts3"
    # Issue 25: the result's yearly savings per inhabitant (value: euros, two decimals).
    SAVED_PER_INHABITANT = "saved_per_inhabitant"
    # Issue 22 point 5, of `similar`: the asked project built on the result, or the result built
    # on the asked project (`inspiration_reasons`).
    INSPIRED_THIS = "inspired_this"
    BUILT_ON_THIS = "built_on_this"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    words: tuple[str, ...] = ()  # SHARED_WORDS: as the result writes them; SAME_NEED: concept ids
    value: str | None = None  # the phase, band, comarca, NUTS 3 code or technology named
    km: float | None = None  # DISTANCE
    same: bool = False  # BAND: the asked council's own band


def evidence_reasons(record: Mapping[str, Any]) -> tuple[Reason, ...]:
    """Issue 25: what a listed project saved per inhabitant a year, when the record says so
    (over the population its figures are over: `catalogue.evidence.derived`, the one rule).
    Added to a result once it is chosen: evidence never makes a record relevant nor moves it
    (issue 21 decides what is listed; issue 25 point 4: no evidence ranks no lower)."""
    from bridge.catalogue.evidence import PopulationCaveat, derived

    figures = derived(record)
    saved = figures["savings_per_inhabitant_eur"]
    if saved is None:
        return ()
    if PopulationCaveat.unresolved.value in figures["population_basis"]["caveats"]:
        # Over the record's own population, not the gazetteer's: shown only where its caveat is
        # written beside it (`projects show`, the topic's Evidence block), never as a bare reason
        # (issue 25 point 4: never silently).
        return ()
    return (Reason(ReasonKind.SAVED_PER_INHABITANT, value=f"{saved:.2f}"),)


def inspiration_reasons(asked: Mapping[str, Any], result: Mapping[str, Any]) -> tuple[Reason, ...]:
    """Issue 22 point 5: who took up whose project, between the asked record and a result of its
    similar list (their `inspired_by`). Said of a result once it is chosen, like the evidence: it
    never makes a record similar nor moves it."""
    found = []
    if result.get("ref") in (asked.get("inspired_by") or ()):
        found.append(Reason(ReasonKind.INSPIRED_THIS))
    if asked.get("ref") in (result.get("inspired_by") or ()):
        found.append(Reason(ReasonKind.BUILT_ON_THIS))
    return tuple(found)


# The English wording: what the CLI and `--json` show (contract §3 shows reasons as these
# strings). Other languages' wording is configuration: `reason_<key>` in `[labels.<language>]` of
# config/bridge.toml, with the same {words}, {value} and {km} fields; a key missing there falls
# back to this table.
ENGLISH: dict[str, str] = {
    "same_need": "same need: {words}",
    "same_area": "same area",
    "same_kind": "same kind of change",
    "same_technology": "same technology ({value})",
    "shared_words": "shared words: {words}",
    "implemented": "implemented",
    "same_phase": "same phase ({value})",
    "same_band": "same population band {value}",
    "band": "population band {value}",
    "band_same": "same population band {value}",
    "distance": "{km} km away",
    "distance_near": "less than 1 km away",
    "same_comarca": "same comarca ({value})",
    "same_nuts3": "same NUTS 3 region ({value})",
    "saved_per_inhabitant": "saved {value} € per inhabitant a year",
    "inspired_this": "this project built on it",
    "built_on_this": "built on this project",
}


def wording_key(reason: Reason) -> str:
    """The key of a reason's wording (ENGLISH's, and `reason_<key>` in the labels)."""
    kind = reason.kind
    if kind is ReasonKind.BAND and reason.same:
        return "band_same"
    if kind is ReasonKind.DISTANCE and (reason.km or 0.0) < 1:
        return "distance_near"
    return kind.value


def reason_text(
    reason: Reason,
    wording: Callable[[str], str | None] | None = None,
    *,
    value: Callable[[str], str] = str,
    thousands: str = ",",
    language: str = "en",
) -> str:
    """A reason as a person reads it: in English (the CLI, `--json`), or in the words `wording`
    gives for a key (the forum's language: `reason_<key>` of its labels; English where it
    gives none). `value` words a named value (a phase in the forum's language); `thousands`
    separates the kilometres' thousands (10.001 in Catalan and Spanish); `language` names the
    concepts of a SAME_NEED reason (the vocabulary's labels, English where it has none)."""
    key = wording_key(reason)
    words = reason.words
    if reason.kind is ReasonKind.SAME_NEED:
        from bridge.discovery.concepts import vocabulary

        known = vocabulary().concepts
        words = tuple(known[c].label(language) if c in known else c for c in words)
    template = (wording(f"reason_{key}") if wording is not None else None) or ENGLISH[key]
    km = f"{reason.km or 0.0:,.0f}".replace(",", thousands)
    named = reason.value or ""
    if reason.kind in (ReasonKind.SAME_PHASE,):
        named = value(named)
    elif reason.kind in (ReasonKind.SAME_BAND, ReasonKind.BAND):
        named = named.replace(",", thousands)
    elif reason.kind is ReasonKind.SAVED_PER_INHABITANT and thousands == ".":
        named = named.replace(".", ",")  # where thousands take a point, decimals take a comma
    return template.format(words=", ".join(words), value=named, km=km)
