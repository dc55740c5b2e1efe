"""Councils like us: similar projects, projects of councils of similar size and place, and the
observatory's pages in the forum (index and overview topics).

Public API (the challenges' answers call it too): `Match`, `match_json`, `similar`,
`similar_all`, `find`, `population_band`.
"""

from bridge.discovery.bands import population_band
from bridge.discovery.rank import (
    FindError,
    Match,
    UnknownRef,
    find,
    match_json,
    similar,
    similar_all,
)

__all__ = [
    "FindError",
    "Match",
    "UnknownRef",
    "find",
    "match_json",
    "population_band",
    "similar",
    "similar_all",
]
