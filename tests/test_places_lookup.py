"""`find --like PLACE` looks a place up without loading the whole gazetteer
(bridge.places.read_store.gazetteer_for): it must answer exactly as the whole gazetteer does."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from bridge.places import read_store as places_read
from bridge.places import store as places_store
from bridge.places.registries import read_registry


def _asked(names: list[str]) -> list[str]:
    """Names as people type them: as written, upper case, without accents, as a council."""
    plain = [
        "".join(c for c in unicodedata.normalize("NFKD", n) if not unicodedata.combining(c))
        for n in names
    ]
    return [*names, *(n.upper() for n in names), *plain, *(f"Ajuntament de {n}" for n in names)]


def test_a_narrowed_lookup_answers_as_the_whole_gazetteer(engine, shared_dir: Path) -> None:
    with engine.begin() as conn:
        places_store.ensure_builtin(conn)
        places_store.upsert(
            conn, read_registry(shared_dir / "data" / "es_municipios_ign_ngmep2024.csv")[1]
        )
        whole = places_store.gazetteer(conn)
        catalan = sorted({p.name for p in whole.by_code.values() if p.comarca})
        names = [
            *catalan[::40],
            "L'Hospitalet de Llobregat", "Hospitalet de Llobregat", "Masnou", "Sant Joan Despí",
            "Castellar", "Donostia", "San Sebastián", "A Coruña", "Oia", "Ea",
            "Ajuntament d'Olot", "Cervelló", "Sant Cugat",
        ]  # fmt: skip
        # A name nothing answers falls back to the whole gazetteer: asked once.
        codes = ["17079", "170792", "8101", "08101", "20069", "Nowhere at all"]
        for asked in [*_asked(names), *codes]:
            key = lambda p: (p.country, p.code)  # noqa: E731
            narrowed = places_read.gazetteer_for(conn, asked).find(asked)
            assert sorted(narrowed, key=key) == sorted(whole.find(asked), key=key), asked
