"""Real-world data (../shared/data: JRC local-government cases, Decidim installations, CONSUL users)
imports exactly as published through the CLI, is placed in the gazetteer, and round-trips unchanged
through every format, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import Run, write_records_file

pytestmark = pytest.mark.shared

# Contract §4: these fields are one line (line breaks and runs of spaces become one space, with a
# warning); every text is stripped of surrounding whitespace.
_ONE_LINE = {
    "": ("title",),
    "local_body": ("name", "kind", "municipality_code"),
    "contacts": ("name", "role", "phone"),
}


def _as_stored(value: Any, where: str = "", key: str = "") -> Any:
    if isinstance(value, dict):
        inner = where if key == "" else key
        return {k: _as_stored(v, inner, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stored(v, where, key) for v in value]
    if isinstance(value, str):
        return " ".join(value.split()) if key in _ONE_LINE.get(where, ()) else value.strip()
    return value


def test_the_real_data_is_what_the_issue_asks_for(real_world_records: list[dict[str, Any]]) -> None:
    records = real_world_records
    assert len(records) >= 400
    assert len({r["local_body"]["country"] for r in records}) >= 10
    titles = Counter(r["title"] for r in records)
    shared_title, count = titles.most_common(1)[0]
    # one title, many councils (a council may run two installations)
    assert (
        count > 100
        and len({r["local_body"]["name"] for r in records if r["title"] == shared_title}) > 100
    )
    assert any(len(r["description"]) > 2000 for r in records)
    assert any(ch in json.dumps(records, ensure_ascii=False) for ch in "àèòçï·")
    assert any(r["local_body"].get("region") == "ES-CT" for r in records)
    # as published: names with line breaks, surrounding spaces, one council spelled many ways
    names = [r["local_body"]["name"] for r in records]
    assert any("\n" in n for n in names) and any(n != n.strip() for n in names)
    spellings = {
        "Barcelona",
        "Barcelona City Council",
        "City of Barcelona",
        "Municipality of Barcelona",
    }
    assert spellings <= set(names)


@pytest.mark.parametrize("source", [".json", ".csv"])
def test_real_data_imports_and_round_trips_unchanged(
    cli: Callable[..., Run], tmp_path: Path, real_world_records: list[dict[str, Any]], source: str
) -> None:
    records = real_world_records
    result = cli("import", write_records_file(tmp_path / f"real{source}", records), "--json")
    assert result.exit_code == 0, result.stderr[:2000]
    assert result.json()["created"] == len(records)
    # The names with line breaks were normalised, and said so.
    assert "local_body.name: line breaks or runs of spaces became one space" in result.stderr
    expected = sorted((_as_stored(r) for r in records), key=lambda r: r["ref"])
    for suffix in (".json", ".yaml", ".csv", ".xlsx"):
        out = tmp_path / f"export{suffix}"
        assert cli("export", out).exit_code == 0
        again = cli("import", out)
        assert again.exit_code == 0, again.stderr[:2000]
        assert again.stdout.startswith(f"0 created, 0 updated, {len(records)} unchanged")
    snapshot = tmp_path / "snapshot.json"
    cli("export", snapshot)
    assert json.loads(snapshot.read_text(encoding="utf-8")) == expected
    listed = {r["ref"]: r for r in cli("projects", "list", "--json").json()}
    # Catalan councils are Km0 through their region; the rest of the world is foreign.
    for record in records:
        region = record["local_body"].get("region")
        assert listed[record["ref"]]["proximity"] == (
            "km0" if region in ("ES-CT", "ES-B", "ES-GI", "ES-L", "ES-T") else "foreign"
        )
    # Every spelling of Barcelona's council lands in Barcelona; its provincial council, the
    # metropolitan area and the regional government are placed nowhere.
    by_name: dict[str, set[Any]] = {}
    for record in listed.values():
        place = record["place"]
        by_name.setdefault(record["local_body"]["name"], set()).add(place and place["code"])
    for name in (
        "Barcelona",
        "Barcelona City Council",
        "City of Barcelona",
        "Municipality of Barcelona",
    ):
        assert by_name[name] == {"08019"}, name
    for name in (
        "Diputació de Barcelona",
        "Area Metropolitana de Barcelona",
        "Generalitat de Catalunya",
    ):
        assert by_name[name] == {None}, name
    catalan_councils = [
        r for r in listed.values() if r["ref"].startswith("decidim-")
        and r["local_body"].get("region") == "ES-CT" and r["local_body"].get("kind") == "city"
    ]  # fmt: skip
    placed = [r for r in catalan_councils if r["place"]]
    assert len(placed) >= 0.8 * len(catalan_councils)
