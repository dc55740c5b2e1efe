"""Issue 20 defect 3: a local body's name is shown as written, `&`, commas and parentheses
included, in the raw a person reads and in what the forum's Markdown parser shows."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from plugins.catalogue import real_records

from bridge.settings import load_settings
from bridge.sync.render import inline, render_post

MD = MarkdownIt("commonmark")  # the parser Discourse builds on
CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"


def _shown(raw: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", MD.render(raw)))


def test_the_seven_real_names_with_an_ampersand_are_written_as_they_are(
    shared_dir: Path,
) -> None:
    settings = load_settings(CONFIG)
    records: list[dict[str, Any]] = [
        r for r in real_records(shared_dir) if "&" in r["local_body"]["name"]
    ]
    names = {r["local_body"]["name"] for r in records}
    assert {
        "Digipolis & city of Antwerp",
        "Egis Parking Services B.V., Municipality of Amsterdam (Parking, Team Analysis & "
        "Advice), the Hague, Rotterdam and Utrecht",
        "8Ting, business office Work & Income of the municipality of Enschede",
    } <= names
    assert len(records) == 7
    for record in records:
        name = " ".join(record["local_body"]["name"].split())
        raw = render_post(record, proximity="foreign", settings=settings)
        assert f"**{name}**" in raw, name  # the raw, as the editor and e-mails show it
        assert name in _shown(raw), name


def test_an_ampersand_that_would_name_a_character_stays_inert() -> None:
    for text in ("&#64;staff", "&commat;staff", "&amp;", "\\&#64;staff"):
        assert _shown(inline(text)).strip() == text
