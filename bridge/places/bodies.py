"""Public bodies that are not councils but whose region is known: Catalonia's diputacions,
consells comarcals, the Generalitat, the Àrea Metropolitana de Barcelona, its universities and
the consortia and associations of its local bodies (issue 27 point 1).

The gazetteer never places such a body as the council of the town it sits in (contract §3), so
its place says nothing of its region; this table does, from the body's name. It is
`data/public_bodies_ct.csv` in the package: one row a name as records write it (Catalan, Spanish
and English forms), its ISO 3166-2 region, its kind and the source of that fact (the laws that
create the comarques and provinces' councils, the Statute of Autonomy, the Generalitat's list of
its university system and public-sector consortia).

Names are compared by their words: case, accents, punctuation and the articles and prepositions
between them ignored ("Consell Comarcal Bages" = "Consell Comarcal del Bages"), and a name in
parentheses counts as another name of the same body, as the JRC writes them ("Diputació de
Barcelona (Barcelona Provincial Council)").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bridge.places.names import fold

TABLE = "public_bodies_ct.csv"
# Which country the table's bodies are in: a name is only looked up for a body of that country.
COUNTRY = "ES"
# Words that do not tell two bodies apart (folded): articles and prepositions of ca, es, en.
_GLUE = frozenset(
    ("d", "de", "del", "dels", "l", "la", "les", "el", "els", "lo", "los", "las", "the", "of",
     "a", "an", "i", "y", "and")
)  # fmt: skip
_PARENTHESES_RE = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True, slots=True)
class KnownBody:
    name: str  # as the table writes it
    region: str  # ISO 3166-2
    kind: str
    source: str


def name_key(name: str) -> str:
    """The words of a name that tell bodies apart, folded."""
    return " ".join(word for word in fold(name).split() if word not in _GLUE)


@cache
def _table() -> dict[str, KnownBody]:
    text = resources.files("bridge.places").joinpath("data", TABLE).read_text(encoding="utf-8")
    found: dict[str, KnownBody] = {}
    for row in csv.DictReader(text.splitlines()):
        body = KnownBody(row["name"], row["region"], row["kind"], row["source"])
        found.setdefault(name_key(body.name), body)
    return found


def known_body(name: str | None, country: str | None) -> KnownBody | None:
    """The table's row for a body named so, or None. Each name in parentheses is tried too."""
    if not name or country != COUNTRY:
        return None
    table = _table()
    outside = _PARENTHESES_RE.sub(" ", name)
    for candidate in (outside, *_PARENTHESES_RE.findall(name)):
        found = table.get(name_key(candidate))
        if found is not None:
            return found
    return None


def all_bodies() -> list[KnownBody]:
    """Every row of the table (for tests and documentation)."""
    return list(_table().values())
