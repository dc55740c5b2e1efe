"""Council names in the languages of the data, article forms, and what is not a council (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.models.places import PlaceSource
from bridge.places.gazetteer import Gazetteer, PlaceRow, Unresolved, normalise_code
from bridge.places.names import council_town, fold, place_keys
from bridge.places.registries import read_registry


@pytest.mark.parametrize(
    ("name", "town"),
    [
        ("Ajuntament de Barcelona", "barcelona"),
        ("Ajuntament d'Olot", "olot"),
        ("Ajuntament del Masnou", "el masnou"),
        ("Ajuntament de Valls (Valls City Council)", "valls"),
        ("Ayuntamiento de Zaragoza", "zaragoza"),
        ("Concello da Coruña", "a coruna"),
        ("City of Barcelona", "barcelona"),
        ("Barcelona City Council", "barcelona"),
        ("The Municipality of Bari", "bari"),
        ("Milano Municipality", "milano"),
        ("Comune di Bologna", "bologna"),
        ("Ville de Lyon", "lyon"),
        ("Gemeente Utrecht", "utrecht"),
        ("Stadt Köln", "koln"),
        ("Câmara Municipal de Lisboa", "lisboa"),
        ("Tampere kaupunki", "tampere"),
        ("Tallinn linn", "tallinn"),
        ("Vilanova i la Geltrú", "vilanova i la geltru"),
        # Issue 20: a council's government, administration or hall, in the data's languages.
        ("Tallinn City Government", "tallinn"),
        ("City Government of Tallinn", "tallinn"),
        ("Tallinn City Hall", "tallinn"),
        ("Riga City Administration", "riga"),
        ("Municipality of Tallinn", "tallinn"),
        ("Vilnius City Municipality", "vilnius"),
        ("Gobierno Municipal de Zaragoza", "zaragoza"),
        ("Amministrazione comunale di Bologna", "bologna"),
        ("Hôtel de Ville de Lyon", "lyon"),
        ("Prefeitura de Lisboa", "lisboa"),
        ("Gemeentebestuur Utrecht", "utrecht"),
        ("Rathaus Wien", "wien"),
        ("Tampere kaupunginhallitus", "tampere"),
    ],
)
def test_the_town_a_council_names(name: str, town: str) -> None:
    assert council_town(name) == town


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Diputació de Barcelona", None),
        ("Consell Comarcal del Baix Llobregat", None),
        ("Area Metropolitana de Barcelona", None),
        ("Generalitat de Catalunya", None),
        ("Regione Lombardia", None),
        ("Province of Gelderland", None),
        ("Centre Blockchain de Catalunya", None),
        ("Universitat de Barcelona", None),
        ("Aria Spa", None),
        ("Barcelona", "Empresa"),
        ("Girona", "Regional Government"),
    ],
)
def test_bodies_that_are_not_councils(name: str, kind: str | None) -> None:
    assert council_town(name, kind) is None


def test_a_local_government_kind_is_a_council() -> None:
    assert council_town("Barcelona", "Local Government") == "barcelona"


@pytest.mark.parametrize(
    ("name", "kind", "town"),
    [
        # As the JRC inventory files them (../shared/data/projects_jrc_ipsx_cases_2022.csv).
        ("Municipality of Bari", "Central-Government", "bari"),
        ("Municipality of Dordrecht", "Private sector", "dordrecht"),
        ("City of Rammicu-Valcea", "Private sector", "rammicu valcea"),
    ],
)
def test_a_name_in_a_councils_form_outweighs_the_category_beside_it(
    name: str, kind: str, town: str
) -> None:
    assert council_town(name, kind) == town


def test_tallinn_city_government_is_placed_in_tallinn_by_the_lau_registry(
    shared_dir: Path,
) -> None:
    _registry, rows = read_registry(shared_dir / "data" / "eu_lau_centres_2020_nuts2021.csv")
    gazetteer = Gazetteer(rows)
    town = council_town("Tallinn City Government", "Local Government")
    assert town is not None
    found = gazetteer.find(town)
    assert [(p.country, p.code) for p in found] == [("EE", "0784")]
    assert found[0].population == 437619


def test_article_forms_and_bilingual_names() -> None:
    assert "l hospitalet de llobregat" in place_keys("Hospitalet de Llobregat, l'")
    assert {"donostia", "san sebastian"} <= place_keys("Donostia/San Sebastián")
    assert fold("  L'Hospitalet ") == "l hospitalet"


def test_resolution_by_code_name_and_ambiguity() -> None:
    rows = [
        PlaceRow("ES", "08118", PlaceSource.catalunya, "Masnou, el", population=24181),
        PlaceRow("ES", "17030", PlaceSource.ign, "Cabanes", province="Girona"),
        PlaceRow("ES", "12033", PlaceSource.ign, "Cabanes", province="Castelló/Castellón"),
        PlaceRow("ES", "08118", PlaceSource.lau, "El Masnou", population=1, nuts3="ES511"),
    ]
    gazetteer = Gazetteer(rows)
    masnou = gazetteer.resolve("ES", "Masnou").place
    assert masnou is not None and masnou.name == "El Masnou"
    # merged field by field: the register's population, the LAU's NUTS 3
    assert (masnou.population, masnou.nuts3) == (24181, "ES511")
    assert gazetteer.resolve("ES", "Ajuntament del Masnou").place == masnou
    assert gazetteer.resolve("ES", "x", code="081184").place == masnou  # Idescat's 6 digits
    ambiguous = gazetteer.resolve("ES", "Cabanes")
    assert ambiguous.reason is Unresolved.ambiguous and len(ambiguous.candidates) == 2
    assert gazetteer.resolve("ES", "x", code="99999").reason is Unresolved.unknown_code
    assert gazetteer.resolve("FR", "Lyon").reason is Unresolved.no_gazetteer
    assert normalise_code("ES", "8019") == "08019" and normalise_code("NL", "NL_GM0344") == "GM0344"
