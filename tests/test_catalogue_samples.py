"""The demo catalogue shipped in the package imports cleanly and shows every kind of record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from plugins.catalogue import Run

from bridge.models.enums import Area, Kind, Phase
from bridge.samples import demo_catalogue_path


def test_demo_catalogue_imports_cleanly_and_covers_everything(cli: Callable[..., Run]) -> None:
    path = demo_catalogue_path()
    result = cli("import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert 25 <= result.json()["created"] <= 40
    records = cli("projects", "list", "--json").json()
    assert {r["area"] for r in records} == {a.value for a in Area}
    assert {r["phase"] for r in records} == {p.value for p in Phase}
    assert {r["kind"] for r in records} == {k.value for k in Kind}
    assert {r["proximity"] for r in records} == {"km0", "foreign"}
    assert {r["local_body"]["country"] for r in records} > {"ES", "NL"}
    title, count = Counter(r["title"] for r in records).most_common(1)[0]
    assert (
        count >= 2
        and len({r["local_body"]["name"] for r in records if r["title"] == title}) == count
    )
    contacts = [c for r in records for c in r.get("contacts", [])]
    assert any(c["public"] and c.get("forum_username") for c in contacts) and any(
        not c["public"] for c in contacts
    )
    assert any(r.get("documents") for r in records)
    assert cli("import", path).stdout.startswith(f"0 created, 0 updated, {len(records)} unchanged")
