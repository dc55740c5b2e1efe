"""Issue 24: the maps and charts (pure drawing, no forum)."""

from __future__ import annotations

import hashlib
from datetime import date

from bridge.rules import discourse as rules
from bridge.settings import load_settings
from bridge.visual import figures
from bridge.visual.boundaries import load
from bridge.visual.pictures import OVERVIEW_PICTURES, area_picture, map_picture, overview_pictures


def _record(ref, area, proximity, lon, lat, population=1000, phase="pilot", archived=False):
    place = {"longitude": lon, "latitude": lat, "population": population}
    return {
        "ref": ref,
        "area": area,
        "phase": phase,
        "proximity": proximity,
        "archived": archived,
        "place": place if proximity == "km0" else None,
        "local_body": {"name": ref, "country": "ES", **place},
    }


RECORDS = [
    _record("olot-a", "citizen-care", "km0", 2.49, 42.18),
    _record("olot-b", "citizen-care", "km0", 2.49, 42.18),
    _record("olot-c", "social-services", "km0", 2.49, 42.18, phase="implemented"),
    _record("reus", "planning-management", "km0", 1.106, 41.155, population=107000),
    _record("gone", "planning-management", "km0", 1.106, 41.155, archived=True),
    _record("gent", "social-services", "foreign", 3.72, 51.05, population=265000),
    {"ref": "nowhere", "area": "citizen-care", "phase": "pilot", "proximity": "foreign",
     "archived": False, "place": None, "local_body": {"name": "X", "country": "FR"}},
]  # fmt: skip
CREATED = [date(2025, 1, 5), date(2025, 1, 9), date(2025, 3, 1)]


def test_marks_group_councils_by_area_and_count_the_unplaced():
    km0 = figures.map_data(RECORDS, "km0")
    assert [(m.area, m.count) for m in km0.marks] == [
        ("citizen-care", 2),
        ("planning-management", 1),
        ("social-services", 1),
    ]
    assert (km0.placed, km0.unplaced) == (4, 0)  # the archived record is left out
    foreign = figures.map_data(RECORDS, "foreign")
    assert (foreign.placed, foreign.unplaced) == (1, 1)
    only = figures.map_data(RECORDS, "km0", "social-services")
    assert [(m.area, m.count) for m in only.marks] == [("social-services", 1)]


def test_chart_data():
    table = figures.area_phase(RECORDS)
    assert table["citizen-care"] == {"prototype": 0, "pilot": 3, "implemented": 0}
    assert table["social-services"]["implemented"] == 1
    counts, unknown = figures.band_counts(RECORDS)
    assert counts == [0, 3, 0, 0, 0, 2] and unknown == 1  # 1,000 → 501–2,000
    assert figures.growth(CREATED) == [
        (date(2025, 1, 1), 2),
        (date(2025, 2, 1), 2),  # a month without a new record still has its point
        (date(2025, 3, 1), 3),
    ]


def test_same_catalogue_same_bytes_png_and_svg():
    settings = load_settings()
    first = overview_pictures(RECORDS, CREATED, settings)
    again = overview_pictures(list(reversed(RECORDS)), CREATED, settings)
    assert [p.key for p in first] == list(OVERVIEW_PICTURES)
    assert [p.sha1 for p in first] == [p.sha1 for p in again]
    svg = map_picture(RECORDS, settings, "km0", fmt="svg")
    assert svg.data == map_picture(RECORDS, settings, "km0", fmt="svg").data
    assert b"<dc:date>" not in svg.data  # no timestamp in the SVG's metadata
    for picture in first:
        assert b"tEXtSoftware" not in picture.data  # no version/time text chunk in the PNG
    changed = overview_pictures(RECORDS[:-2], CREATED, settings)
    assert first[0].sha1 == changed[0].sha1  # the Km0 map did not change
    assert first[1].sha1 != changed[1].sha1  # the foreign map did


def test_pictures_fit_the_forum():
    settings = load_settings()
    for picture in [*overview_pictures(RECORDS, CREATED, settings),
                    area_picture(RECORDS, settings, "citizen-care")]:  # fmt: skip
        assert len(picture.data) < rules.MAX_IMAGE_SIZE_KB * 1024
        width, height = picture.display_size
        assert width == rules.MAX_IMAGE_WIDTH and height <= rules.MAX_IMAGE_HEIGHT
        assert picture.alt and "{" not in picture.alt
        assert picture.sha1 == hashlib.sha1(picture.data).hexdigest()


def test_alt_text_in_the_forum_language():
    settings = load_settings()
    assert settings.language == "ca"
    km0 = map_picture(RECORDS, settings, "km0")
    assert km0.alt.startswith("Mapa de les comarques de Catalunya amb 4 projectes Km0")


def test_boundaries_are_shipped_with_attribution():
    comarques = load("comarques")
    assert len(comarques.regions) == 41
    assert "Institut Cartogràfic i Geològic de Catalunya" in comarques.attribution
    europe = load("europe")
    assert {r.id for r in europe.regions} >= {"ES", "FR", "NL", "UK"}
    assert "EuroGeographics" in europe.attribution


def test_short_url_is_discourses_base62_of_the_sha1():
    sha1 = "ff" * 20
    # 2**160 - 1 in base62 with core lib/base62.rb's alphabet (0-9a-zA-Z)
    short = rules.base62_sha1(sha1)
    assert rules.sha1_from_base62(short) == sha1
    assert rules.upload_short_url("0" * 39 + "1", "png") == "upload://1.png"
    assert rules.upload_short_url("0" * 38 + "3d", "png") == "upload://Z.png"  # 61: the last key
    assert rules.upload_short_url("0" * 38 + "3e", "png") == "upload://10.png"


def test_map_command_png_svg_area_and_refusals(cli, tmp_path):
    from plugins.catalogue import make_records, write_records_file

    assert cli("import", write_records_file(tmp_path / "r.json", make_records(24))).exit_code == 0
    png = tmp_path / "map.png"
    run = cli("map", str(png))
    assert run.exit_code == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = png.read_bytes()
    assert cli("map", str(png)).exit_code == 0 and png.read_bytes() == first  # same bytes
    svg = tmp_path / "europe.svg"
    run = cli("map", str(svg), "--proximity", "foreign", "--area", "citizen-care")
    assert run.exit_code == 0, run.stderr
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    bad = cli("map", str(tmp_path / "map.jpg"))
    assert bad.exit_code == 2 and ".png or .svg" in bad.stderr
    assert cli("map", str(png), "--area", "nonsense").exit_code == 2
    missing = cli("map", str(tmp_path / "no" / "dir" / "map.png"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_a_coastal_council_fills_its_country_though_the_simplified_coast_leaves_it_at_sea():
    """Helsinki and Tallinn lie outside Finland's and Estonia's simplified outlines (the coast
    moved inland); their countries are still the ones with projects, and the sea stays no one's."""
    from bridge.visual.draw import _regions_used

    europe = load("europe")
    helsinki, tallinn, amsterdam = (24.9384, 60.1699), (24.7536, 59.4370), (4.9041, 52.3676)
    assert _regions_used(europe, [helsinki, tallinn, amsterdam]) == {"FI", "EE", "NL"}
    assert _regions_used(europe, [(-30.0, 45.0)]) == set()  # mid-Atlantic: nobody's
