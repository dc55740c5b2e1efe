"""Council names in the languages of the data, article forms, and what is not a council (pure)."""

from __future__ import annotations

import pytest

from bridge.models.places import PlaceSource
from bridge.places.gazetteer import Gazetteer, PlaceRow, Unresolved, normalise_code
from bridge.places.names import council_town, fold, place_keys


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
