"""Councils like us (issue 11), the pure part: `similar`, `find`, population bands, places.

Records are dicts as `projects list --json` prints them; `place` dicts are put on them here (the
gazetteer of issue 10 fills them in the product)."""

from __future__ import annotations

from typing import Any

import pytest
from plugins.catalogue import make_record, real_records, write_records_file

from bridge.discovery import (
    FindError,
    UnknownRef,
    find,
    match_json,
    population_band,
    similar,
    similar_all,
)
from bridge.discovery.bands import BAND_LABELS, band_index, parse_range
from bridge.discovery.filters import by_population, near
from bridge.discovery.places import PlaceNotFound, distance_km, place_of, resolve_from_records


def place(code: str, name: str, population: int, lat: float, lon: float, **extra: Any) -> dict:
    return {
        "code": code,
        "name": name,
        "country": "ES",
        "population": population,
        "latitude": lat,
        "longitude": lon,
        "area_km2": 10.0,
        **extra,
    }


OLOT = place("17114", "Olot", 36_000, 42.1822, 2.4890, comarca="Garrotxa", nuts3="ES512")
BANYOLES = place(
    "17015", "Banyoles", 20_500, 42.1166, 2.7658, comarca="Pla de l'Estany", nuts3="ES512"
)
BESALU = place("17020", "Besalú", 2_500, 42.1990, 2.6990, comarca="Garrotxa", nuts3="ES512")
SANT_JOAN = place(
    "17167", "Sant Joan les Fonts", 2_900, 42.2120, 2.5120, comarca="Garrotxa", nuts3="ES512"
)
MANRESA = place("08113", "Manresa", 78_000, 41.7286, 1.8236, comarca="Bages", nuts3="ES511")
FIGUERES = place("17066", "Figueres", 47_000, 42.2667, 2.9610, comarca="Alt Empordà", nuts3="ES512")
LLEIDA = place("25120", "Lleida", 143_000, 41.6167, 0.6222, comarca="Segrià", nuts3="ES513")


def record(
    ref: str, title: str, description: str, *, at: dict | None = None, **fields: Any
) -> dict:
    values = {
        "ref": ref,
        "title": title,
        "description": description,
        "local_body": {"name": f"Ajuntament de {at['name'] if at else ref}", "country": "ES"},
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
        "proximity": "km0",
        "archived": False,
        "topic_url": None,
        "place": at,
    }
    values.update(fields)
    return values


def catalogue() -> list[dict]:
    return [
        record(
            "olot-xatbot",
            "Xatbot d'atenció ciutadana",
            "Un xatbot respon la ciutadania sobre el padró i els tràmits.",
            at=OLOT,
        ),
        record(
            "banyoles-chatbot",
            "Chatbot de atención ciudadana",
            "Un chatbot responde a la ciudadanía sobre el padrón.",
            at=BANYOLES,
            phase="implemented",
        ),
        record(
            "helsinki-bot",
            "Citizen chatbot",
            "A chatbot answers residents about registration.",
            at=None,
            local_body={"name": "Helsinki", "country": "FI"},
            proximity="foreign",
        ),
        record(
            "besalu-decidim",
            "Plataforma de participació Decidim",
            "Pressupostos participatius amb Decidim.",
            at=BESALU,
            area="participation-open-government",
        ),
        record(
            "manresa-flota",
            "Gestió de la flota municipal",
            "Sensors als vehicles municipals per planificar el manteniment.",
            at=MANRESA,
            area="planning-management",
            kind="process",
        ),
        record(
            "figueres-xatbot-arxivat",
            "Xatbot del padró",
            "Un xatbot sobre el padró municipal.",
            at=FIGUERES,
            archived=True,
        ),
        record(
            "santjoan-cita",
            "Cita prèvia en línia",
            "Cita prèvia per a l'oficina d'atenció ciutadana.",
            at=SANT_JOAN,
            phase="implemented",
        ),
        record(
            "lleida-padro",
            "Padró en línia",
            "Altes i certificats del padró municipal en línia.",
            at=LLEIDA,
            area="services-formalities",
        ),
    ]


# --------------------------------------------------------------------------- bands


def test_population_bands_are_idescats() -> None:
    assert [population_band(p) for p in (0, 500, 501, 2_000, 2_001, 5_000, 5_001)] == [
        "≤500",
        "≤500",
        "501–2,000",
        "501–2,000",
        "2,001–5,000",
        "2,001–5,000",
        "5,001–10,000",
    ]
    assert population_band(10_001) == "10,001–50,000" and population_band(50_001) == ">50,000"
    assert population_band(None) is None and band_index(-1) is None
    assert len(BAND_LABELS) == 6


@pytest.mark.parametrize(
    ("text", "bounds"),
    [("5000-20000", (5000, 20000)), ("5,000-", (5000, None)), ("-2000", (None, 2000))],
)
def test_population_ranges(text: str, bounds: tuple) -> None:
    assert parse_range(text) == bounds


@pytest.mark.parametrize("text", ["5000", "a-b", "20000-5000", "-"])
def test_bad_population_ranges_say_why(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text)):
        parse_range(text)


# --------------------------------------------------------------------------- similar


def test_similar_finds_the_same_idea_across_languages_with_readable_reasons() -> None:
    matches = similar(catalogue(), "olot-xatbot")
    refs = [m.ref for m in matches]
    # The Spanish chatbot on the same subject first; the archived Catalan one never.
    assert refs[0] == "banyoles-chatbot"
    assert "figueres-xatbot-arxivat" not in refs and "olot-xatbot" not in refs
    best = matches[0]
    assert "same area" in best.reasons and "implemented" in best.reasons
    shared = next(r for r in best.reasons if r.startswith("shared words: "))
    # "ciutadana"/"ciudadana" differ, but "atenció"/"atención" and "padró"/"padrón" meet.
    assert "atenció" in shared or "atención" in shared
    assert all(0 <= m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_similar_json_has_the_contract_shape() -> None:
    doc = match_json(similar(catalogue(), "olot-xatbot", limit=1)[0])
    assert set(doc) == {"ref", "title", "area", "score", "reasons", "topic_url", "place"}
    assert doc["place"]["code"] == "17015" and isinstance(doc["reasons"], list)


def test_similar_works_without_places_and_with_the_records_own_figures() -> None:
    records = [make_record(i) for i in range(12)]
    for r in records:
        r.update(archived=False, proximity="km0", topic_url=None)  # no "place" key at all
    matches = similar(records, records[0]["ref"])
    assert matches and all(m.ref != records[0]["ref"] for m in matches)
    with_body = [m for m in matches if m.place]
    assert with_body and all("population" in m.place for m in with_body)


def test_similar_unknown_ref() -> None:
    with pytest.raises(UnknownRef):
        similar(catalogue(), "nope")


def test_similar_all_chooses_exactly_as_similar() -> None:
    records = catalogue()
    together = similar_all(records)
    assert "figueres-xatbot-arxivat" not in together
    for ref, matches in together.items():
        assert matches == similar(records, ref)


def test_similar_ties_are_broken_by_ref_whatever_the_order() -> None:
    records = catalogue() + [
        record(f"twin-{c}", "Gestió documental", "Arxiu electrònic.", area="planning-management")
        for c in "cab"
    ]
    forward = [m.ref for m in similar(records, "twin-a")]
    backward = [m.ref for m in similar(list(reversed(records)), "twin-a")]
    assert forward == backward and forward[:2] == ["twin-b", "twin-c"]


# --------------------------------------------------------------------------- find


def test_find_like_a_council_puts_its_size_first_then_nearness() -> None:
    matches = find(catalogue(), like=SANT_JOAN)
    refs = [m.ref for m in matches]
    assert "santjoan-cita" not in refs, "the council's own projects are left out"
    assert "figueres-xatbot-arxivat" not in refs
    # Besalú: same band (2,001–5,000), same comarca, a few km away: first.
    assert refs[0] == "besalu-decidim"
    first = matches[0]
    assert "same population band 2,001–5,000" in first.reasons
    assert "same comarca (Garrotxa)" in first.reasons
    assert any(r.endswith("km away") for r in first.reasons)


def test_find_within_a_distance_and_by_text() -> None:
    matches = find(catalogue(), like=OLOT, within_km=40)
    assert {m.ref for m in matches} == {"banyoles-chatbot", "besalu-decidim", "santjoan-cita"}
    for m in matches:
        km = distance_km(
            (OLOT["latitude"], OLOT["longitude"]), (m.place["latitude"], m.place["longitude"])
        )
        assert km <= 40
    by_text = find(catalogue(), text="padrón en línea")
    assert by_text[0].ref == "lleida-padro"
    assert any(r.startswith("shared words: ") for r in by_text[0].reasons)
    assert all(m.ref != "figueres-xatbot-arxivat" for m in by_text)


def test_find_filters_area_and_proximity() -> None:
    assert {m.ref for m in find(catalogue(), proximity="foreign")} == {"helsinki-bot"}
    assert {m.ref for m in find(catalogue(), area="services-formalities")} == {"lleida-padro"}


def test_find_within_needs_a_place_with_a_position() -> None:
    with pytest.raises(FindError, match="--within needs --like"):
        find(catalogue(), within_km=10)
    with pytest.raises(FindError, match="not negative"):
        find(catalogue(), like=OLOT, within_km=-1)


def test_find_like_on_real_data_keeps_to_the_band(shared_dir, cli, tmp_path) -> None:
    """The real inventories as published, imported and placed by the product (the gazetteer gives
    the populations; the raw records carry none): `find --like Olot` (about 37,000 inhabitants)
    keeps to Olot's band while the catalogue holds enough councils of that size."""
    records = real_records(shared_dir)
    assert cli("import", write_records_file(tmp_path / "real.json", records)).exit_code == 0
    result = cli("find", "--like", "Olot", "--limit", "10", "--json")
    assert result.exit_code == 0, result.stderr
    matches = result.json()
    assert len(matches) == 10
    assert all("same population band 10,001–50,000" in m["reasons"] for m in matches)
    assert all(10_001 <= m["place"]["population"] <= 50_000 for m in matches)


# --------------------------------------------------------------------------- places


def test_place_of_falls_back_to_the_record_and_resolves_names() -> None:
    rec = make_record(0)
    assert place_of(rec)["population"] == rec["local_body"]["population"]
    assert place_of({"local_body": {"name": "x"}}) is None
    records = catalogue()
    assert resolve_from_records(records, "olot")["code"] == "17114"
    assert resolve_from_records(records, "17015")["name"] == "Banyoles"
    with pytest.raises(PlaceNotFound, match="no place"):
        resolve_from_records(records, "Atlantis")


def test_list_filters_by_population_and_distance() -> None:
    records = catalogue()
    kept = by_population(records, 20_000, 50_000)
    assert {r["ref"] for r in kept} == {
        "olot-xatbot",
        "banyoles-chatbot",
        "figueres-xatbot-arxivat",
    }
    nearest = near(records, OLOT, 30)
    assert nearest[0][0]["ref"] == "olot-xatbot"
    assert all(km <= 30 for _, km in nearest)
    assert [km for _, km in nearest] == sorted(km for _, km in nearest)
    with pytest.raises(ValueError, match="no known position"):
        near(records, {"name": "Nowhere"}, 5)
